import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_score, recall_score

from skmoe.ensemble import coordinate_search, reaches_quorum, weighted_votes
from skmoe.ensemble._objectives import COUNT_OBJECTIVES, count_objective_value
from skmoe.ensemble._search import QUORUM_SLACK, _sweep, _SweepSteps, _VoteState


def _instance(seed, n_experts, n_samples, n_classes, decimals):
    """Random expert probabilities (rounded, so ties happen) and a random indicator."""
    rng = np.random.default_rng(seed)
    y = rng.random((n_samples, n_classes)) < rng.uniform(0.1, 0.6, n_classes)
    skill = rng.uniform(0.0, 2.0, size=(n_experts, 1, 1))
    logits = skill * (2 * y - 1) + rng.normal(size=(n_experts, n_samples, n_classes))
    return np.round(1 / (1 + np.exp(-logits)), decimals), y


def _state(proba, y, thresholds, weights, quorum=0.5, per_class=False,
           objective="precision_recall"):
    return _VoteState(np.ascontiguousarray(proba.transpose(0, 2, 1)), np.ascontiguousarray(y.T),
                      quorum, thresholds, weights, per_class, objective)


def _objective(proba, y, thresholds, weights, quorum=0.5, objective="precision_recall"):
    """The objective straight from the voting rule."""
    votes = weighted_votes(proba, thresholds, weights)
    predicted = reaches_quorum(votes, quorum, np.sum(weights))
    return count_objective_value(COUNT_OBJECTIVES[objective], y, predicted)


instances = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(1, 4),  # experts
    st.integers(2, 40),  # samples
    st.integers(1, 3),  # classes
    st.sampled_from([1, 2, 6]),  # decimals of the probabilities (ties when few)
)


@settings(max_examples=80, deadline=None)
@given(instance=instances, objective=st.sampled_from(["precision_recall", "f1"]),
       quorum=st.sampled_from([0.3, 0.5, 1.0]), data=st.data())
def test_threshold_step_equals_brute_force(instance, objective, quorum, data):
    """A threshold step reaches the best objective over every distinct score of the expert."""
    proba, y = _instance(*instance)
    n_experts = proba.shape[0]
    rng = np.random.default_rng(instance[0])
    thresholds = rng.uniform(0, 1, n_experts)
    weights = rng.uniform(0.1, 2, n_experts)
    k = data.draw(st.integers(0, n_experts - 1))
    state = _state(proba, y, thresholds, weights, quorum, objective=objective)
    _SweepSteps().threshold(state, k, slice(0, proba.shape[2]))

    candidates = np.unique(np.concatenate([proba[k].ravel(), [0.0, 1.0]]))
    weights = weights * n_experts / weights.sum()
    brute = max(
        _objective(proba, y, np.where(np.arange(n_experts) == k, t, thresholds), weights, quorum,
                   objective)
        for t in candidates
    )
    assert state.score() == pytest.approx(brute, abs=1e-9)
    assert _objective(proba, y, state.thresholds[0], state.weights, quorum, objective) == \
        pytest.approx(state.score(), abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(instance=instances, quorum=st.sampled_from([0.3, 0.5, 0.8]), data=st.data())
def test_weight_step_equals_brute_force(instance, quorum, data):
    """A weight step reaches the best objective over every breakpoint and interval."""
    proba, y = _instance(*instance)
    n_experts = proba.shape[0]
    if n_experts == 1:
        return
    rng = np.random.default_rng(instance[0])
    thresholds = rng.uniform(0.2, 0.8, n_experts)
    weights = rng.integers(1, 4, n_experts).astype(float)
    weights *= n_experts / weights.sum()
    k = data.draw(st.integers(0, n_experts - 1))
    state = _state(proba, y, thresholds, weights, quorum)
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
        _objective(proba, y, thresholds, np.where(np.arange(n_experts) == k, t, weights), quorum)
        for t in trials
        if others_total + t > 0
    )
    assert state.score() == pytest.approx(brute, abs=1e-9)
    assert (state.weights >= 0).all() and state.weights.sum() == pytest.approx(n_experts)


