import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_score, recall_score

from skmoe.ensemble import (
    coordinate_search,
    vote_decision,
)
from skmoe.ensemble._search import vote_objective

from ._instances import (
    INSTANCES,
    brute_force_optimum,
    random_instance,
    rule_objective,
    tiny_instance,
)


@settings(max_examples=40, deadline=None)
@given(instance=INSTANCES, per_class=st.booleans())
def test_search_never_lowers_the_objective(instance, per_class):
    """Every step keeps or raises the objective; weights stay >= 0 and sum to K."""
    proba, y = random_instance(*instance)
    result = coordinate_search(proba, y, per_class_thresholds=per_class)
    assert np.all(np.diff(result.history) >= -1e-12)
    assert result.score >= result.history[0]
    assert (result.weights >= 0).all()
    assert result.weights.sum() == pytest.approx(proba.shape[0])
    expected_shape = proba.shape[::2] if per_class else proba.shape[:1]
    assert result.thresholds.shape == expected_shape
    assert result.score == pytest.approx(
        rule_objective(proba, y, result.thresholds, result.weights), abs=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(instance=INSTANCES)
def test_exact_search_is_never_below_the_grid_search(instance):
    """The exact search ends at least as high as the same search on the 99-point grid."""
    proba, y = random_instance(*instance)
    exact = coordinate_search(proba, y, method="exact")
    grid = coordinate_search(proba, y, method="grid")
    assert exact.score >= grid.score - 1e-12


@settings(max_examples=30, deadline=None)
@given(instance=INSTANCES, data=st.data())
def test_permuting_experts_permutes_the_result(instance, data):
    """The search does not depend on the order the experts are given in."""
    proba, y = random_instance(*instance)
    permutation = np.array(data.draw(st.permutations(range(proba.shape[0]))))
    result = coordinate_search(proba, y)
    permuted = coordinate_search(proba[permutation], y)
    assert permuted.score == pytest.approx(result.score, abs=1e-12)
    np.testing.assert_allclose(permuted.thresholds, result.thresholds[permutation])
    np.testing.assert_allclose(permuted.weights, result.weights[permutation])


def test_search_is_deterministic():
    """The same input gives the same thresholds, weights and history."""
    proba, y = random_instance(3, 5, 300, 4, 3)
    a, b = coordinate_search(proba, y), coordinate_search(proba, y)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.history == b.history


def test_fixed_coordinates_stay_fixed():
    """With nothing to learn the search only scores the given thresholds and weights."""
    proba, y = random_instance(0, 3, 100, 2, 3)
    result = coordinate_search(proba, y, thresholds=[0.2, 0.5, 0.7], weights=[1, 2, 3],
                               learn_thresholds=False, learn_weights=False)
    np.testing.assert_allclose(result.thresholds, [0.2, 0.5, 0.7])
    np.testing.assert_allclose(result.weights, [0.5, 1.0, 1.5])
    assert result.score == pytest.approx(
        rule_objective(proba, y, [0.2, 0.5, 0.7], [0.5, 1.0, 1.5]))


def test_callable_objective_follows_the_grid_search():
    """A metric callable is searched on the grid, with the same result as the named objective."""
    proba, y = random_instance(1, 3, 200, 3, 3)

    def macro_precision_plus_recall(y_true, y_pred):
        return (precision_score(y_true, y_pred, average="macro", zero_division=0)
                + recall_score(y_true, y_pred, average="macro", zero_division=0)) / 2

    by_callable = coordinate_search(proba, y, objective=macro_precision_plus_recall)
    by_name = coordinate_search(proba, y, method="grid")
    assert by_callable.score == pytest.approx(by_name.score / 2)
    np.testing.assert_allclose(by_callable.thresholds, by_name.thresholds)


@pytest.mark.parametrize("kwargs, err_msg", [
    ({"method": "random"}, "'method' parameter of coordinate_search"),
    ({"objective": "recall"}, "'objective' parameter of coordinate_search"),
])
def test_unknown_method_or_objective(kwargs, err_msg):
    """An unknown search method or objective name is refused."""
    proba, y = random_instance(0, 2, 10, 2, 2)
    with pytest.raises(ValueError, match=err_msg):
        coordinate_search(proba, y, **kwargs)


def test_threads_give_the_same_result():
    """Running the two searches in threads changes nothing but the wall time."""
    proba, y = random_instance(5, 4, 500, 3, 3)
    sequential = coordinate_search(proba, y)
    threaded = coordinate_search(proba, y, n_jobs=2)
    np.testing.assert_array_equal(threaded.thresholds, sequential.thresholds)
    np.testing.assert_array_equal(threaded.weights, sequential.weights)
    assert threaded.history == sequential.history


def test_restart_finds_the_joint_move():
    """The issue's example: one coordinate at a time stops at 1.25; the optimum is 2.0."""
    proba = np.array([[[1.0], [0.9], [0.6], [0.7]], [[0.4], [1.0], [1.0], [0.7]]])
    y = np.array([[1], [0], [0], [0]])
    assert coordinate_search(proba, y).score == pytest.approx(2.0)


def test_search_reaches_the_global_optimum_of_tiny_problems():
    """On tiny random problems the search finds the brute-force optimum almost always."""
    found = [coordinate_search(*tiny_instance(seed)).score >=
             brute_force_optimum(*tiny_instance(seed)) - 1e-9 for seed in range(120)]
    assert np.mean(found) >= 0.92


def test_single_label_score_is_that_of_the_decision():
    """With 1-D y the score is the objective of the one class the rule predicts."""
    proba, y = random_instance(3, 3, 60, 4, 2)
    labels = np.random.default_rng(3).integers(0, 4, 60)
    result = coordinate_search(proba, labels)
    decision = vote_decision(proba, result.thresholds, result.weights, single_label=True)
    assert result.score == pytest.approx(
        vote_objective(proba, labels, result.thresholds, result.weights))
    assert result.score == pytest.approx(
        precision_score(labels, decision, average="macro", zero_division=0)
         + recall_score(labels, decision, average="macro", zero_division=0))


def test_plateau_keeps_the_start_and_takes_middles():
    """A start that is optimal stays; a move lands mid-way between scores, not on one."""
    y = np.array([[1], [1], [0], [0]])
    confident = np.array([[[0.9], [0.8], [0.1], [0.2]]])
    assert coordinate_search(confident, y).thresholds[0] == 0.5  # 0.5 is already optimal
    shifted = np.array([[[0.4], [0.35], [0.1], [0.2]]])  # the optimum is (0.2, 0.35]
    assert coordinate_search(shifted, y).thresholds[0] == pytest.approx(0.275, abs=0.01)


_PROBA = np.full((2, 4, 2), 0.5)
_Y = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])


