import numpy as np
import pytest

from skmoe.datasets import make_steel_defects
from skmoe.model_selection import stratified_partition, train_val_test_split


def test_neu_like_classes_split_exactly():
    """Six classes of 300 split 240/30/30 each at the default 8:1:1."""
    y = np.repeat(np.arange(6), 300)
    y_train, y_val, y_test = train_val_test_split(y, stratify=y, random_state=0)
    for part, expected in ((y_train, 240), (y_val, 30), (y_test, 30)):
        np.testing.assert_array_equal(np.bincount(part), expected)


def test_parts_are_disjoint_and_complete():
    """Every sample lands in exactly one part, and parallel arrays stay aligned."""
    X, y = make_steel_defects(500, image_size=16, random_state=0)
    ids = np.arange(500)
    parts = train_val_test_split(ids, y, stratify=y, random_state=0)
    id_parts, y_parts = parts[:3], parts[3:]
    np.testing.assert_array_equal(np.sort(np.concatenate(id_parts)), ids)
    for id_part, y_part in zip(id_parts, y_parts):
        np.testing.assert_array_equal(y[id_part], y_part)


def test_multilabel_rare_class_reaches_every_part():
    """Multi-label stratification keeps the rarest label in train, validation and test."""
    _, y = make_steel_defects(2000, image_size=16, max_defects_per_image=3, random_state=0)
    parts = stratified_partition(y, (0.8, 0.1, 0.1), random_state=0)
    totals = y.sum(axis=0)
    for part, share in zip(parts, (0.8, 0.1, 0.1)):
        counts = y[part].sum(axis=0)
        assert (counts > 0).all()
        np.testing.assert_allclose(counts / totals, share, atol=0.05)


def test_lists_are_split_too():
    """Lists (e.g. boxes per image) are split like arrays."""
    y = np.repeat(["a", "b"], 10)
    boxes = [np.zeros((i % 3, 5)) for i in range(20)]
    b_train, b_val, b_test = train_val_test_split(boxes, stratify=y, random_state=0)
    assert isinstance(b_train, list) and len(b_train) + len(b_val) + len(b_test) == 20


@pytest.mark.parametrize(
    "kwargs, err_msg",
    [
        ({"val_size": 0.0}, "val_size must be a fraction"),
        ({"test_size": 1.5}, "test_size must be a fraction"),
        ({"val_size": 0.5, "test_size": 0.5}, "leave data for training"),
    ],
)
def test_bad_sizes(kwargs, err_msg):
    """Impossible split sizes raise a ValueError."""
    y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match=err_msg):
        train_val_test_split(y, stratify=y, **kwargs)


def test_lengths_must_match():
    """Arrays of different lengths raise."""
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        train_val_test_split(np.arange(5), stratify=np.arange(4))
