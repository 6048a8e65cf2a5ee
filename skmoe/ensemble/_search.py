"""Alternating coordinate search for expert thresholds and weights (pure numpy).

The voting rule (see :mod:`._rule`): expert k votes for class c of an image when its
probability reaches its threshold, ``p_kc >= delta_k``; with indicator ``y`` class c is
predicted when the weighted votes reach a quorum, ``V_c >= q_c * sum(w)``; with single-label
``y`` the one class with the largest ``V_c / q_c`` is. The search scores exactly the decision
``predict`` makes: the indicator, or the one label.

The search alternates two kinds of coordinate steps, each over one expert with the others fixed:

* **Threshold step.** A sample's decision depends on expert k's threshold only through k's own
  scores for it (at most C breakpoints). Sorting those breakpoints and sweeping them in order
  changes the confusion counts by a few cells at a time, so the objective on every stretch
  between distinct scores is known after one sort and a few cumulative sums: O(M log M) for M
  breakpoints, instead of one pass over all cells per candidate.
* **Weight step.** The rule is unchanged when all weights are scaled, so expert k's weight ``t``
  can move freely with the others fixed, and weights are rescaled to sum to K afterwards. A
  sample's decision changes at a few breakpoints in ``t`` (one per cell for indicator ``y``,
  at most C - 1 for single-label ``y``), and the same sweep gives the objective on every
  breakpoint and every stretch between.

Each step is exact, but the whole search is a coordinate-wise optimum, not a global one. Ties are
the rule on small validation sets, so a step moves only on a strict gain and then to the middle
of the widest optimal stretch (see :mod:`._choice`). The search stops when a cycle gains at most
``tol``.

**Restarts.** The search runs from several starts and keeps the best result, the earlier start
on a tie: coarse-to-fine from the given start (steps restricted to the grids until they stop
improving, then exact; its coarse phase reproduces the grid search step for step, so the result
is never below the grid search) and, when thresholds are learned, exact steps from every
threshold at each of a few common levels (beyond 20,000
samples these run on a subsample of 20,000, and only the best of them is refined on every
sample, so that restarts cost little on large data). Experts are visited
strongest first (by their own objective), which makes the result follow a permutation of the
experts.

Objectives that are not functions of per-class confusion counts fall back to the grid search.
"""

import hashlib
import inspect
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from ._choice import DECIMALS
from ._objectives import COUNT_OBJECTIVES, LeastOverkill
from ._rule import check_vote_arguments
from ._steps import DEFAULT_THRESHOLD_GRID, DEFAULT_WEIGHT_GRID, _GridSteps, _SweepSteps
from ._vote_state import _VoteState

# Common starting thresholds of the restarts.
RESTART_LEVELS = (0.2, 0.35, 0.65, 0.8)
# Beyond this many samples the restarts run on a subsample of this size, and only the best of
# them is refined on every sample.
_SCREEN_SAMPLES = 20_000


@dataclass
class SearchResult:
    """Outcome of :func:`coordinate_search`.

    Attributes
    ----------
    thresholds : ndarray of shape (n_experts,) or (n_experts, n_classes)
    weights : ndarray of shape (n_experts,), non-negative, summing to n_experts
    score : float
        Objective at the returned thresholds and weights.
    history : list of float
        Objective at the start and after every step of the returned run.
    n_iter : int
        Number of cycles of the returned run.
    start : str
        Which start the returned run began from: ``"coarse-to-fine"`` (the given start),
        ``"thresholds=<level>"`` (every threshold starting at that level, with
        ``" (screened)"`` when chosen on a subsample), or ``"grid"``.

    See Also
    --------
    coordinate_search : returns it.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import coordinate_search
    >>> rng = np.random.default_rng(0)
    >>> result = coordinate_search(rng.random((2, 20, 3)), np.arange(20) % 3)
    >>> result.thresholds.shape, result.weights.sum()
    ((2,), np.float64(2.0))
    """

    thresholds: np.ndarray
    weights: np.ndarray
    score: float
    history: list = field(default_factory=list)
    n_iter: int = 0
    start: str = ""


