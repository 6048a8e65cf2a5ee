"""The shared detector behaviour, on a detector without a network: it 'detects' the boxes it
was given for an image it has seen."""

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

# --- BaseDetector, with a memorising stand-in for a network ----------------------------------

class MemoryDetector(BaseDetector):
    """'Detects' each training image's boxes (confidence 0.9) when it sees the image again."""

    def __init__(self, background_class="auto", min_score=0.0, C=1.0, device="cpu",
                 random_state=None):
        self.background_class = background_class
        self.min_score = min_score
        self.C = C  # a parameter to tune in GridSearchCV
        self.device = device
        self.random_state = random_state

    def _train(self, source, boxes, sizes, indicator):
        assert sizes.shape == (len(boxes), 2) and len(indicator) == len(boxes)
        self.memory_ = {image.tobytes(): b for image, b in zip(source.array, boxes)}
        self.trained_on_ = len(boxes)

    def _detect(self, source, device):
        found = [self.memory_.get(image.tobytes(), np.empty((0, 5))) for image in source.array]
        return [np.column_stack([b, np.full(len(b), 0.9)]) for b in found]


@pytest.fixture(scope="module")
def steel():
    return make_steel_defects(60, image_size=32, class_weights=[1, 1, 1, 1, 1],
                              return_boxes=True, random_state=0)


def test_scores_follow_classes_and_background(steel):
    """The synthetic data goes straight in: box indices are columns, background is found."""
    X, y, boxes = steel
    detector = MemoryDetector().fit(X, y, boxes=boxes)
    assert detector.classes_.tolist() == list(STEEL_CLASSES)
    assert detector.classes_[detector.background_index_] == "background"
    proba = detector.predict_proba(X)
    defect = y != "background"
    np.testing.assert_allclose(proba[defect, detector.background_index_], 0.1)
    np.testing.assert_allclose(proba[~defect, detector.background_index_], 1.0)
    assert (detector.predict(X) == y).all()  # box class indices were mapped to classes_


def test_box_classes_in_another_order_warn(steel):
    """Box indices in another order than the sorted classes_ are caught by a warning."""
    X, y, boxes = steel
    shifted = [np.column_stack([(b[:, 0] % 4) + 1, b[:, 1:]]) for b in boxes]
    with pytest.warns(UserWarning, match="renumber the boxes"):
        MemoryDetector("background").fit(X, y, boxes=shifted)


@pytest.mark.filterwarnings("ignore:.*have no boxes")
def test_auto_background_needs_exactly_one_class_without_boxes(steel):
    """Two classes without any box: "auto" cannot tell which is defect-free, so none is."""
    X, y, boxes = steel
    without_pits = [b[b[:, 0] != 3] for b in boxes]
    assert MemoryDetector().fit(X, y, boxes=without_pits).background_index_ is None
    assert MemoryDetector(None).fit(X, y, boxes=boxes).background_index_ is None


