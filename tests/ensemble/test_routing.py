"""Fit parameters such as detector boxes reach the experts through metadata routing."""

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline

# Every fit of BoxedClassifier records the boxes it got; a module-level list survives clone().
SEEN, RECEIVED = [], []


class BoxedClassifier(ClassifierMixin, BaseEstimator):
    """Needs one 'box' per image, as a detector does; checks it belongs to the same image."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y, boxes=None):
        assert boxes is not None, "boxes did not arrive"
        assert len(boxes) == len(X)
        # Image i carries its own id in its first feature and as its box's x2 - 1.
        assert all(box[0, 3] - 1 == row[0] for box, row in zip(boxes, X))
        SEEN.append(len(boxes))
        RECEIVED.append(boxes)
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@pytest.fixture
def routing():
    SEEN.clear()
    RECEIVED.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(120.0), rng.normal(size=(120, 3))])
    y = np.where(X[:, 1] > 0, "pit", "background")
    boxes = [np.array([[1, 0, 0, i + 1, 1]]) for i in range(120)]
    return X, y, boxes


def test_voting_splits_boxes_with_X(routing, data):
    """With cv a fraction, the experts get the boxes of exactly their training images."""
    X, y, boxes = data
    expert = BoxedClassifier().set_fit_request(boxes=True)
    MultiExpertVotingClassifier([("detector", expert), ("lr", LogisticRegression())],
                                cv=0.25, refit=True, random_state=0).fit(X, y, boxes=boxes)
    assert len(SEEN) == 2 and abs(SEEN[0] - 90) <= 2 and SEEN[1] == 120


def test_voting_routes_boxes_to_out_of_fold_fits(routing, data):
    """With cv folds, every fold's fit gets the boxes of its training images."""
    X, y, boxes = data
    expert = BoxedClassifier().set_fit_request(boxes=True)
    MultiExpertVotingClassifier([("detector", expert)], cv=3).fit(X, y, boxes=boxes)
    assert SEEN == [80, 80, 80, 120]


def test_grid_search_splits_boxes(routing, data):
    """GridSearchCV splits the boxes with X before they reach the ensemble's experts."""
    X, y, boxes = data
    expert = BoxedClassifier().set_fit_request(boxes=True)
    search = GridSearchCV(
        MultiExpertVotingClassifier([("detector", expert)], cv=0.25, refit=True,
                                    random_state=0),
        {"detector__C": [0.1, 1.0]}, cv=2,
    ).fit(X, y, boxes=boxes)
    assert search.best_params_["detector__C"] in (0.1, 1.0)
    assert 120 in SEEN and 60 in SEEN


def test_two_stage_gives_the_classifier_defective_boxes(routing, data):
    """The defect classifier gets the boxes of the defective images only."""
    X, y, boxes = data
    model = TwoStagePipeline(LogisticRegression(), BoxedClassifier().set_fit_request(boxes=True))
    y3 = np.where(X[:, 2] > 0, y, np.where(y == "pit", "scratch", y))
    boxes = [np.array([[int(label == "scratch") + 1, 0, 0, i + 1, 1]])
             for i, label in enumerate(y3)]  # classes_: background, pit, scratch
    model.fit(X, y3, boxes=boxes)
    assert SEEN == [int((y3 != "background").sum())]
    defective = y3 != "background"
    got = RECEIVED[-1]  # class indices now columns of the classifier's classes_ (pit, scratch)
    assert [int(box[0, 0]) for box in got] == (y3[defective] == "scratch").astype(int).tolist()


def test_fit_params_without_routing_say_how(data):
    """Without metadata routing, fit parameters raise an error that says how to route them."""
    X, y, boxes = data
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        MultiExpertVotingClassifier([("lr", LogisticRegression())]).fit(X, y, boxes=boxes)


class RecordingGroupKFold(GroupKFold):
    """GroupKFold that records the groups its split got."""

    def split(self, X, y=None, groups=None):
        RECEIVED.append(groups)
        return super().split(X, y, groups)


@pytest.mark.parametrize("routed", [False, True])
def test_group_k_fold_gets_the_groups_given_to_fit(data, routed):
    """cv=GroupKFold(3) with fit(..., groups=...): no group is in a training fold and its
    tuning fold at once, with routing on or off (as cross_validate takes groups)."""
    X, y, _ = data
    groups = np.arange(len(X)) // 10
    RECEIVED.clear()
    ensemble = MultiExpertVotingClassifier([("lr", LogisticRegression())],
                                           cv=RecordingGroupKFold(3), weights="uniform")
    with sklearn.config_context(enable_metadata_routing=routed):
        ensemble.fit(X, y, groups=groups)
    np.testing.assert_array_equal(RECEIVED[0], groups)
    for train, test in GroupKFold(3).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
    assert ensemble.predict(X).shape == (len(X),)


def test_groups_without_a_splitter_are_refused(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="groups are used by a cross-validation splitter.*"
                                         "GroupKFold"):
        MultiExpertVotingClassifier([("lr", LogisticRegression())], cv=0.25).fit(
            X, y, groups=np.arange(len(X)) // 10)


@pytest.mark.parametrize("cv", ["prefit", 0.25, 3])
def test_routing_on_without_any_fit_parameter(routing, data, cv):
    """Routing switched on and nothing to route: every kind of fit works as with it off."""
    X, y, _ = data
    experts = [LogisticRegression(C=C) for C in (0.1, 1.0)]
    if cv == "prefit":
        experts = [expert.fit(X, y) for expert in experts]
    ensemble = MultiExpertVotingClassifier(list(zip(["lr", "lr2"], experts)), cv=cv)
    assert ensemble.fit(X, y).predict(X).shape == (len(X),)