# The public functions' parameters, validated once at their call by scikit-learn's
# validate_params (inside a fitted estimator, whose own parameters are validated, not again).
# The arrays' values (probabilities, thresholds, weights, quorum) are checked by
# check_search_inputs, which also makes them the search's arrays.
SEARCH_CONSTRAINTS = {
    "expert_proba": ["array-like"],
    "y_true": ["array-like"],
    "quorum": [Real, "array-like"],
    "thresholds": [Real, "array-like"],
    "weights": [None, "array-like"],
    "learn_thresholds": ["boolean"],
    "learn_weights": ["boolean"],
    "per_class_thresholds": ["boolean"],
    "objective": [StrOptions(set(COUNT_OBJECTIVES)), LeastOverkill, callable],
    "method": [StrOptions({"exact", "grid"})],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "threshold_grid": ["array-like"],
    "weight_grid": ["array-like"],
    "n_jobs": [Integral, None],
    "callback": [callable, None],
}


@validate_params(SEARCH_CONSTRAINTS, prefer_skip_nested_validation=True)
def coordinate_search(
    expert_proba,
    y_true,
    *,
    quorum=0.5,
    thresholds=0.5,
    weights=None,
    learn_thresholds=True,
    learn_weights=True,
    per_class_thresholds=False,
    objective="precision_recall",
    method="exact",
    max_iter=10,
    tol=1e-4,
    threshold_grid=DEFAULT_THRESHOLD_GRID,
    weight_grid=DEFAULT_WEIGHT_GRID,
    n_jobs=None,
    callback=None,
):
    """Learn expert thresholds and weights by alternating coordinate search.

    Parameters
    ----------
    expert_proba : ndarray of shape (n_experts, n_samples, n_classes)
        Each expert's probability that each class is present in each image, in [0, 1].
    y_true : ndarray of shape (n_samples, n_classes) or (n_samples,)
        True 0/1 indicator matrix, scored on the indicator of the classes that reach their
        quorum; or, for single-label problems, each sample's class index in
        ``0 .. n_classes - 1``, scored on the one class the single-label rule picks.
    quorum : float or ndarray of shape (n_classes,), default=0.5
        Fraction of the total weight a class needs to be predicted, in (0, 1].
    thresholds : float or ndarray of shape (n_experts,) or (n_experts, n_classes), default=0.5
        Starting (or, with ``learn_thresholds=False``, fixed) thresholds, in [0, 1].
    weights : ndarray of shape (n_experts,), default=None
        Starting (or fixed) weights, non-negative with a positive sum; uniform by default.
        Rescaled to sum to n_experts.
    learn_thresholds, learn_weights : bool, default=True
        Which coordinates to search.
    per_class_thresholds : bool, default=False
        One threshold per (expert, class) instead of one per expert.
    objective : {"precision_recall", "f1"}, LeastOverkill or callable, \
default="precision_recall"
        ``"precision_recall"`` is macro precision + macro recall, ``"f1"`` macro F1;
        :class:`LeastOverkill` the least overkill with the escape rate at most a bound (an
        inspection line's operating point; single-label ``y``). All three are searched
        exactly. A callable ``metric(y_true, y_pred) -> float`` on 0/1 indicator matrices
        (higher is better) is searched on the grids.
    method : {"exact", "grid"}, default="exact"
        ``"exact"`` sweeps every distinct score and breakpoint; ``"grid"`` evaluates only
        ``threshold_grid`` and ``weight_grid``, one pass over the data per candidate (used for
        callables, and as the baseline the benchmark measures against).
    max_iter : int, default=10
        Maximum number of cycles (each visits every expert's thresholds, then weights).
    tol : float, default=1e-4
        Stop when a cycle improves the objective by at most this.
    threshold_grid : ndarray, default=99 points from 0.01 to 0.99
        Candidate thresholds of the grid search and the coarse phase.
    weight_grid : ndarray, default=0 to 3.7 by 0.1
        Candidate weights of an expert, relative to the mean of the other weights.
    n_jobs : int, default=None
        Threads for the exact search's restarts, through joblib: ``None`` means 1 unless in a
        ``joblib.parallel_config`` context, -1 one per core. Threads pay for their start from
        about 200,000 cells (samples x classes) up.
    callback : callable, default=None
        Called as ``callback(run, n_iter, score)`` after every cycle, ``run`` being one of
        ``"grid"``, ``"coarse"``, ``"fine"`` (coarse-to-fine) or ``"thresholds=<level>"``
        (progress output).

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import coordinate_search
    >>> rng = np.random.RandomState(0)
    >>> y = rng.random_sample((200, 3)) < 0.3
    >>> proba = np.clip(y + rng.normal(0, 0.4, size=(4, 200, 3)), 0, 1)
    >>> result = coordinate_search(proba, y)
    >>> result.score >= result.history[0]
    True
    >>> float(result.weights.sum())
    4.0
    """
    data = check_search_inputs(expert_proba, y_true, quorum=quorum, thresholds=thresholds,
                               weights=weights)
    return search_checked(data, quorum=quorum, thresholds=thresholds, weights=weights,
                          learn_thresholds=learn_thresholds, learn_weights=learn_weights,
                          per_class_thresholds=per_class_thresholds, objective=objective,
                          method=method, max_iter=max_iter, tol=tol,
                          threshold_grid=threshold_grid, weight_grid=weight_grid,
                          n_jobs=n_jobs, callback=callback)


