"""The loaders on the real data in SKMOE_DATA (skipped with a reason where it is absent)."""

import csv
import shutil

import numpy as np
import pytest
from PIL import Image

from skmoe.datasets import (
    load_image_folder,
    load_magnetic_tile,
    load_neu,
    load_severstal,
    rle_decode,
    rle_encode,
    summarize,
)

# --- NEU ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def neu(data_root):
    return load_neu(data_root / "neu-det", split_file="split.csv")


def test_neu_counts(neu):
    """6 classes x 300 images, 4,189 boxes, the canonical 240/30/30 split per class."""
    labels, counts = np.unique(neu.target, return_counts=True)
    assert list(labels) == neu.target_names and (counts == 300).all()
    assert sum(len(b) for b in neu.boxes) == 4189
    for part, expected in (("train", 240), ("val", 30), ("test", 30)):
        np.testing.assert_array_equal(np.unique(neu.target[neu.split == part],
                                                return_counts=True)[1], expected)
    assert neu.background_class is None


def test_neu_quirks(neu):
    """Boxes of another class than the file name's are kept with their own class (188)."""
    other = sum(int((b[:, 0] != neu.target_names.index(t)).sum())
                for t, b in zip(neu.target, neu.boxes))
    assert other == 188


def test_neu_boxes_inside_images(neu):
    """Every box lies inside its 200x200 image (far edges exclusive, as in torchvision)."""
    boxes = np.concatenate(neu.boxes)
    assert (boxes[:, 1:3] >= 0).all() and (boxes[:, 3:5] <= 200).all()
    assert (boxes[:, 1] < boxes[:, 3]).all() and (boxes[:, 2] < boxes[:, 4]).all()
    assert (boxes[:, 3:5] == 200).any()  # VOC's last pixel (xmax=200) ends at the edge


def test_neu_subset(data_root):
    """subset keeps one split, with every per-image field."""
    test = load_neu(data_root / "neu-det", split_file="split.csv", subset="test")
    assert len(test.images) == len(test.target) == len(test.boxes) == 180
    assert set(test.split) == {"test"}


def test_neu_cls_layouts(data_root, tmp_path):
    """NEU-CLS by class folders and by file-name prefixes load the same labels."""
    source = data_root / "neu-det" / "images"
    prefixes = {"crazing": "Cr", "scratches": "Sc"}
    for name, prefix in prefixes.items():
        (tmp_path / "folders" / name).mkdir(parents=True)
        (tmp_path / "flat").mkdir(exist_ok=True)
        for n in (1, 2):
            shutil.copy(source / f"{name}_{n}.jpg", tmp_path / "folders" / name / f"{n}.jpg")
            shutil.copy(source / f"{name}_{n}.jpg", tmp_path / "flat" / f"{prefix}_{n}.bmp")
    by_folder = load_neu(tmp_path / "folders")
    by_prefix = load_neu(tmp_path / "flat")
    assert sorted(by_folder.target) == sorted(by_prefix.target) == ["crazing"] * 2 + \
        ["scratches"] * 2
    assert by_folder.boxes is None


def test_neu_bad_xml(data_root, tmp_path):
    """An annotation that does not parse is named in the error."""
    root = tmp_path / "neu"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    shutil.copy(data_root / "neu-det" / "images" / "crazing_1.jpg", root / "images")
    (root / "annotations" / "crazing_1.xml").write_text("<annotation><object>")
    with pytest.raises(ValueError, match=r"crazing_1\.xml is not valid XML"):
        load_neu(root)


def test_not_an_image(data_root, tmp_path):
    """A file with an image suffix that is not an image is named in the error."""
    root = tmp_path / "folders"
    (root / "crazing").mkdir(parents=True)
    (root / "crazing" / "broken.jpg").write_text("not a picture")
    with pytest.raises(ValueError, match=r"broken\.jpg' is not an image"):
        load_neu(root)


# --- Magnetic-tile ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiles(data_root):
    return load_magnetic_tile(data_root / "magnetic-tile", split_file="split.csv",
                              return_masks=True)


def test_magnetic_tile_counts(tiles):
    """952/115/103/85/57/32 images, MT_Free is the defect-free class, names sorted."""
    counts = dict(zip(*np.unique(tiles.target, return_counts=True)))
    assert counts == {"MT_Free": 952, "MT_Blowhole": 115, "MT_Uneven": 103, "MT_Break": 85,
                      "MT_Crack": 57, "MT_Fray": 32}
    assert tiles.background_class == "MT_Free"
    assert tiles.target_names == sorted(counts)  # as classes_: box indices are its columns
    assert set(tiles.split) == {"train", "val", "test"}


def test_magnetic_tile_boxes_cover_masks(tiles):
    """Every box covers mask pixels, every mask pixel lies in a box, defect-free has none;
    masks are (n_classes, H, W) with only the image's own class's channel set."""
    for label, boxes, planes in zip(tiles.target, tiles.boxes, tiles.masks):
        assert planes.dtype == bool and planes.shape[0] == len(tiles.target_names)
        own = tiles.target_names.index(label)
        assert not np.delete(planes, own, axis=0).any()
        mask = planes[own]
        if label == "MT_Free":
            assert len(boxes) == 0 and not mask.any()
            continue
        covered = np.zeros_like(mask)
        for _, x1, y1, x2, y2 in boxes:
            assert mask[y1:y2, x1:x2].any()
            covered[y1:y2, x1:x2] = True
        assert not (mask & ~covered).any()
        assert (boxes[:, 0] == tiles.target_names.index(label)).all()


