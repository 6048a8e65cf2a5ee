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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ._objectives import COUNT_OBJECTIVES

# The quorum is compared with this much slack, so that a vote sum that equals the quorum up to
# floating-point rounding (e.g. 0.1 + 0.2 vs 0.3) counts as reaching it.
QUORUM_SLACK = 1e-9

DEFAULT_THRESHOLD_GRID = np.round(np.linspace(0.01, 0.99, 99), 2)
# Grid for an expert's weight relative to the mean of the other weights; 0 drops the expert.
DEFAULT_WEIGHT_GRID = np.round(np.arange(0.0, 3.71, 0.1), 1)

# The weight step groups cells by voting pattern, a bit mask of the experts that vote; beyond
# this many experts the masks do not fit in 64 bits and weights are searched on the grid.
_MAX_CODED_EXPERTS = 63
# Weight breakpoints closer than this (relative) are the same breakpoint up to rounding.
_BREAKPOINT_RTOL = 1e-12
# Up to 2**_MAX_DENSE_BITS patterns are counted with bincount, more with np.unique.
_MAX_DENSE_BITS = 16

# Objective values are compared after rounding to this many decimals, so that sums that differ
# only by floating-point noise count as ties and ties are broken the same way every time.
_DECIMALS = 12


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
        With a value other than None or 1, the exact search's two runs (exact from the start,
        and coarse-to-fine) go to two threads; worth it from about 10^5 cells.
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

        if n_jobs is None or n_jobs == 1:
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


