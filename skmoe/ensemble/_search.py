"""Alternating coordinate search for expert thresholds and weights (pure numpy).

The voting rule: expert k votes for class c of an image when its probability reaches its
threshold, ``p_kc >= delta_k``; class c is predicted when the weighted votes reach a quorum,
``V_c = sum_k w_k [p_kc >= delta_k] >= q_c * sum(w)``.

The search alternates two kinds of coordinate steps, each over one expert with the others fixed:

* **Threshold step.** With the others fixed, every (image, class) cell is either decided already
  (predicted whatever expert k says, or not predicted even if it votes) or undecided, and then
  predicted exactly when ``p_kc >= delta_k``. Sorting the undecided cells by score and sweeping
  them in order changes one class's confusion counts by one per cell, so the objective at every
  distinct score is known after one sort and a few cumulative sums: O(M log M) for M undecided
  cells, instead of one pass over all cells per candidate.
* **Weight step.** The rule is unchanged when all weights are scaled, so expert k's weight ``t``
  can move freely with the others fixed, and weights are rescaled to sum to K afterwards. A
  cell's prediction then changes at exactly one breakpoint in ``t``, and the same sweep over
  sorted breakpoints gives the objective on every interval.

Candidate values are the midpoints between neighbouring distinct scores (or breakpoints), so a
chosen threshold never sits on a score. A step moves only when it strictly improves the
objective, so the search never ends below its start; it stops when a cycle gains at most ``tol``.

Greedy exact steps can settle in a narrower optimum than coarse ones, so the exact search runs
twice from the same start, once with exact steps throughout and once coarse-to-fine (steps
restricted to the grids until they stop improving, then exact), and keeps the better result. The
coarse phase reproduces the grid search step for step, computed from the same sweeps, so the
exact search never ends below the grid search. Experts are visited strongest first (by their own
objective), which makes the result follow a permutation of the experts.

Objectives that are not functions of per-class confusion counts fall back to the grid search.
"""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ._steps import DEFAULT_THRESHOLD_GRID, DEFAULT_WEIGHT_GRID, _GridSteps, _SweepSteps
from ._vote_state import _DECIMALS, QUORUM_SLACK, _per_class, _VoteState

