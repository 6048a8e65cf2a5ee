"""Fuzzing the files a loader reads: corrupted VOC XML annotations and split CSVs either load
correctly or are refused with skmoe's own ValueError naming the file."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from skmoe.datasets import NEU_CLASSES, load_neu

from ._contract import works_or_refuses

SIZE = 24  # pixels: the tiny NEU-DET's images are SIZE x SIZE
IMAGES = [f"{name}_1" for name in NEU_CLASSES]

VOC = """<annotation><filename>{stem}.jpg</filename>
<size><width>{size}</width><height>{size}</height><depth>1</depth></size>
<object><name>{name}</name><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>
</annotation>"""


@pytest.fixture(scope="module")
def neu_root():
    """A NEU-DET of one image per class, each with one valid box."""
    root = Path(tempfile.mkdtemp(prefix="skmoe-fuzz-neu-"))
    (root / "images").mkdir()
    (root / "annotations").mkdir()
    for stem in IMAGES:
        Image.fromarray(np.full((SIZE, SIZE), 128, np.uint8)).save(root / "images" / f"{stem}.jpg")
        _write_voc(root, stem, VOC.format(stem=stem, size=SIZE, name=stem[:-2], x1=2, y1=3,
                                          x2=10, y2=12))
    return root


def _write_voc(root, stem, text):
    (root / "annotations" / f"{stem}.xml").write_text(text)


def _corrupt(data, text):
    """``text`` with a few random deletions, insertions and replacements."""
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        stop = data.draw(st.integers(start, min(len(text), start + 12)))
        filler = data.draw(st.text(alphabet="<>/ab0-9.x\"'&", max_size=6))
        text = text[:start] + filler + text[stop:]
    return text


FIELDS = st.one_of(st.integers(-5, 40).map(str), st.sampled_from(["", "nan", "inf", "1e9",
                                                                  "3.7", "x", "-0"]))


@settings(max_examples=200, deadline=3000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_voc_loads_or_is_refused(neu_root, data):
    stem = IMAGES[0]
    values = {key: data.draw(FIELDS) for key in ("x1", "y1", "x2", "y2")}
    name = data.draw(st.sampled_from([stem[:-2], "rust", ""]))
    text = VOC.format(stem=stem, size=SIZE, name=name, **values)
    if data.draw(st.booleans()):
        text = _corrupt(data, text)
    _write_voc(neu_root, stem, text)
    bunch = works_or_refuses(lambda: load_neu(neu_root))
    if bunch is not None:
        for boxes in bunch.boxes:
            _, x1, y1, x2, y2 = np.asarray(boxes, dtype=float).T
            assert ((0 <= x1) & (x1 < x2) & (x2 <= SIZE) & (0 <= y1) & (y1 < y2)
                    & (y2 <= SIZE)).all()


SPLIT_ROWS = st.lists(st.tuples(st.sampled_from([*(f"images/{s}.jpg" for s in IMAGES),
                                                 "images/other.jpg", "", "a,b"]),
                                st.sampled_from(["train", "val", "test", ""])), max_size=8)


@settings(max_examples=200, deadline=3000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), rows=SPLIT_ROWS,
       header=st.sampled_from(["image,label,split", "image,split", "img,split", "", "image"]))
def test_corrupted_split_csv_loads_or_is_refused(neu_root, data, rows, header):
    # The annotations may hold a corrupted file from the test above: restore a valid one.
    stem = IMAGES[0]
    _write_voc(neu_root, stem, VOC.format(stem=stem, size=SIZE, name=stem[:-2], x1=2, y1=3,
                                          x2=10, y2=12))
    text = header + "\n" + "\n".join(
        f"{image},{image.split('/')[-1][:-6]},{split}" if header == "image,label,split"
        else f"{image},{split}" for image, split in rows)
    if data.draw(st.booleans()):
        text = _corrupt(data, text)
    split_file = neu_root / "split.csv"
    split_file.write_text(text)
    bunch = works_or_refuses(lambda: load_neu(neu_root, split_file="split.csv"))
    if bunch is not None:
        assert len(bunch.split) == len(bunch.images) == len(IMAGES)
