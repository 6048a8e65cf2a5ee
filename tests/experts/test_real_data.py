"""Every loader's Bunch goes straight into every expert type: no class order, no defect-free
class, no box convention to pass, on a few real images of each dataset."""

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("skorch")

from skmoe.datasets import load_magnetic_tile, load_neu, load_severstal  # noqa: E402

from .._packages import skip_without
from ._tiny import tiny_experts  # noqa: E402

IMAGES_PER_CLASS = 3


def _few_of_each_class(bunch):
    """The first images of every class (of every indicator column), as paths, labels, boxes."""
    target = np.asarray(bunch.target)
    indicator = target if target.ndim == 2 else target[:, None] == np.unique(target)[None]
    rows = np.unique(np.concatenate([np.flatnonzero(column)[:IMAGES_PER_CLASS]
                                     for column in indicator.T]))
    return bunch.images[rows], target[rows], [bunch.boxes[i] for i in rows]


@pytest.fixture(scope="module", params=["neu", "magnetic-tile", "severstal"])
def dataset(request, data_root):
    name = request.param
    if name == "neu":
        bunch = load_neu(data_root / "neu-det")
    elif name == "magnetic-tile":
        bunch = load_magnetic_tile(data_root / "magnetic-tile")
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*not in .*train_images; skipped")
            bunch = load_severstal(data_root / "severstal-sample",
                                   annotations="train_partial.csv", images="covered_images.txt")
    return bunch, _few_of_each_class(bunch)


EXPERTS = tiny_experts(image_size=64)


@pytest.mark.parametrize("kind", list(EXPERTS))
def test_loader_bunch_goes_straight_into_the_expert(dataset, kind):
    if kind == "yolo":
        skip_without("ultralytics")
    bunch, (images, target, boxes) = dataset
    expert = EXPERTS[kind]()
    fit_params = {} if kind == "classifier" else {"boxes": boxes}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expert.fit(images, target, **fit_params)
    assert not [w for w in caught if "renumber the boxes" in str(w.message)]
    proba = expert.predict_proba(images[:4])
    assert proba.shape == (4, len(bunch.target_names))
    assert (proba >= 0).all() and (proba <= 1).all()
    if kind != "classifier":
        found = (None if expert.background_index_ is None
                 else bunch.target_names[expert.background_index_])
        assert found == bunch.background_class