# Below this many (expert, sample, class) cells, starting threads costs more than it saves.
_THREADS_FROM_CELLS = 200_000


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
    """

    thresholds: np.ndarray
    weights: np.ndarray
    score: float
    history: list = field(default_factory=list)
    n_iter: int = 0


def weighted_votes(expert_proba, thresholds, weights):
    """Weighted votes ``V[n, c] = sum_k w_k [p_knc >= delta_k(c)]``.

    Parameters
    ----------
    expert_proba : ndarray of shape (n_experts, n_samples, n_classes)
    thresholds : ndarray of shape (n_experts,) or (n_experts, n_classes)
    weights : ndarray of shape (n_experts,)

    Returns
    -------
    votes : ndarray of shape (n_samples, n_classes)
    """
    expert_proba = np.asarray(expert_proba)
    thresholds = _per_class(thresholds, expert_proba.shape[0], expert_proba.shape[2])
    votes = np.zeros(expert_proba.shape[1:])
    for proba, threshold, weight in zip(expert_proba, thresholds, weights):
        if weight:
            votes += weight * (proba >= threshold)
    return votes


def reaches_quorum(votes, quorum, total_weight):
    """Indicator of the cells whose votes reach ``quorum * total_weight`` (with rounding slack)."""
    return votes >= (np.asarray(quorum) - QUORUM_SLACK) * total_weight


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
        Each expert's probability that each class is present in each image.
    y_true : ndarray of shape (n_samples, n_classes)
        True 0/1 indicator matrix.
    quorum : float or ndarray of shape (n_classes,), default=0.5
        Fraction of the total weight a class needs to be predicted, in (0, 1].
    thresholds : float or ndarray of shape (n_experts,) or (n_experts, n_classes), default=0.5
        Starting (or, with ``learn_thresholds=False``, fixed) thresholds.
    weights : ndarray of shape (n_experts,), default=None
        Starting (or fixed) weights; uniform by default. Rescaled to sum to n_experts.
    learn_thresholds, learn_weights : bool, default=True
        Which coordinates to search.
    per_class_thresholds : bool, default=False
        One threshold per (expert, class) instead of one per expert.
    objective : {"precision_recall", "f1"} or callable, default="precision_recall"
        ``"precision_recall"`` is macro precision + macro recall, ``"f1"`` macro F1. A callable
        ``metric(y_true, y_pred) -> float`` on 0/1 indicator matrices (higher is better) is
        searched on the grids.
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
        Threads for the exact search's two runs (exact from the start, and coarse-to-fine):
        1 runs them one after the other, any other number in two threads. None picks two
        threads from 200,000 cells (samples x classes) up on a machine with two cores or
        more, where the threads pay for their start.
    callback : callable, default=None
        Called as ``callback(run, n_iter, score)`` after every cycle, ``run`` being one of
        ``"grid"``, ``"coarse"``, ``"fine"`` (coarse-to-fine) or ``"exact"`` (progress output).

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
    if method not in ("exact", "grid"):
        raise ValueError(f"method must be 'exact' or 'grid'; got {method!r}.")
    run = dict(learn_thresholds=learn_thresholds, learn_weights=learn_weights,
               max_iter=max_iter, tol=tol, callback=callback)
    grids = (np.asarray(threshold_grid, dtype=float), np.asarray(weight_grid, dtype=float))

    proba = np.ascontiguousarray(np.asarray(expert_proba, dtype=np.float64).transpose(0, 2, 1))
    truth = np.ascontiguousarray(np.asarray(y_true, dtype=bool).T)

    def new_state():
        return _VoteState(proba, truth, quorum, thresholds, weights, per_class_thresholds,
                          objective)

    state = new_state()
    if method == "grid" or state.term is None:
        runs = [_run(state, _GridSteps(*grids), "grid", **run)]
    else:
        def coarse_to_fine():
            coarse = _run(state, _SweepSteps(*grids), "coarse", **run)
            return _run(state, _SweepSteps(), "fine", **run, history=coarse.history)

        def exact():
            return _run(new_state(), _SweepSteps(), "exact", **run)

        if not _use_threads(n_jobs, proba.size):
            runs = [coarse_to_fine(), exact()]
        else:  # the two runs share only read-only arrays; numpy releases the GIL in its loops
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(coarse_to_fine), pool.submit(exact)]
                runs = [future.result() for future in futures]
    best = max(runs, key=lambda result: round(result.score, _DECIMALS))
    if not per_class_thresholds:
        best.thresholds = best.thresholds[:, 0]
    return best


def _run(state, steps, name, *, learn_thresholds, learn_weights, max_iter, tol, callback,
         history=None):
    """Alternate threshold and weight steps until a cycle gains at most ``tol``."""
    history = [state.score()] if history is None else list(history)
    order = _strongest_first(state)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        start = history[-1]
        if learn_thresholds:
            for k in order:
                for rows in state.threshold_scopes():
                    steps.threshold(state, k, rows)
                    history.append(state.score())
        if learn_weights and state.n_experts > 1:
            for k in order:
                steps.weight(state, k)
                history.append(state.score())
        if callback is not None:
            callback(name, n_iter, history[-1])
        if history[-1] - start <= tol:
            break
    return SearchResult(state.thresholds.T.copy(), state.weights.copy(), history[-1], history,
                        n_iter)


def _use_threads(n_jobs, n_cells):
    if n_jobs is None:
        return n_cells >= _THREADS_FROM_CELLS and (os.cpu_count() or 1) >= 2
    return n_jobs != 1


def _strongest_first(state):
    """Experts in order of their own objective, best first; ties broken by content."""
    solo = [state.evaluate(state.hits[k]) for k in range(state.n_experts)]
    tied = [solo.count(s) > 1 for s in solo]
    keys = [
        (-score, hashlib.blake2b(state.proba[k].tobytes(), digest_size=16).digest() if tie else b"")
        for k, (score, tie) in enumerate(zip(solo, tied))
    ]
    return sorted(range(state.n_experts), key=keys.__getitem__)