class _VoteState:
    """Hits, votes and confusion counts of one search, updated in place by every step.

    Arrays are class-major, (n_classes, n_samples), so that per-class work is contiguous.
    """

    def __init__(self, proba, truth, quorum, thresholds, weights, per_class, objective):
        # proba (n_experts, n_classes, n_samples) and truth (n_classes, n_samples), class-major.
        self.proba, self.truth = proba, truth
        self.n_experts, self.n_classes, self.n_samples = proba.shape
        self.positives = np.count_nonzero(self.truth, axis=1)
        quorum = np.broadcast_to(np.asarray(quorum, dtype=float), (self.n_classes,))
        self.quorum = (quorum - QUORUM_SLACK)[:, None]
        self.per_class = per_class
        # thresholds[c, k]: class-major like the rest.
        self.thresholds = _per_class(thresholds, self.n_experts, self.n_classes).T.copy()
        self.weights = (np.ones(self.n_experts) if weights is None
                        else np.asarray(weights, dtype=float).copy())
        self.weights *= self.n_experts / self.weights.sum()
        if callable(objective):
            self.term, self.metric = None, objective
        elif objective in COUNT_OBJECTIVES:
            self.term, self.metric = COUNT_OBJECTIVES[objective], None
        else:
            raise ValueError(f"objective must be one of {sorted(COUNT_OBJECTIVES)} or a callable "
                             f"metric(y_true, y_pred); got {objective!r}.")
        self._rebuild()

    def _rebuild(self):
        """Recompute hits, votes, predictions and counts from thresholds and weights."""
        self.hits = self.proba >= self.thresholds.T[:, :, None]
        self.votes = np.zeros((self.n_classes, self.n_samples))
        for weight, hits in zip(self.weights, self.hits):
            self.votes += weight * hits
        self.predicted = self.votes >= self.quorum * self.total_weight
        self.tp, self.fp = _counts(self.truth, self.predicted)
        # Each cell's voting pattern as a bit mask (bit k: expert k votes), for the weight step.
        self.codes = None
        if self.n_experts <= _MAX_CODED_EXPERTS:
            self.codes = np.zeros((self.n_classes, self.n_samples), dtype=np.uint64)
            for k, hits in enumerate(self.hits):
                self.codes |= hits.astype(np.uint64) << np.uint64(k)
        self._pattern_table = None

    @property
    def total_weight(self):
        return self.weights.sum()

    def threshold_scopes(self):
        """The class rows a threshold step covers: all at once, or one at a time."""
        if self.per_class:
            return [slice(c, c + 1) for c in range(self.n_classes)]
        return [slice(0, self.n_classes)]

    def evaluate(self, predicted, tp=None, fp=None):
        """Objective of a (class-major) prediction; counts may be given when known."""
        if self.term is None:
            return round(float(self.metric(self.truth.T.astype(np.int64),
                                           predicted.T.astype(np.int64))), _DECIMALS)
        if tp is None:
            tp, fp = _counts(self.truth, predicted)
        return _objective(self.term, tp, fp, self.positives)

    def score(self):
        return self.evaluate(self.predicted, self.tp, self.fp)

    def set_threshold(self, k, rows, threshold):
        # Only cells whose score lies between the old and the new threshold change; update
        # those alone rather than every cell.
        hits = self.hits[k, rows].reshape(-1)
        new_hits = self.proba[k, rows].reshape(-1) >= threshold
        changed = np.flatnonzero(new_hits != hits)
        self.thresholds[rows, k] = threshold
        if changed.size == 0:
            return
        gained = new_hits[changed]
        hits[changed] = gained
        votes = self.votes[rows].reshape(-1)
        votes[changed] += np.where(gained, self.weights[k], -self.weights[k])
        if self.codes is not None:
            self.codes[rows].reshape(-1)[changed] ^= np.uint64(1) << np.uint64(k)
            self._pattern_table = None
        predicted = self.predicted[rows].reshape(-1)
        cls = changed // self.n_samples
        now = votes[changed] >= self.quorum[rows].ravel()[cls] * self.total_weight
        flips = np.flatnonzero(now != predicted[changed])
        if flips.size:
            cells, sign = changed[flips], np.where(now[flips], 1, -1)
            predicted[cells] = now[flips]
            truth = self.truth[rows].reshape(-1)[cells]
            n_rows = self.votes[rows].shape[0]
            d_tp = np.bincount(cls[flips], weights=sign * truth, minlength=n_rows)
            d_fp = np.bincount(cls[flips], weights=sign * ~truth, minlength=n_rows)
            self.tp[rows] += d_tp.astype(np.int64)
            self.fp[rows] += d_fp.astype(np.int64)

    def set_weight(self, k, weight):
        self.votes += (weight - self.weights[k]) * self.hits[k]
        self.weights[k] = weight
        scale = self.n_experts / self.total_weight
        self.weights *= scale
        self.votes *= scale
        self._refresh(slice(None))

    def _refresh(self, rows):
        self.predicted[rows] = self.votes[rows] >= self.quorum[rows] * self.total_weight
        self.tp[rows], self.fp[rows] = _counts(self.truth[rows], self.predicted[rows])

    def pattern_table(self):
        """Cells grouped by (class, voting pattern): the weight step works on these groups.

        Weights do not change who votes, so the table holds for a whole round of weight steps.

        Returns
        -------
        cls : ndarray of shape (n_groups,)
            Class of each group.
        votes_for : ndarray of shape (n_groups, n_experts) of bool
            Which experts vote in each group.
        n_true, n_false : ndarray of shape (n_groups,)
            Number of cells of each group where the class is present, and absent.
        """
        if self._pattern_table is None:
            self._pattern_table = _group_patterns(self.codes, self.truth, self.n_experts)
        return self._pattern_table

    def move(self, setter, *args, expected):
        """Apply a step; undo it if the real objective falls short of the sweep's value.

        Sweeps and the real rule agree except where a candidate lands within rounding of a
        breakpoint; the check keeps the search from ever going down in that case.
        """
        before = self.score()
        thresholds, weights = self.thresholds.copy(), self.weights.copy()
        setter(*args)
        if self.score() < min(before, expected) - 10.0**-_DECIMALS:
            self.thresholds, self.weights = thresholds, weights
            self._rebuild()


def _group_patterns(codes, truth, n_experts):
    """Count present and absent cells per (class, voting pattern); see ``pattern_table``."""
    classes, patterns, n_true, n_false = [], [], [], []
    for c, (row_codes, row_truth) in enumerate(zip(codes, truth)):
        if n_experts <= _MAX_DENSE_BITS:  # few patterns: count them all directly
            n_cells = np.bincount(row_codes.astype(np.intp), minlength=1 << n_experts)
            n_present = np.bincount(row_codes[row_truth].astype(np.intp),
                                    minlength=1 << n_experts)
            row_patterns = np.flatnonzero(n_cells).astype(np.uint64)
            n_cells, n_present = n_cells[row_patterns], n_present[row_patterns]
        else:
            row_patterns, inverse = np.unique(row_codes, return_inverse=True)
            n_cells = np.bincount(inverse, minlength=len(row_patterns))
            n_present = np.bincount(inverse[row_truth], minlength=len(row_patterns))
        classes.append(np.full(len(row_patterns), c, dtype=np.int16))
        patterns.append(row_patterns)
        n_true.append(n_present)
        n_false.append(n_cells - n_present)
    patterns = np.concatenate(patterns)
    experts = np.arange(n_experts, dtype=np.uint64)
    votes_for = ((patterns[:, None] >> experts) & np.uint64(1)).astype(bool)
    return (np.concatenate(classes), votes_for, np.concatenate(n_true).astype(np.int64),
            np.concatenate(n_false).astype(np.int64))


