"""tune_vote: the search and the guard in one call, on probability arrays."""

import numpy as np
import pytest
from joblib import parallel_config

from skmoe.ensemble import coordinate_search, tune_vote, vote_objective
from skmoe.ensemble._guard import resampled_gains, tuning_generalises

from .test_guard import _experts


def _problem(noise, seed=0, n=120):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    proba = np.clip(np.eye(3)[y] + rng.normal(0, noise, (3, n, 3)), 0, 1)
    return proba, y


def test_tuning_equals_the_search_when_the_guard_keeps_it():
    """A strong expert whose scores never reach 0.5: tuning gains on every half, is kept,
    and is exactly the search's result."""
    proba, y = _experts(300, 0.45, 0)
    result = tune_vote(proba, y, random_state=0)
    search = coordinate_search(proba, y)
    assert result.tuning_kept
    np.testing.assert_array_equal(result.thresholds, search.thresholds)
    np.testing.assert_array_equal(result.weights, search.weights)
    assert result.score == search.score and result.history == search.history
    np.testing.assert_array_equal(result.guard_gains,
                                  resampled_gains(proba, y, n_resamples=5, random_state=0))


def test_the_guard_falls_back_to_the_start_the_search_would_normalise():
    """Equal experts: nothing generalises, so the start comes back, weights summing to K."""
    proba, y = _problem(0.45, seed=3)
    weights = np.array([2.0, 1.0, 1.0])
    result = tune_vote(proba, y, thresholds=0.4, weights=weights, learn_weights=False,
                       random_state=0)
    assert not tuning_generalises(result.guard_gains)
    assert not result.tuning_kept
    np.testing.assert_array_equal(result.thresholds, [0.4, 0.4, 0.4])
    np.testing.assert_allclose(result.weights, weights * 3 / 4)
    assert result.score == pytest.approx(vote_objective(proba, y, 0.4, weights))


def test_no_guard_without_anything_to_learn_or_when_switched_off():
    proba, y = _problem(0.3)
    fixed = tune_vote(proba, y, learn_thresholds=False, learn_weights=False)
    unguarded = tune_vote(proba, y, guard_resamples=0)
    assert fixed.guard_gains.size == 0 and fixed.tuning_kept
    assert unguarded.guard_gains.size == 0
    assert unguarded.score == coordinate_search(proba, y).score


def test_inputs_are_checked_once_per_call(monkeypatch):
    """The guard's ten searches work on the checked arrays: one check per tune_vote."""
    from skmoe.ensemble import _search, _tuning

    calls = []
    original = _search.check_search_inputs
    monkeypatch.setattr(_tuning, "check_search_inputs",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    monkeypatch.setattr(_search, "check_search_inputs",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    tune_vote(*_problem(0.3), guard_resamples=5)
    assert calls == [1]


def test_threads_from_joblib_change_nothing():
    """n_jobs and joblib's parallel_config run the restarts in threads, same result."""
    proba, y = _problem(0.35)
    one = tune_vote(proba, y, n_jobs=1)
    with parallel_config(n_jobs=2):
        two = tune_vote(proba, y)
    np.testing.assert_array_equal(one.thresholds, two.thresholds)
    np.testing.assert_array_equal(one.guard_gains, two.guard_gains)


@pytest.mark.parametrize("bad, message", [
    ({"guard_resamples": -1}, "The .guard_resamples. parameter of tune_vote must be an int"),
    ({"method": "random"}, "The .method. parameter of tune_vote must be a str among"),
    ({"quorum": 0}, r"quorum must lie in \(0, 1\]"),
])
def test_bad_arguments_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        tune_vote(*_problem(0.3), **bad)


def test_parameters_are_validated_once_inside_the_estimator(monkeypatch):
    """The ensemble validates its parameters when fit begins; tune_vote, which it calls, does
    not validate them again (scikit-learn's validate_params, skipped when nested)."""
    import sklearn.base
    import sklearn.utils._param_validation as validation
    from sklearn.frozen import FrozenEstimator

    from skmoe import MultiExpertVotingClassifier
    from skmoe.datasets import make_steel_defects
    from skmoe.experts import TextureExpert

    X, y = make_steel_defects(90, image_size=16, random_state=0)
    experts = [(name, FrozenEstimator(TextureExpert(bins=b).fit(X, y))) for name, b in
               (("a", 8), ("b", 16))]
    callers = []
    original = validation.validate_parameter_constraints

    def record(constraints, params, caller_name):
        callers.append(caller_name)
        return original(constraints, params, caller_name)

    for module in (validation, sklearn.base):  # functions' and estimators' validation
        monkeypatch.setattr(module, "validate_parameter_constraints", record)
    MultiExpertVotingClassifier(experts).fit(X, y)
    assert "tune_vote" not in callers
    assert callers.count("MultiExpertVotingClassifier") == 1
    tune_vote(*_problem(0.3))
    assert callers[-1] == "tune_vote"
