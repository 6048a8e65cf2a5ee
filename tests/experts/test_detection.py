"""Box checks, image-level scores and the shared detector behaviour, on a detector without a
network: it 'detects' the boxes it was given for an image it has seen."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import STEEL_CLASSES, make_steel_defects
from skmoe.experts import BaseDetector
from skmoe.experts._detection import (
    check_boxes,
    max_confidence_per_class,
    to_corners,
    to_extent,
)

SIZES = np.array([[10, 20], [10, 20]])  # two images of 10 rows x 20 columns


# --- check_boxes --------------------------------------------------------------------------

def test_check_boxes_accepts_empty_images_and_edge_pixels():
    boxes = check_boxes([[], [[1, 0, 0, 19, 9]]], SIZES, n_classes=2)
    assert boxes[0].shape == (0, 5) and boxes[1].tolist() == [[1, 0, 0, 19, 9]]


@pytest.mark.parametrize("boxes, message", [
    (None, "needs boxes"),
    ([[]], "boxes has 1 entries but X has 2 images"),
    (np.zeros((2, 5)), "one 2-D array"),
    ([[], [[2, 0, 0, 3, 3]]], "class index 2"),
    ([[], [[0.5, 0, 0, 3, 3]]], "class index 0.5"),
    ([[], [[-1, 0, 0, 3, 3]]], "class index -1"),
    ([[], [[0, 0, 0, 20, 3]]], "does not fit the image"),
    ([[], [[0, 0, -1, 3, 3]]], "does not fit the image"),
    ([[], [[0, 5, 0, 3, 3]]], "does not fit the image"),
    ([[], [[0, 0, 0, 3]]], "has shape"),
    ([[], [[0, 0, np.nan, 3, 3]]], "NaN"),
])
def test_check_boxes_errors(boxes, message):
    with pytest.raises(ValueError, match=message):
        check_boxes(boxes, SIZES, n_classes=2)


def test_extent_round_trip():
    corners = np.array([[3, 4, 5, 4]])
    assert to_extent(corners).tolist() == [[3, 4, 6, 5]]
    np.testing.assert_array_equal(to_corners(to_extent(corners)), corners)


def test_max_confidence_per_class():
    detections = [np.array([[1, 0, 0, 2, 2, 0.3], [1, 0, 0, 2, 2, 0.7], [0, 0, 0, 1, 1, 0.2]]),
                  np.empty((0, 6))]
    np.testing.assert_allclose(max_confidence_per_class(detections, 3),
                               [[0.2, 0.7, 0.0], [0.0, 0.0, 0.0]])


# --- BaseDetector, with a memorising stand-in for a network ----------------------------------

class MemoryDetector(BaseDetector):
    """'Detects' each training image's boxes (confidence 0.9) when it sees the image again."""

    def __init__(self, background_class=None, box_classes=None, min_score=0.0, C=1.0):
        self.background_class = background_class
        self.box_classes = box_classes
        self.min_score = min_score
        self.C = C  # a parameter to tune in GridSearchCV

    def _train(self, source, boxes, sizes):
        assert sizes.shape == (len(boxes), 2)
        self.memory_ = {image.tobytes(): b for image, b in zip(source.array, boxes)}
        self.trained_on_ = len(boxes)

    def _detect(self, source):
        found = [self.memory_.get(image.tobytes(), np.empty((0, 5))) for image in source.array]
        return [np.column_stack([b, np.full(len(b), 0.9)]) for b in found]


@pytest.fixture(scope="module")
def steel():
    return make_steel_defects(60, image_size=32, class_weights=[1, 1, 1, 1, 1],
                              return_boxes=True, random_state=0)


def test_scores_follow_classes_and_background(steel):
    X, y, boxes = steel
    detector = MemoryDetector("background", box_classes=STEEL_CLASSES).fit(X, y, boxes=boxes)
    assert detector.classes_.tolist() == sorted(STEEL_CLASSES)
    proba = detector.predict_proba(X)
    defect = y != "background"
    np.testing.assert_allclose(proba[defect, detector.background_index_], 0.1)
    np.testing.assert_allclose(proba[~defect, detector.background_index_], 1.0)
    assert (detector.predict(X) == y).all()  # box class indices were mapped to classes_


