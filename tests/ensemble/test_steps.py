import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skmoe.ensemble import vote_decision
from skmoe.ensemble._objectives import COUNT_OBJECTIVES
from skmoe.ensemble._steps import _SweepSteps

from ._instances import (
    INSTANCES,
    count_objective_value,
    random_instance,
    rule_objective,
    vote_state,
)


@settings(max_examples=80, deadline=None)
@given(instance=INSTANCES, objective=st.sampled_from(["precision_recall", "f1"]),
       quorum=st.sampled_from([0.3, 0.5, 1.0]), data=st.data())
def test_threshold_step_equals_brute_force(instance, objective, quorum, data):
    """A threshold step reaches the best objective over every distinct score of the expert."""
    proba, y = random_instance(*instance)
    n_experts = proba.shape[0]
    rng = np.random.default_rng(instance[0])
    thresholds = rng.uniform(0, 1, n_experts)
    weights = rng.uniform(0.1, 2, n_experts)
    k = data.draw(st.integers(0, n_experts - 1))
    state = vote_state(proba, y, thresholds, weights, quorum, objective=objective)
    _SweepSteps().threshold(state, k, slice(0, proba.shape[2]))

    candidates = np.unique(np.concatenate([proba[k].ravel(), [0.0, 1.0]]))
    weights = weights * n_experts / weights.sum()
    brute = max(
        rule_objective(proba, y, np.where(np.arange(n_experts) == k, t, thresholds), weights,
                       quorum, objective)
        for t in candidates
    )
    assert state.score() == pytest.approx(brute, abs=1e-9)
    assert rule_objective(proba, y, state.thresholds[0], state.weights, quorum, objective) == \
        pytest.approx(state.score(), abs=1e-9)


def _weight_step_start(instance, proba, data):
    """Random thresholds, integer-ratio weights summing to K, and the expert to move."""
    n_experts = proba.shape[0]
    rng = np.random.default_rng(instance[0])
    thresholds = rng.uniform(0.2, 0.8, n_experts)
    weights = rng.integers(1, 4, n_experts).astype(float)
    weights *= n_experts / weights.sum()
    return n_experts, thresholds, weights, data.draw(st.integers(0, n_experts - 1))


@settings(max_examples=80, deadline=None)
@given(instance=INSTANCES, quorum=st.sampled_from([0.3, 0.5, 0.8]), data=st.data())
def test_weight_step_equals_brute_force(instance, quorum, data):
    """A weight step reaches the best objective over every breakpoint and interval."""
    proba, y = random_instance(*instance)
    if proba.shape[0] == 1:
        return
    n_experts, thresholds, weights, k = _weight_step_start(instance, proba, data)
    state = vote_state(proba, y, thresholds, weights, quorum)
    _SweepSteps().weight(state, k)

    # Brute force: a cell changes at t = (q S - A) / (1 - q) (when expert k votes) or at
    # t = (A - q S) / q (when it does not); try every such point and every gap between.
    hits = proba >= thresholds[:, None, None]
    others = np.tensordot(np.delete(weights, k), np.delete(hits, k, axis=0), axes=1)
    others_total = weights.sum() - weights[k]
    points = np.where(hits[k], (quorum * others_total - others) / (1 - quorum),
                      (others - quorum * others_total) / quorum).ravel()
    points = np.unique(np.append(points[points >= 0], 0.0))
    trials = np.concatenate([points, (points[1:] + points[:-1]) / 2, [points.max() * 2 + 1]])
    brute = max(
        rule_objective(proba, y, thresholds, np.where(np.arange(n_experts) == k, t, weights),
                       quorum)
        for t in trials
        if others_total + t > 0
    )
    assert state.score() == pytest.approx(brute, abs=1e-9)
    assert (state.weights >= 0).all() and state.weights.sum() == pytest.approx(n_experts)


def _single_label_instance(instance):
    proba, y = random_instance(*instance)
    labels = np.random.default_rng(instance[0]).integers(0, proba.shape[2], proba.shape[1])
    return proba, labels


def _decision_objective(proba, labels, thresholds, weights, quorum, objective="precision_recall"):
    """The objective of the single-label decision straight from the voting rule."""
    n_classes = proba.shape[2]
    decision = vote_decision(proba, thresholds, weights, quorum, single_label=True)
    return count_objective_value(COUNT_OBJECTIVES[objective],
                                 labels[:, None] == np.arange(n_classes),
                                 decision[:, None] == np.arange(n_classes))


@settings(max_examples=60, deadline=None)
@given(instance=INSTANCES, objective=st.sampled_from(["precision_recall", "f1"]),
       quorum=st.sampled_from([0.3, 0.5, 1.0]), data=st.data())
def test_single_label_threshold_step_equals_brute_force(instance, objective, quorum, data):
    """Single-label: a threshold step reaches the best decision objective over every score."""
    proba, labels = _single_label_instance(instance)
    n_experts = proba.shape[0]
    rng = np.random.default_rng(instance[0])
    thresholds = rng.uniform(0, 1, n_experts)
    weights = rng.uniform(0.1, 2, n_experts)
    weights *= n_experts / weights.sum()
    k = data.draw(st.integers(0, n_experts - 1))
    truth = labels[:, None] == np.arange(proba.shape[2])
    state = vote_state(proba, truth, thresholds, weights, quorum, objective=objective,
                       single_label=True)
    _SweepSteps().threshold(state, k, slice(0, proba.shape[2]))

    candidates = np.unique(np.concatenate([proba[k].ravel(), [0.0, 1.0]]))
    brute = max(
        _decision_objective(proba, labels, np.where(np.arange(n_experts) == k, t, thresholds),
                            weights, quorum, objective)
        for t in candidates
    )
    assert state.score() == pytest.approx(brute, abs=1e-9)
    assert _decision_objective(proba, labels, state.thresholds[0], state.weights, quorum,
                               objective) == pytest.approx(state.score(), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(instance=INSTANCES, quorum=st.sampled_from([0.3, 0.5, 0.8]), data=st.data())
def test_single_label_weight_step_equals_brute_force(instance, quorum, data):
    """Single-label: a weight step is at least as good as a fine scan of the weight."""
    proba, labels = _single_label_instance(instance)
    if proba.shape[0] == 1:
        return
    n_experts, thresholds, weights, k = _weight_step_start(instance, proba, data)
    truth = labels[:, None] == np.arange(proba.shape[2])
    state = vote_state(proba, truth, thresholds, weights, quorum, single_label=True)
    start = state.score()
    _SweepSteps().weight(state, k)

    # Expert k's share of the total weight, finely, and the start itself.
    others_total = weights.sum() - weights[k]
    shares = np.linspace(0, 0.995, 400)
    trials = np.append(shares * others_total / (1 - shares), weights[k])
    brute = max(
        _decision_objective(proba, labels, thresholds,
                            np.where(np.arange(n_experts) == k, t, weights), quorum)
        for t in trials
    )
    assert state.score() >= brute - 1e-9
    assert state.score() >= start
    assert _decision_objective(proba, labels, thresholds, state.weights, quorum) == \
        pytest.approx(state.score(), abs=1e-9)