def test_images_with_labels_but_no_boxes_warn_once_and_are_left_out(steel):
    X, y, boxes = steel
    boxes = list(boxes)
    unboxed = np.flatnonzero(y != "background")[:3]
    for i in unboxed:
        boxes[i] = np.empty((0, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = MemoryDetector("background").fit(X, y, boxes=boxes)
    messages = [w for w in caught if "no boxes" in str(w.message)]
    assert len(messages) == 1 and "3 of 60 images" in str(messages[0].message)
    # The warning points at the user's line, not at skmoe's or scikit-learn's wrappers.
    assert messages[0].filename == __file__
    assert detector.trained_on_ == 57


def test_boxes_on_images_labelled_defect_free_warn(steel):
    """A box on an image labelled defect-free is a labelling error the user hears about."""
    X, y, boxes = steel
    boxes = list(boxes)
    clean = np.flatnonzero(y == "background")[:2]
    for i in clean:
        boxes[i] = np.array([[1, 2, 2, 10, 10]])
    with pytest.warns(UserWarning, match=rf"2 of 60 images labelled defect-free \('background'\) "
                                         rf"have boxes \(e.g. image {clean[0]}\)"):
        MemoryDetector("background").fit(X, y, boxes=boxes)


@pytest.mark.filterwarnings("ignore:.*defect labels but no boxes")  # background, as a defect
def test_class_without_boxes_warns_and_names_background(steel):
    X, y, boxes = steel
    with pytest.warns(UserWarning, match="background_class=<its label>"):
        MemoryDetector(None).fit(X, y, boxes=boxes)


@pytest.mark.parametrize("params, boxes_of, message", [
    (dict(background_class="ok"), None, "background_class='ok' is not a class of y"),
    (dict(background_class="background"),
     lambda b: [np.array([[5, 0, 0, 3, 3]]) for _ in b], "class index 5"),
    (dict(background_class="background"),
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
    detector = MemoryDetector().fit(X, y, boxes=boxes)
    assert clone(detector).get_params() == detector.get_params()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(detector)).predict_proba(X),
                                  detector.predict_proba(X))


def test_grid_search_and_ensemble_route_boxes(steel):
    X, y, boxes = steel
    with sklearn.config_context(enable_metadata_routing=True):
        detector = MemoryDetector().set_fit_request(boxes=True)
        search = GridSearchCV(detector, {"C": [1.0, 2.0]}, cv=3).fit(X, y, boxes=boxes)
        assert search.best_estimator_.trained_on_ == 60
        ensemble = MultiExpertVotingClassifier(
            [("detector", detector), ("lr", _OnFlatPixels(LogisticRegression(max_iter=200)))],
            cv=0.25, refit=True, random_state=0,
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
        MemoryDetector().fit(X, y_of(y), boxes=boxes)


# --- every loader's Bunch goes straight in ----------------------------------------------------

class PathMemoryDetector(MemoryDetector):
    """MemoryDetector for path inputs: remembers each file's boxes."""

    def _train(self, source, boxes, sizes, indicator):
        self.memory_ = dict(zip(source.paths, boxes))

    def _detect(self, source, device):
        found = [self.memory_.get(path, np.empty((0, 5))) for path in source.paths]
        return [np.column_stack([b, np.full(len(b), 0.9)]) for b in found]


def _loaded(data_root, name):
    from skmoe.datasets import load_magnetic_tile, load_neu, load_severstal

    if name == "neu":
        return load_neu(data_root / "neu-det")
    if name == "magnetic-tile":
        return load_magnetic_tile(data_root / "magnetic-tile")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*not in .*train_images; skipped")
        return load_severstal(data_root / "severstal-sample", annotations="train_partial.csv",
                              images="covered_images.txt")


@pytest.mark.parametrize("name, background", [
    ("neu", None), ("magnetic-tile", "MT_Free"), ("severstal", 0)])
def test_every_loader_goes_straight_into_a_detector(data_root, name, background):
    """No class order and no defect-free class to pass: boxes index classes_, the defect-free
    class is found, and no warning says the boxes disagree with the labels."""
    bunch = _loaded(data_root, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = PathMemoryDetector().fit(bunch.images, bunch.target, boxes=bunch.boxes)
    assert not [w for w in caught if "renumber the boxes" in str(w.message)]
    # Only a class without a single image (class_2 in the Severstal sample) lacks boxes.
    unboxed = [str(w.message) for w in caught if "have no boxes" in str(w.message)]
    assert len(unboxed) == (name == "severstal")
    if unboxed:
        assert "[2]" in unboxed[0] and not np.asarray(bunch.target)[:, 2].any()
    assert list(detector.classes_) == (list(bunch.target_names) if np.ndim(bunch.target) == 1
                                       else list(range(len(bunch.target_names))))
    found = (None if detector.background_index_ is None
             else detector.classes_[detector.background_index_])
    assert found == background
    assert bunch.background_class == (None if background is None
                                      else bunch.target_names[detector.background_index_])