def _per_class(thresholds, n_experts, n_classes):
    """Thresholds as an (n_experts, n_classes) array."""
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim == 0:
        thresholds = np.full(n_experts, float(thresholds))
    if thresholds.ndim == 1:
        thresholds = np.repeat(thresholds[:, None], n_classes, axis=1)
    return thresholds


def _counts(truth, predicted):
    """Per-row true and false positives of class-major indicator arrays."""
    tp = np.array([np.count_nonzero(t & p) for t, p in zip(truth, predicted)], dtype=np.int64)
    fp = np.array([np.count_nonzero(p) for p in predicted], dtype=np.int64) - tp
    return tp, fp


def _objective(term, tp, fp, positives):
    return round(float(np.mean(term(tp, fp, positives))), _DECIMALS)


def _strongest_first(state):
    """Experts in order of their own objective, best first; ties broken by content."""
    solo = [state.evaluate(state.hits[k]) for k in range(state.n_experts)]
    tied = [solo.count(s) > 1 for s in solo]
    keys = [
        (-score, hashlib.blake2b(state.proba[k].tobytes(), digest_size=16).digest() if tie else b"")
        for k, (score, tie) in enumerate(zip(solo, tied))
    ]
    return sorted(range(state.n_experts), key=keys.__getitem__)


def _best(values):
    """Index of the first maximum after rounding away floating-point noise."""
    return int(np.argmax(np.round(values, _DECIMALS)))


# --- Exact steps: sort once, sweep the confusion counts ----------------------------------------