@settings(max_examples=40, deadline=None)
@given(instance=instances, per_class=st.booleans())
def test_search_never_lowers_the_objective(instance, per_class):
    """Every step keeps or raises the objective; weights stay >= 0 and sum to K."""
    proba, y = _instance(*instance)
    result = coordinate_search(proba, y, per_class_thresholds=per_class)
    assert np.all(np.diff(result.history) >= -1e-12)
    assert result.score >= result.history[0]
    assert (result.weights >= 0).all()
    assert result.weights.sum() == pytest.approx(proba.shape[0])
    expected_shape = proba.shape[::2] if per_class else proba.shape[:1]
    assert result.thresholds.shape == expected_shape
    assert result.score == pytest.approx(
        _objective(proba, y, result.thresholds, result.weights), abs=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(instance=instances)
def test_exact_search_is_never_below_the_grid_search(instance):
    """The exact search ends at least as high as the same search on the 99-point grid."""
    proba, y = _instance(*instance)
    exact = coordinate_search(proba, y, method="exact")
    grid = coordinate_search(proba, y, method="grid")
    assert exact.score >= grid.score - 1e-12


@settings(max_examples=30, deadline=None)
@given(instance=instances, data=st.data())
def test_permuting_experts_permutes_the_result(instance, data):
    """The search does not depend on the order the experts are given in."""
    proba, y = _instance(*instance)
    permutation = np.array(data.draw(st.permutations(range(proba.shape[0]))))
    result = coordinate_search(proba, y)
    permuted = coordinate_search(proba[permutation], y)
    assert permuted.score == pytest.approx(result.score, abs=1e-12)
    np.testing.assert_allclose(permuted.thresholds, result.thresholds[permutation])
    np.testing.assert_allclose(permuted.weights, result.weights[permutation])


def test_search_is_deterministic():
    """The same input gives the same thresholds, weights and history."""
    proba, y = _instance(3, 5, 300, 4, 3)
    a, b = coordinate_search(proba, y), coordinate_search(proba, y)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.history == b.history


def test_fixed_coordinates_stay_fixed():
    """With nothing to learn the search only scores the given thresholds and weights."""
    proba, y = _instance(0, 3, 100, 2, 3)
    result = coordinate_search(proba, y, thresholds=[0.2, 0.5, 0.7], weights=[1, 2, 3],
                               learn_thresholds=False, learn_weights=False)
    np.testing.assert_allclose(result.thresholds, [0.2, 0.5, 0.7])
    np.testing.assert_allclose(result.weights, [0.5, 1.0, 1.5])
    assert result.score == pytest.approx(
        _objective(proba, y, [0.2, 0.5, 0.7], [0.5, 1.0, 1.5]))


def test_callable_objective_follows_the_grid_search():
    """A metric callable is searched on the grid, with the same result as the named objective."""
    proba, y = _instance(1, 3, 200, 3, 3)

    def macro_precision_plus_recall(y_true, y_pred):
        return (precision_score(y_true, y_pred, average="macro", zero_division=0)
                + recall_score(y_true, y_pred, average="macro", zero_division=0)) / 2

    by_callable = coordinate_search(proba, y, objective=macro_precision_plus_recall)
    by_name = coordinate_search(proba, y, method="grid")
    assert by_callable.score == pytest.approx(by_name.score / 2)
    np.testing.assert_allclose(by_callable.thresholds, by_name.thresholds)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n_events=st.integers(1, 30), n_classes=st.integers(1, 4))
def test_sweep_matches_event_by_event_counting(seed, n_events, n_classes):
    """The vectorised sweep gives the objective after every event, as counting one by one does."""
    rng = np.random.default_rng(seed)
    term = COUNT_OBJECTIVES["precision_recall"]
    cls = rng.integers(0, n_classes, n_events).astype(np.int16)
    d_tp, d_fp = rng.integers(-1, 3, n_events), rng.integers(-1, 3, n_events)
    tp, fp = rng.integers(2, 6, n_classes), rng.integers(2, 6, n_classes)
    positives = tp + rng.integers(0, 5, n_classes)
    values = _sweep(term, tp, fp, positives, cls, d_tp, d_fp)
    expected = [term(tp, fp, positives).mean()]
    tp, fp = tp.copy(), fp.copy()
    for c, a, b in zip(cls, d_tp, d_fp):
        tp[c] += a
        fp[c] += b
        expected.append(term(tp, fp, positives).mean())
    np.testing.assert_allclose(values, expected, atol=1e-12)


def test_votes_and_quorum():
    """Votes are weighted sums of thresholded probabilities; ties reach the quorum."""
    proba = np.array([[[0.9, 0.1]], [[0.4, 0.6]]])  # 2 experts, 1 image, 2 classes
    votes = weighted_votes(proba, [0.5, 0.5], [1.0, 1.0])
    np.testing.assert_array_equal(votes, [[1.0, 1.0]])
    np.testing.assert_array_equal(reaches_quorum(votes, 0.5, 2.0), [[True, True]])
    np.testing.assert_array_equal(reaches_quorum(votes, 0.5 + 10 * QUORUM_SLACK, 2.0),
                                  [[False, False]])


@pytest.mark.parametrize("kwargs, err_msg", [
    ({"method": "random"}, "method must be"),
    ({"objective": "recall"}, "objective must be one of"),
])
def test_unknown_method_or_objective(kwargs, err_msg):
    """An unknown search method or objective name is refused."""
    proba, y = _instance(0, 2, 10, 2, 2)
    with pytest.raises(ValueError, match=err_msg):
        coordinate_search(proba, y, **kwargs)


def test_threads_give_the_same_result():
    """Running the two searches in threads changes nothing but the wall time."""
    proba, y = _instance(5, 4, 500, 3, 3)
    sequential = coordinate_search(proba, y)
    threaded = coordinate_search(proba, y, n_jobs=2)
    np.testing.assert_array_equal(threaded.thresholds, sequential.thresholds)
    np.testing.assert_array_equal(threaded.weights, sequential.weights)
    assert threaded.history == sequential.history
