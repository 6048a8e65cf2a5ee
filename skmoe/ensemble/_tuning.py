"""tune_vote: the search and the guard over the experts' probabilities, one result (pure numpy).

Both the estimator's ``fit`` and ``skmoe run`` (which tunes on saved probabilities) call it: the
inputs are checked once here, and the search and the guard's resampled searches work on the
checked arrays.
"""

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from ..utils._sklearn_compat import Interval, validate_params
from ._guard import held_out_gains, tuning_generalises
from ._search import SEARCH_CONSTRAINTS, SEARCH_DEFAULTS, check_search_inputs, search_checked


@dataclass
class VoteTuning:
    """Outcome of :func:`tune_vote`.

    Attributes
    ----------
    thresholds : ndarray of shape (n_experts,) or (n_experts, n_classes)
        The vote's thresholds: the search's, or the start's when the guard kept it.
    weights : ndarray of shape (n_experts,), non-negative, summing to n_experts
    score : float
        Objective of the vote at those thresholds and weights on the tuning data.
    history : list of float
        Objective at the start and after every step of the search.
    n_iter : int
        Number of search cycles.
    tuning_kept : bool
        False when the guard kept the starting vote.
    guard_gains : ndarray
        Held-out gains of tuning over the start on each half (empty without the guard).
    """

    thresholds: np.ndarray
    weights: np.ndarray
    score: float
    history: list = field(default_factory=list)
    n_iter: int = 0
    tuning_kept: bool = True
    guard_gains: np.ndarray = field(default_factory=lambda: np.empty(0))


@validate_params({**{name: SEARCH_CONSTRAINTS[name] for name in SEARCH_CONSTRAINTS
                    if name not in ("threshold_grid", "weight_grid")},
                  "guard_resamples": [Interval(Integral, 0, None, closed="left")],
                  "random_state": ["random_state"]},
                 prefer_skip_nested_validation=True)
def tune_vote(expert_proba, y_true, *, quorum=0.5, thresholds=0.5, weights=None,
              learn_thresholds=True, learn_weights=True, per_class_thresholds=False,
              objective="precision_recall", method="exact", max_iter=10, tol=1e-4,
              guard_resamples=5, random_state=None, n_jobs=None, callback=None):
    """Learn thresholds and weights, and keep them only where the guard finds they generalise.

    Runs :func:`coordinate_search` on all the tuning data, then the guard
    (:func:`~skmoe.ensemble._guard.resampled_gains`): tuning is kept when it gains on held-out
    halves on average and in at least three quarters of the halves that are not ties;
    otherwise the starting vote is returned, as the search normalises it (weights summing to
    n_experts).

    Parameters
    ----------
    expert_proba, y_true, quorum, thresholds, weights, learn_thresholds, learn_weights, \
per_class_thresholds, objective, method, max_iter, tol, n_jobs, callback
        As in :func:`coordinate_search`.
    guard_resamples : int, default=5
        Random halvings of the guard; 0 keeps the search's result unchecked. Without anything
        to learn there is no guard.
    random_state : int, RandomState instance or None, default=None
        Seed of the guard's halvings; None uses 0, so that the same tuning data always gives
        the same decision.

    Returns
    -------
    VoteTuning

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import tune_vote
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(90) % 3
    >>> proba = np.clip(np.eye(3)[y] + rng.normal(0, 0.3, (2, 90, 3)), 0, 1)
    >>> result = tune_vote(proba, y)
    >>> result.weights.sum(), result.guard_gains.shape
    (np.float64(2.0), (10,))
    """
    search_params = {**SEARCH_DEFAULTS, "quorum": quorum, "thresholds": thresholds,
                     "weights": weights, "learn_thresholds": learn_thresholds,
                     "learn_weights": learn_weights, "per_class_thresholds": per_class_thresholds,
                     "objective": objective, "method": method, "max_iter": max_iter, "tol": tol,
                     "n_jobs": n_jobs}
    data = check_search_inputs(expert_proba, y_true, quorum=quorum, thresholds=thresholds,
                               weights=weights)
    tuned = search_checked(data, **{**search_params, "callback": callback})
    result = VoteTuning(tuned.thresholds, tuned.weights, tuned.score, tuned.history,
                        tuned.n_iter)
    if not (guard_resamples and (learn_thresholds or learn_weights)):
        return result
    result.guard_gains = held_out_gains(data, n_resamples=guard_resamples,
                                        random_state=0 if random_state is None else random_state,
                                        search_params=search_params)
    result.tuning_kept = tuning_generalises(result.guard_gains)
    if not result.tuning_kept:
        start = search_checked(data, **{**search_params, "learn_thresholds": False,
                                        "learn_weights": False})
        result.thresholds, result.weights, result.score = \
            start.thresholds, start.weights, start.score
    return result