def search_checked(data, *, quorum, thresholds, weights, learn_thresholds, learn_weights,
                   per_class_thresholds, objective, method, max_iter, tol, threshold_grid,
                   weight_grid, n_jobs, callback):
    """:func:`coordinate_search` of inputs already checked by :func:`check_search_inputs`."""
    proba, truth, single_label = data
    run = dict(learn_thresholds=learn_thresholds, learn_weights=learn_weights,
               max_iter=max_iter, tol=tol, callback=callback)
    grids = (np.asarray(threshold_grid, dtype=float), np.asarray(weight_grid, dtype=float))

    state = _VoteState(proba, truth, quorum, thresholds, weights, per_class_thresholds,
                       objective, single_label=single_label)
    if method == "grid" or state.term is None:
        runs = [_run(state, _GridSteps(*grids), "grid", **run)]
    else:
        def coarse_to_fine():
            coarse = _run(state, _SweepSteps(*grids), "coarse", **run)
            fine = _run(state, _SweepSteps(), "fine", **run, history=coarse.history)
            fine.start = "coarse-to-fine"
            return fine

        def exact(start_thresholds, start_weights, name, rows=slice(None)):
            """Exact steps from another start, on all samples or on ``rows``."""
            restart = _VoteState(proba[:, :, rows], truth[:, rows], quorum, start_thresholds,
                                 start_weights, per_class_thresholds, objective,
                                 single_label=single_label)
            return _run(restart, _SweepSteps(), name, **run)

        def screened(levels):
            """Restarts on a subsample; the best on all samples is refined on all of them."""
            rows = np.sort(np.random.default_rng(0).choice(
                state.n_samples, _SCREEN_SAMPLES, replace=False))
            candidates = [exact(level, weights, name, rows) for level, _, name in levels]
            full_scores = [score_checked(data, found.thresholds, found.weights, quorum=quorum,
                                         objective=objective) for found in candidates]
            found = candidates[int(np.argmax(np.round(full_scores, DECIMALS)))]
            return exact(found.thresholds, found.weights, f"{found.start} (screened)")

        restarts = _restarts(weights, learn_thresholds)
        starts = [coarse_to_fine]
        if restarts and state.n_samples > _SCREEN_SAMPLES:
            starts.append(lambda: screened(restarts))
        else:
            starts += [lambda start=start: exact(*start) for start in restarts]
        # The runs share read-only arrays and numpy releases the GIL in its loops: threads, as
        # many as n_jobs says (None: 1, or joblib.parallel_config's).
        runs = Parallel(n_jobs=n_jobs, require="sharedmem")(
            delayed(start)() for start in starts)
    # The earliest start wins a tie: the given start before the restarts.
    best = max(runs, key=lambda result: round(result.score, DECIMALS))
    if not per_class_thresholds:
        best.thresholds = best.thresholds[:, 0]
    return best


class VoteData(NamedTuple):
    """A search's probabilities and truth, checked and class-major."""

    proba: np.ndarray  # (n_experts, n_classes, n_samples)
    truth: np.ndarray  # (n_classes, n_samples), bool
    single_label: bool

    def rows(self, rows):
        """The same data on a subset of the samples."""
        return VoteData(self.proba[:, :, rows], self.truth[:, rows], self.single_label)


# coordinate_search's keyword parameters and their defaults (for callers that fill in some).
SEARCH_DEFAULTS = {name: parameter.default
                   for name, parameter in inspect.signature(coordinate_search).parameters.items()
                   if parameter.kind is parameter.KEYWORD_ONLY}