# --- Severstal ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def severstal_root(data_root):
    return data_root / "severstal-sample"


@pytest.fixture(scope="module")
def severstal(severstal_root):
    with pytest.warns(UserWarning, match="not in .*train_images; skipped"):
        return load_severstal(severstal_root, annotations="train_partial.csv",
                              images="covered_images.txt", return_masks=True)


def test_severstal_labels_match_image_labels(severstal, severstal_root):
    """For the covered images the indicator equals image_labels.csv."""
    with open(severstal_root / "image_labels.csv", newline="") as handle:
        expected = {row["ImageId"]: [int(row[f"has_{c}"]) for c in range(1, 5)]
                    for row in csv.DictReader(handle)}
    assert len(severstal.images) == 20
    for path, row in zip(severstal.images, severstal.target):
        name = path.rsplit("/", 1)[-1]
        assert list(row[1:]) == expected[name]
        assert row[0] == (sum(expected[name]) == 0)


def test_severstal_rle_round_trip(severstal_root):
    """Every row of the sample decodes and re-encodes to the same string."""
    with open(severstal_root / "train_partial.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4379
    for row in rows:
        assert rle_encode(rle_decode(row["EncodedPixels"])) == row["EncodedPixels"]


def test_severstal_boxes_and_masks_agree(severstal):
    """Boxes lie inside 1600x256 images and each covers pixels of its class's mask."""
    for row, boxes, planes in zip(severstal.target, severstal.boxes, severstal.masks):
        assert planes.shape == (5, 256, 1600) and planes.dtype == bool
        assert not planes[0].any()  # the defect-free channel
        assert planes.any(axis=(1, 2)).tolist()[1:] == row[1:].astype(bool).tolist()
        assert set(boxes[:, 0]) == set(np.flatnonzero(row[1:]) + 1)
        for c, x1, y1, x2, y2 in boxes:
            assert 0 <= x1 < x2 <= 1600 and 0 <= y1 < y2 <= 256
            assert planes[c, y1:y2, x1:x2].any()


def test_severstal_old_format_and_missing(severstal_root, tmp_path):
    """The older 4-rows-per-image CSV loads the same; missing images warn or raise."""
    root = tmp_path / "severstal"
    shutil.copytree(severstal_root / "train_images", root / "train_images")
    with open(severstal_root / "train_partial.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(root / "train.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ImageId_ClassId", "EncodedPixels"])
        for row in rows:
            writer.writerow([f"{row['ImageId']}_{row['ClassId']}", row["EncodedPixels"]])
    with pytest.warns(UserWarning, match="4367 annotation rows"):
        old = load_severstal(root)
    with pytest.warns(UserWarning):
        new = load_severstal(severstal_root, annotations="train_partial.csv")
    np.testing.assert_array_equal(old.target, new.target)
    with pytest.raises(FileNotFoundError, match="4367 annotation rows"):
        load_severstal(root, on_missing="raise")


def test_severstal_malformed_rle(severstal_root, tmp_path):
    """A malformed encoding names the image and class."""
    root = tmp_path / "bad"
    (root / "train_images").mkdir(parents=True)
    shutil.copy(severstal_root / "train_images" / "000a4bcdd.jpg", root / "train_images")
    (root / "train.csv").write_text("ImageId,ClassId,EncodedPixels\n000a4bcdd.jpg,1,1 2 3\n")
    with pytest.raises(ValueError, match="000a4bcdd.jpg, class 1: Malformed RLE"):
        load_severstal(root)


# --- Image folder, splits, summaries -------------------------------------------------------------


def test_image_folder(tmp_path):
    """One folder per class, the defect-free one first; a split file is followed."""
    for name in ("ok", "scratch", "pit"):
        (tmp_path / name).mkdir()
        for n in range(3):
            Image.new("L", (8, 8)).save(tmp_path / name / f"{n}.png")
    (tmp_path / "split.csv").write_text(
        "image,split\n" + "\n".join(f"{c}/{n}.png,{'test' if n == 0 else 'train'}"
                                    for c in ("ok", "scratch", "pit") for n in range(3)))
    bunch = load_image_folder(tmp_path, background_class="ok", split_file="split.csv")
    assert bunch.target_names == ["ok", "pit", "scratch"] and bunch.boxes is None
    assert (bunch.split == "test").sum() == 3
    assert "| ok (defect-free) | 3 | 2 | 1 |" in summarize(bunch)


@pytest.mark.parametrize(
    "loader, args, error, err_msg",
    [
        (load_neu, ("/does/not/exist",), FileNotFoundError, "does not exist. Expected NEU-DET"),
        (load_magnetic_tile, ("{tmp}",), ValueError, "Expected MT_<Class>/Imgs"),
        (load_severstal, ("{tmp}",), FileNotFoundError, "Expected the Kaggle layout"),
        (load_image_folder, ("{tmp}",), ValueError, "has no sub-folders"),
    ],
)
def test_wrong_layout(loader, args, error, err_msg, tmp_path):
    """A missing root or a wrong layout says which layout was expected."""
    args = [a.format(tmp=tmp_path) for a in args]
    with pytest.raises(error, match=err_msg):
        loader(*args)


def test_split_file_naming_missing_images(tmp_path):
    """A split file that names images that were not loaded is refused."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.new("L", (4, 4)).save(tmp_path / name / "1.png")
    (tmp_path / "split.csv").write_text("image,split\na/1.png,train\nb/1.png,val\n"
                                        "a/2.png,test\n")
    with pytest.raises(ValueError, match="names 1 images that were not loaded"):
        load_image_folder(tmp_path, split_file="split.csv")