def test_box_classes_in_another_order_warn(steel):
    """Indices in STEEL_CLASSES order read as columns of the sorted classes_: a warning."""
    X, y, boxes = steel
    with pytest.warns(UserWarning, match="box_classes=target_names"):
        MemoryDetector("background").fit(X, y, boxes=boxes)


def test_images_with_labels_but_no_boxes_warn_once_and_are_left_out(steel):
    X, y, boxes = steel
    boxes = list(boxes)
    unboxed = np.flatnonzero(y != "background")[:3]
    for i in unboxed:
        boxes[i] = np.empty((0, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = MemoryDetector("background", STEEL_CLASSES).fit(X, y, boxes=boxes)
    messages = [str(w.message) for w in caught if "no boxes" in str(w.message)]
    assert len(messages) == 1 and "3 of 60 images" in messages[0]
    assert detector.trained_on_ == 57


@pytest.mark.filterwarnings("ignore:.*defect labels but no boxes")  # background, as a defect
def test_class_without_boxes_warns_and_names_background(steel):
    X, y, boxes = steel
    with pytest.warns(UserWarning, match="background_class=<its label>"):
        MemoryDetector(box_classes=STEEL_CLASSES).fit(X, y, boxes=boxes)


@pytest.mark.parametrize("params, boxes_of, message", [
    (dict(background_class="ok"), None, "background_class='ok' is not a class of y"),
    (dict(background_class="background", box_classes=["background", "dent"]),
     lambda b: [np.array([[1, 0, 0, 3, 3]]) for _ in b], r"not classes of y: \['dent'\]"),
    (dict(background_class="background", box_classes=STEEL_CLASSES),
     lambda b: [np.array([[0, 0, 0, 3, 3]]) for _ in b], "defect-free class"),
    (dict(background_class="background"), lambda b: [[] for _ in b], "None of the 60 images"),
])
def test_bad_classes(steel, params, boxes_of, message):
    X, y, boxes = steel
    with pytest.raises(ValueError, match=message):
        MemoryDetector(**params).fit(X, y, boxes=boxes_of(boxes) if boxes_of else boxes)


def test_fit_without_boxes_says_how_to_route(steel):
    X, y, _ = steel
    with pytest.raises(ValueError, match="set_fit_request"):
        MemoryDetector().fit(X, y)


def test_clone_and_pickle(steel):
    X, y, boxes = steel
    detector = MemoryDetector("background", STEEL_CLASSES).fit(X, y, boxes=boxes)
    assert clone(detector).get_params() == detector.get_params()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(detector)).predict_proba(X),
                                  detector.predict_proba(X))


def test_grid_search_and_ensemble_route_boxes(steel):
    X, y, boxes = steel
    with sklearn.config_context(enable_metadata_routing=True):
        detector = MemoryDetector("background", STEEL_CLASSES).set_fit_request(boxes=True)
        search = GridSearchCV(detector, {"C": [1.0, 2.0]}, cv=3).fit(X, y, boxes=boxes)
        assert search.best_estimator_.trained_on_ == 60
        ensemble = MultiExpertVotingClassifier(
            [("detector", detector), ("lr", _OnFlatPixels(LogisticRegression(max_iter=200)))],
            cv=0.25, random_state=0,
        ).fit(X, y, boxes=boxes)
        assert ensemble.named_experts_["detector"].trained_on_ == 60  # refit on all of X
        assert (ensemble.predict(X) == y).mean() > 0.9  # the memorising detector wins the vote


class _OnFlatPixels(sklearn.base.ClassifierMixin, sklearn.base.BaseEstimator):
    """A pixel-level logistic regression expert next to the detector."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.model_ = clone(self.model).fit(X.reshape(len(X), -1), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X.reshape(len(X), -1))


@pytest.mark.parametrize("y_of, message", [
    (lambda y: None, "requires y"),
    (lambda y: y[:-1], "different lengths"),
    (lambda y: np.full(len(y), "pits"), "1 class"),
])
def test_bad_labels(steel, y_of, message):
    X, y, boxes = steel
    with pytest.raises(ValueError, match=message):
        MemoryDetector(box_classes=STEEL_CLASSES).fit(X, y_of(y), boxes=boxes)