def check_search_inputs(expert_proba, y_true, *, quorum, thresholds, weights):
    """Check the search's arrays, once per public call; return them as :class:`VoteData`."""
    proba, thresholds, weights, quorum = check_vote_arguments(expert_proba, thresholds,
                                                              weights, quorum)
    n_experts, n_samples, n_classes = proba.shape
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == n_classes and y.shape[0] == n_samples:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("y_true as a 2-D array must be a 0/1 indicator matrix.")
        truth, single_label = y.astype(bool), False
    elif y.ndim == 1 and len(y) == n_samples:
        if not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool) or \
                y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"y_true as a 1-D array must hold class indices in 0 .. "
                             f"{n_classes - 1} (the columns of expert_proba); got {y[:5]}...")
        truth, single_label = y[:, None] == np.arange(n_classes), True
    else:
        raise ValueError(
            f"y_true must have shape ({n_samples}, {n_classes}) (indicator) or ({n_samples},) "
            f"(class indices) to match expert_proba {proba.shape}; got shape {y.shape}.")

    proba = np.ascontiguousarray(proba.transpose(0, 2, 1))
    return VoteData(proba, np.ascontiguousarray(truth.T), single_label)


def _run(state, steps, name, *, learn_thresholds, learn_weights, max_iter, tol, callback,
         history=None):
    """Alternate threshold and weight steps until a cycle gains at most ``tol``.

    A step depends only on the current thresholds and weights, so a step that already ran
    since the last change of either would do nothing again: it is skipped.
    """
    history = [state.score()] if history is None else list(history)
    order = _strongest_first(state)
    ran_at = {}  # step -> state.changes when it last ran

    def step(key, function, *args):
        if ran_at.get(key) != state.changes:
            function(state, *args)
            ran_at[key] = state.changes
        history.append(state.score())

    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        start = history[-1]
        if learn_thresholds:
            for k in order:
                for rows in state.threshold_scopes():
                    step(("threshold", k, rows.start), steps.threshold, k, rows)
        if learn_weights and state.n_experts > 1:
            for k in order:
                step(("weight", k), steps.weight, k)
        if callback is not None:
            callback(name, n_iter, history[-1])
        if history[-1] - start <= tol:
            break
    return SearchResult(state.thresholds.T.copy(), state.weights.copy(), history[-1], history,
                        n_iter, name)


def _restarts(weights, learn_thresholds):
    """(thresholds, weights, name) of the exact runs beside coarse-to-fine, in order of priority.

    A coordinate step cannot move two thresholds at once, so a vote can stall where only a
    joint move gains (two experts' thresholds together, under a majority). Starting every
    threshold from a few common levels reached the global optimum of 95.7% of 1,000 tiny random
    problems (brute force, ``benchmarks/bench_search.py``), against 85% from the given start
    alone; starts with all the weight on one expert, or random starts, added less for their
    cost, and exact steps from the given start (beside coarse-to-fine) nothing.
    """
    if not learn_thresholds:
        return []
    return [(level, weights, f"thresholds={level}") for level in RESTART_LEVELS]


def _strongest_first(state):
    """Experts in order of their own objective, best first; ties broken by content."""
    solo = [state.evaluate(state.decide(state.hits[k], state.proba[k], 1.0))
            for k in range(state.n_experts)]
    tied = [solo.count(s) > 1 for s in solo]
    keys = [
        (-score, hashlib.blake2b(state.proba[k].tobytes(), digest_size=16).digest() if tie else b"")
        for k, (score, tie) in enumerate(zip(solo, tied))
    ]
    return sorted(range(state.n_experts), key=keys.__getitem__)


@validate_params({name: SEARCH_CONSTRAINTS[name] for name in (
    "expert_proba", "y_true", "thresholds", "weights", "quorum", "objective")},
    prefer_skip_nested_validation=True)
def vote_objective(expert_proba, y_true, thresholds=0.5, weights=None, *, quorum=0.5,
                   objective="precision_recall"):
    """Objective of the vote's decision with the given thresholds and weights.

    Parameters are as in :func:`coordinate_search`; ``weights=None`` means equal weights.
    This is the score ``coordinate_search`` reports for its result.

    Returns
    -------
    score : float
    """
    data = check_search_inputs(expert_proba, y_true, quorum=quorum, thresholds=thresholds,
                               weights=weights)
    return score_checked(data, thresholds, weights, quorum=quorum, objective=objective)


def score_checked(data, thresholds, weights, *, quorum, objective):
    """:func:`vote_objective` of inputs already checked by :func:`check_search_inputs`."""
    return _VoteState(data.proba, data.truth, quorum, thresholds, weights,
                      np.ndim(thresholds) == 2, objective,
                      single_label=data.single_label).score()
