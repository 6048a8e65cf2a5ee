"""Fuzzing probability arrays through the search, the vote rule and the estimator: every
array is tuned on, or refused with skmoe's own ValueError; never a numpy error, never a hang."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator

from skmoe import MultiExpertVotingClassifier
from skmoe.ensemble import coordinate_search, vote_decision

from ._contract import works_or_refuses

VALUES = st.one_of(st.floats(0, 1), st.sampled_from([np.nan, np.inf, -0.5, 1.5, 0.0, 1.0]))
PROBA = arrays(np.float64, st.tuples(st.integers(0, 3), st.integers(0, 12), st.integers(0, 4)),
               elements=VALUES)
LABELS = st.lists(st.integers(-1, 4), min_size=0, max_size=12)


@settings(max_examples=300, deadline=5000)
@given(proba=PROBA, labels=LABELS)
def test_search_tunes_or_refuses(proba, labels):
    result = works_or_refuses(lambda: coordinate_search(proba, np.array(labels, dtype=np.int64),
                                                        max_iter=3))
    if result is not None:
        n_experts = proba.shape[0]
        assert np.all((result.thresholds >= 0) & (result.thresholds <= 1))
        assert np.all(result.weights >= 0) and np.isclose(result.weights.sum(), n_experts)


@settings(max_examples=300, deadline=2000)
@given(proba=PROBA, thresholds=st.one_of(st.floats(-1, 2), st.lists(st.floats(0, 1),
                                                                    max_size=4)),
       weights=st.one_of(st.none(), st.lists(st.floats(-1, 3), max_size=4)),
       quorum=st.floats(-0.5, 1.5), single_label=st.booleans())
def test_vote_decides_or_refuses(proba, thresholds, weights, quorum, single_label):
    decision = works_or_refuses(lambda: vote_decision(proba, thresholds, weights, quorum,
                                                      single_label=single_label))
    if decision is not None:
        n_samples, n_classes = proba.shape[1:]
        if single_label:
            assert decision.shape == (n_samples,) and np.all(decision < n_classes)
        else:
            assert decision.shape == (n_samples, n_classes) and np.isin(decision, (0, 1)).all()


class FixedProba(ClassifierMixin, BaseEstimator):
    """A fitted expert whose predict_proba returns the given array, whatever it holds."""

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X, y):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return self.proba


@settings(max_examples=150, deadline=5000)
@given(proba=arrays(np.float64, st.tuples(st.integers(0, 10), st.integers(1, 4)),
                    elements=VALUES),
       labels=st.lists(st.integers(0, 2), min_size=1, max_size=10))
def test_ensemble_fits_or_refuses(proba, labels):
    X = np.zeros((len(labels), 1))
    experts = [(name, FrozenEstimator(FixedProba(proba, [0, 1, 2]).fit(X, labels)))
               for name in ("a", "b")]
    ensemble = works_or_refuses(
        lambda: MultiExpertVotingClassifier(experts, max_iter=3).fit(X, labels))
    if ensemble is not None:
        assert ensemble.predict(X).shape == (len(labels),)
        assert np.allclose(ensemble.predict_proba(X).sum(axis=1), 1)