@pytest.mark.parametrize("proba, y, kwargs, err_msg", [
    (np.where(np.eye(4, 2, dtype=bool), np.nan, _PROBA), _Y, {}, "NaN"),
    (_PROBA * 3, _Y, {}, r"\[0, 1\]"),
    (_PROBA[0], _Y, {}, "shape \\(n_experts, n_samples, n_classes\\)"),
    (_PROBA, _Y[:3], {}, "y_true must have shape"),
    (_PROBA, np.array([0, 1, 2, 0]), {}, "class indices"),
    (_PROBA, _Y * 2, {}, "0/1 indicator"),
    (_PROBA, _Y, {"weights": [-1, 3]}, "non-negative"),
    (_PROBA, _Y, {"weights": [0, 0]}, "positive sum"),
    (_PROBA, _Y, {"weights": [1, 1, 1]}, "one value per expert"),
    (_PROBA, _Y, {"quorum": 1.5}, r"quorum must lie in \(0, 1\]"),
    (_PROBA, _Y, {"thresholds": [0.5, 1.5]}, r"thresholds must lie in \[0, 1\]"),
    (_PROBA, _Y, {"max_iter": 0}, "max_iter"),
])
def test_bad_search_input(proba, y, kwargs, err_msg):
    """The public search validates its input like a scikit-learn function."""
    with pytest.raises(ValueError, match=err_msg):
        coordinate_search(proba, y, **kwargs)


def test_screened_restarts_on_large_data(monkeypatch):
    """Beyond the screening size, restarts run on a subsample; the result stays consistent."""
    from skmoe.ensemble import _search

    proba, y = random_instance(11, 3, 300, 3, 2)
    full = coordinate_search(proba, y)
    monkeypatch.setattr(_search, "_SCREEN_SAMPLES", 60)
    screened = coordinate_search(proba, y)
    assert screened.score == pytest.approx(
        rule_objective(proba, y, screened.thresholds, screened.weights), abs=1e-9)
    assert screened.score >= coordinate_search(proba, y, method="grid").score - 1e-12
    assert screened.score >= full.history[0]