class _SweepSteps:
    """Threshold and weight steps computed by sweeping sorted cells.

    With grids, only the grid candidates are eligible (the coarse phase); the sweep gives their
    objective all the same, at the cost of one sort.
    """

    def __init__(self, threshold_grid=None, weight_grid=None):
        self.threshold_grid = threshold_grid
        self.weight_grid = weight_grid

    def threshold(self, state, k, rows):
        weight = state.weights[k]
        if weight == 0:
            return
        # A cell is decided when the other experts' votes reach the quorum without expert k,
        # undecided when they reach it only with k's vote. Votes include k's own where it
        # votes, so compare them with the quorum shifted by k's weight.
        need = state.quorum[rows] * state.total_weight
        votes, hits = state.votes[rows], state.hits[k, rows]
        above = votes >= need
        decided = (votes >= need + weight) | (above & ~hits)
        undecided = np.flatnonzero(np.where(hits, above, votes >= need - weight) & ~decided)
        if undecided.size == 0:
            return
        tp, fp = state.tp.copy(), state.fp.copy()
        tp[rows], fp[rows] = _counts(state.truth[rows], decided)

        first_class = rows.start
        scores = state.proba[k, rows].ravel()[undecided]
        cls = (first_class + undecided // state.n_samples).astype(np.int16)
        truth = state.truth[rows].ravel()[undecided]
        if self.threshold_grid is None:
            candidates, values = _threshold_sweep(state, scores, cls, truth, tp, fp)
        else:
            candidates = self.threshold_grid
            values = _threshold_histogram(state, scores, cls, truth, tp, fp, candidates)
        best = _best(values)
        if round(values[best], _DECIMALS) > state.score():
            state.move(state.set_threshold, k, rows, candidates[best], expected=values[best])

    def weight(self, state, k):
        if state.codes is None:  # too many experts for voting-pattern masks
            grid = DEFAULT_WEIGHT_GRID if self.weight_grid is None else self.weight_grid
            return _GridSteps(None, grid).weight(state, k)
        cls, votes_for, n_true, n_false = state.pattern_table()
        weight = state.weights[k]
        others_total = state.total_weight - weight
        # With the others fixed, the cells of a pattern are predicted at weight t when
        #   others + t * hit >= q * (others_total + t),  i.e.  margin >= t * (q - hit),
        # where margin = others - q * others_total: one breakpoint per pattern. The
        # prediction at t = 0 follows the rule (with its slack); breakpoints use the exact
        # quorum, so that a tie sits exactly on one.
        hit = votes_for[:, k]
        quorum = state.quorum.ravel()[cls] + QUORUM_SLACK
        others = votes_for @ state.weights - weight * hit
        margin = others - quorum * others_total
        base = others >= (quorum - QUORUM_SLACK) * others_total
        switch_on = hit & ~base & (quorum < 1)  # predicted from t = -margin / (1 - q)
        switch_off = ~hit & base  # predicted up to t = margin / q (ties reach the quorum)
        events = np.flatnonzero(switch_on | switch_off)
        if events.size == 0:
            return
        tp = np.bincount(cls[base], weights=n_true[base], minlength=state.n_classes)
        fp = np.bincount(cls[base], weights=n_false[base], minlength=state.n_classes)

        on = switch_on[events]
        positions = np.where(on, -margin[events] / np.where(on, 1 - quorum[events], 1),
                             np.maximum(margin[events] / quorum[events], 0.0))
        # Breakpoints are ratios of vote sums, so equal ones can differ by rounding: group
        # them, and within a group put the cells switching on before those switching off.
        order = np.argsort(positions)
        positions = positions[order]
        group = np.cumsum(np.append(True, np.diff(positions) > _BREAKPOINT_RTOL
                                    * np.maximum(1.0, positions[1:]))) - 1
        within = np.lexsort((~on[order], group))
        order, positions, group = order[within], positions[within], group[within]
        on, events = on[order], events[order]
        sign = np.where(on, 1, -1)
        values = _sweep(state.term, tp, fp, state.positives, cls[events],
                        sign * n_true[events], sign * n_false[events])

        # Each group gives two candidates: t on the breakpoint (a tie, where the cells
        # switching on already count and those switching off still do), and t past it, at
        # the midpoint to the next group (the last one beyond the largest breakpoint).
        starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
        ends = np.append(starts[1:], len(positions))
        n_on = np.add.reduceat(on.astype(np.int64), starts)
        at = np.minimum.reduceat(positions, starts)
        top = np.maximum.reduceat(positions, starts)
        last = 2 * top[-1] if top[-1] > 0 else max(others_total, 1.0)
        past = (top + np.append(at[1:], last)) / 2
        candidates = np.concatenate([[0.0], np.column_stack([at, past]).ravel()])
        applied = np.concatenate([[0], np.column_stack([starts + n_on, ends]).ravel()])
        if self.weight_grid is not None:
            candidates = self.weight_grid * others_total / (state.n_experts - 1)
            applied = _applied_at(candidates, at, starts + n_on, ends)
        values = values[applied]
        if others_total <= 0:
            values = np.where(candidates > 0, values, -np.inf)  # all weights would be zero
        best = _best(values)
        if round(values[best], _DECIMALS) > state.score():
            state.move(state.set_weight, k, candidates[best], expected=values[best])


def _threshold_sweep(state, scores, cls, truth, tp, fp):
    """Candidate thresholds between every pair of neighbouring distinct undecided scores."""
    order = np.argsort(-scores)
    scores, cls, truth = scores[order], cls[order], truth[order]
    d_tp = truth.astype(np.int64)
    values = _sweep(state.term, tp, fp, state.positives, cls, d_tp, 1 - d_tp)
    group_end = np.append(scores[1:] != scores[:-1], True)
    values = values[np.append(0, np.flatnonzero(group_end) + 1)]
    # Candidate j predicts the j highest distinct scores; its threshold is the midpoint
    # between the j-th and the (j+1)-th, with 1 and 0 bounding the two ends.
    distinct = scores[group_end]
    candidates = (np.append(1.0, distinct) + np.append(distinct, 0.0)) / 2
    if distinct[0] >= 1.0:  # nothing can lie above a score of 1
        values[0] = -np.inf
    return candidates, values


def _threshold_histogram(state, scores, cls, truth, tp, fp, grid):
    """Objective at each grid threshold, from per-class histograms of the undecided scores.

    A cell is predicted at ``grid[g]`` when its score reaches it, i.e. when more than g grid
    points lie at or below its score; counting cells per (class, bin) and summing the bins
    from the top gives every grid point's counts without sorting.
    """
    n_bins = len(grid) + 1
    bins = np.searchsorted(grid, scores, side="right") + n_bins * cls
    size = n_bins * state.n_classes
    present = np.bincount(bins, weights=truth, minlength=size).reshape(state.n_classes, -1)
    cells = np.bincount(bins, minlength=size).reshape(state.n_classes, -1)
    # Predicted at grid[g]: cells in bins g + 1 and above.
    gained_tp = np.cumsum(present[:, ::-1], axis=1)[:, ::-1][:, 1:]
    gained_fp = np.cumsum((cells - present)[:, ::-1], axis=1)[:, ::-1][:, 1:]
    terms = state.term(tp[:, None] + gained_tp, fp[:, None] + gained_fp,
                       state.positives[:, None])
    return np.round(terms.mean(axis=0), _DECIMALS)


def _applied_at(weights, breakpoints, applied_on, applied_past):
    """Number of sorted events in force at each given weight (ties at a breakpoint count)."""
    tolerance = _BREAKPOINT_RTOL * np.maximum(1.0, weights)
    group = np.searchsorted(breakpoints, weights - tolerance, side="left")
    on_breakpoint = (group < len(breakpoints)) & (
        breakpoints[np.minimum(group, len(breakpoints) - 1)] <= weights + tolerance
    )
    past_previous = np.append(0, applied_past)[group]
    return np.where(on_breakpoint, np.append(applied_on, 0)[group], past_previous)


def _sweep(term, base_tp, base_fp, positives, event_class, d_tp, d_fp):
    """Objective after the first i events, for i = 0 .. n_events, applied in order.

    Event i changes the true and false positives of class ``event_class[i]`` by ``d_tp[i]``
    and ``d_fp[i]`` (a cell, or a group of cells, entering or leaving the predicted set). Only
    that class's term changes, so the objective after each event is the starting objective
    plus a cumulative sum of per-event term changes.
    """
    n_classes = len(base_tp)
    # Group the events by class (a stable radix sort, so each class keeps the sweep order);
    # within a class the running counts are plain cumulative sums.
    by_class = np.argsort(event_class, kind="stable")
    per_class = np.bincount(event_class, minlength=n_classes)
    starts = np.cumsum(per_class) - per_class
    run_tp = np.cumsum(d_tp[by_class])
    run_fp = np.cumsum(d_fp[by_class])
    # Counts before each class's first event, minus what earlier classes added to the sums.
    tp = run_tp + np.repeat(base_tp - np.append(0, run_tp)[starts], per_class)
    fp = run_fp + np.repeat(base_fp - np.append(0, run_fp)[starts], per_class)

    base_terms = term(base_tp, base_fp, positives)
    after = term(tp, fp, np.repeat(positives, per_class))
    before = np.empty_like(after)
    before[1:] = after[:-1]
    has_events = per_class > 0
    before[starts[has_events]] = base_terms[has_events]
    delta = np.empty_like(after)
    delta[by_class] = after - before
    base_total = base_terms.sum()
    return np.append(base_total, base_total + np.cumsum(delta)) / n_classes


# --- Grid steps: one pass over the data per candidate -------------------------------------------


class _GridSteps:
    """Threshold and weight steps that evaluate every grid candidate directly.

    This is the search for objectives that are not functions of confusion counts, and the
    baseline the benchmark compares the sweeps against.
    """

    def __init__(self, threshold_grid, weight_grid):
        self.threshold_grid = threshold_grid
        self.weight_grid = weight_grid

    def threshold(self, state, k, rows):
        weight = state.weights[k]
        need = state.quorum[rows] * state.total_weight
        others = state.votes[rows] - weight * state.hits[k, rows]
        scores = state.proba[k, rows]
        predicted = state.predicted.copy()
        values = np.empty(len(self.threshold_grid))
        for i, threshold in enumerate(self.threshold_grid):
            predicted[rows] = others + weight * (scores >= threshold) >= need
            values[i] = state.evaluate(predicted)
        best = _best(values)
        if values[best] > state.score():
            state.set_threshold(k, rows, self.threshold_grid[best])

    def weight(self, state, k):
        weight = state.weights[k]
        others_total = state.total_weight - weight
        candidates = self.weight_grid * others_total / (state.n_experts - 1)
        others = state.votes - weight * state.hits[k]
        values = np.full(len(candidates), -np.inf)
        for i, t in enumerate(candidates):
            if others_total + t > 0:
                values[i] = state.evaluate(
                    others + t * state.hits[k] >= state.quorum * (others_total + t)
                )
        best = _best(values)
        if values[best] > state.score():
            state.set_weight(k, candidates[best])
