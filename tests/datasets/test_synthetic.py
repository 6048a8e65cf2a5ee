import numpy as np
import pytest

from skmoe.datasets import DEFAULT_CLASS_WEIGHTS, STEEL_CLASSES, make_steel_defects


def test_shapes_and_dtypes():
    """Images are uint8 (n, H, W); single-label y holds class names."""
    X, y = make_steel_defects(50, image_size=(32, 48), random_state=0)
    assert X.shape == (50, 32, 48) and X.dtype == np.uint8
    assert y.shape == (50,) and set(y) <= set(STEEL_CLASSES)


def test_long_tailed_profile():
    """About half the images are defect-free and the rarest class is about 2%."""
    _, y = make_steel_defects(5000, image_size=16, random_state=0)
    shares = np.array([np.mean(y == c) for c in STEEL_CLASSES])
    np.testing.assert_allclose(shares, DEFAULT_CLASS_WEIGHTS, atol=0.015)
    assert shares[0] == pytest.approx(0.5, abs=0.03)
    assert shares.min() == pytest.approx(0.02, abs=0.01)


def test_boxes_inside_image_and_on_the_defect():
    """Every box lies inside its image, has the image's label, and covers the drawn defect."""
    # The steel texture is drawn first from the seed, so the same seed with only defect-free
    # images gives the same steel without defects: the difference is the defects alone.
    options = dict(n_samples=300, image_size=40, noise=0.0, random_state=1)
    X, y, boxes = make_steel_defects(**options, return_boxes=True)
    steel, _ = make_steel_defects(**options, class_weights=[1, 0, 0, 0, 0])
    for image, plain, label, image_boxes in zip(X, steel, y, boxes):
        deviation = np.abs(image.astype(float) - plain)
        if label == "background":
            assert image_boxes.shape == (0, 5)
            assert deviation.max() < 2
            continue
        assert image_boxes.shape == (1, 5)
        cls, x1, y1, x2, y2 = image_boxes[0]
        assert STEEL_CLASSES[cls] == label
        assert 0 <= x1 < x2 <= 40 and 0 <= y1 < y2 <= 40  # far edges exclusive
        assert deviation[y1:y2, x1:x2].max() > 25
        outside = deviation.copy()
        outside[y1:y2, x1:x2] = 0
        assert outside.max() < 2  # the tight box holds the whole defect


def test_several_defects_per_image():
    """With max_defects_per_image > 1, y is an indicator with one box per defect."""
    X, y, boxes = make_steel_defects(
        800, image_size=32, max_defects_per_image=3, return_boxes=True, random_state=0
    )
    assert y.shape == (800, len(STEEL_CLASSES))
    assert (y.sum(axis=1) > 1).any()
    assert (y.sum(axis=1)[y[:, 0] == 1] == 1).all()  # defect-free means nothing else
    for row, image_boxes in zip(y, boxes):
        assert sorted(image_boxes[:, 0]) == list(np.flatnonzero(row[1:]) + 1)


def test_masks_mark_each_defect_inside_its_box():
    """return_masks: (n, 5, H, W) booleans, the same images; each box is its mask's tight box."""
    options = dict(n_samples=300, image_size=(24, 40), max_defects_per_image=3, random_state=2)
    X, y, boxes = make_steel_defects(**options, return_boxes=True)
    X2, y2, boxes2, masks = make_steel_defects(**options, return_boxes=True, return_masks=True)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert masks.shape == (300, 5, 24, 40) and masks.dtype == bool
    assert not masks[:, 0].any()
    np.testing.assert_array_equal(masks.any(axis=(2, 3))[:, 1:], y[:, 1:].astype(bool))
    for image_boxes, planes in zip(boxes2, masks):
        for c, x1, y1, x2, y2 in image_boxes:
            rows, cols = np.nonzero(planes[c])
            assert (x1, y1, x2, y2) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_deterministic():
    """The same random_state gives the same images, labels and boxes."""
    a = make_steel_defects(100, image_size=24, return_boxes=True, random_state=7)
    b = make_steel_defects(100, image_size=24, return_boxes=True, random_state=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert all(np.array_equal(p, q) for p, q in zip(a[2], b[2]))
    c = make_steel_defects(100, image_size=24, random_state=8)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.learning
def test_classes_are_learnable(training_seed, record_learning):
    """A simple model on pixel statistics tells the classes apart well above chance."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_steel_defects(1200, image_size=32, class_weights=[1] * 5, random_state=0)
    features = np.column_stack([
        X.reshape(len(X), -1).std(axis=1),
        np.abs(np.diff(X.astype(float), axis=1)).mean(axis=(1, 2)),
        np.abs(np.diff(X.astype(float), axis=2)).mean(axis=(1, 2)),
        X.reshape(len(X), -1).min(axis=1),
        X.reshape(len(X), -1).max(axis=1),
    ])
    forest = RandomForestClassifier(n_estimators=100, random_state=training_seed)
    forest.fit(features[:900], y[:900])
    accuracy = forest.score(features[900:], y[900:])
    record_learning(accuracy=accuracy)
    # Chance is 0.2; seeds 0-4 x 1, 2 threads: 0.880-0.900.
    assert accuracy > 0.8


@pytest.mark.parametrize(
    "kwargs, err_msg",
    [
        ({"defect_size": (4, 100)}, "boxes would fall outside the image"),
        ({"defect_size": (1, 8)}, "3 <= low <= high"),
        ({"image_size": 8}, "image_size must be"),
        ({"class_weights": [1, 2]}, "class_weights must be 5"),
        ({"class_weights": [1, -1, 1, 1, 1]}, "non-negative"),
        ({"max_defects_per_image": 0}, "max_defects_per_image"),
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"noise": -1.0}, "noise must be >= 0"),
    ],
)
def test_bad_options(kwargs, err_msg):
    """Impossible generator options raise a ValueError that says what to change."""
    kwargs = {"n_samples": 10, "image_size": 32, **kwargs}
    with pytest.raises(ValueError, match=err_msg):
        make_steel_defects(**kwargs)
