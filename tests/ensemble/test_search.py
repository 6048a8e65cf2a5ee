import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_score, recall_score

from skmoe.ensemble import coordinate_search, reaches_quorum, weighted_votes
from skmoe.ensemble._rule import QUORUM_SLACK

from ._instances import INSTANCES, random_instance, rule_objective


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
