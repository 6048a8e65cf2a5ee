"""Search steps over one expert: exact sweeps of sorted cells, and grid evaluation.

See :mod:`skmoe.ensemble._search` for the method. Each step reads and updates a
:class:`~skmoe.ensemble._vote_state._VoteState`.
"""

import numpy as np

from ._choice import middle_grid_point, widest_optimal_run
from ._objectives import _sweep
from ._rule import BREAKPOINT_RTOL, QUORUM_SLACK
from ._single_label import single_label_threshold_profile, single_label_weight_profile
from ._vote_state import _counts

DEFAULT_THRESHOLD_GRID = np.round(np.linspace(0.01, 0.99, 99), 2)
# Grid for an expert's weight relative to the mean of the other weights; 0 drops the expert.
DEFAULT_WEIGHT_GRID = np.round(np.arange(0.0, 3.71, 0.1), 1)



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
        if state.weights[k] == 0:
            return
        if self.threshold_grid is not None:
            values = _threshold_grid_values(state, k, rows, self.threshold_grid)
            best = None if values is None else middle_grid_point(values, state.score())
            if best is not None:
                state.move(state.set_threshold, k, rows, self.threshold_grid[best],
                           expected=values[best])
            return
        breaks, values = _threshold_profile(state, k, rows)
        if breaks is None:
            return
        # Candidate j votes for the j highest breaks: thresholds in (breaks[j], breaks[j-1]].
        run = widest_optimal_run(values, np.append(1.0, breaks), np.append(breaks, 0.0),
                                 state.score())
        if run is not None:
            first, _, low, high = run
            state.move(state.set_threshold, k, rows, (low + high) / 2, expected=values[first])

    def weight(self, state, k):
        others_total = state.total_weight - state.weights[k]
        if others_total <= 0:  # expert k alone has weight: scaling it changes nothing
            return
        if state.single_label:
            profile = single_label_weight_profile(state, k)
            if profile is not None:
                self._choose_weight(state, k, *profile)
            return
        if state.codes is None:  # too many experts for voting-pattern masks
            grid = DEFAULT_WEIGHT_GRID if self.weight_grid is None else self.weight_grid
            return _GridSteps(None, grid).weight(state, k)
        cls, votes_for, n_true, n_false = state.pattern_table()
        weight = state.weights[k]
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
        group = np.cumsum(np.append(True, np.diff(positions) > BREAKPOINT_RTOL
                                    * np.maximum(1.0, positions[1:]))) - 1
        within = np.lexsort((~on[order], group))
        order, positions, group = order[within], positions[within], group[within]
        on, events = on[order], events[order]
        sign = np.where(on, 1, -1)
        values = _sweep(state.term, tp, fp, state.positives, cls[events],
                        sign * n_true[events], sign * n_false[events])

        # Each group gives two candidates: t on the breakpoint (a tie, where the cells
        # switching on already count and those switching off still do), and t past it, up to
        # the next group. The first candidate is t from 0 up to the first breakpoint.
        starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
        ends = np.append(starts[1:], len(positions))
        n_on = np.add.reduceat(on.astype(np.int64), starts)
        at = np.minimum.reduceat(positions, starts)
        top = np.maximum.reduceat(positions, starts)
        spans = np.concatenate([[0.0], np.column_stack([at, top]).ravel(), [np.inf]])
        applied = np.concatenate([[0], np.column_stack([starts + n_on, ends]).ravel()])
        if self.weight_grid is not None:
            candidates = self.weight_grid * others_total / (state.n_experts - 1)
            return self._choose_weight(state, k, candidates,
                                       values[_applied_at(candidates, at, starts + n_on, ends)])
        self._choose_weight(state, k, spans[:-1], values[applied], spans[:-1], spans[1:])

    def _choose_weight(self, state, k, candidates, values, starts=None, ends=None):
        """Move expert k's weight to the chosen candidate (grid) or run middle (sweep).

        Stretches of the weight are measured as expert k's share of the total weight,
        ``t / (others + t)``, which maps the unbounded weight onto [0, 1).
        """
        if self.weight_grid is not None:
            best = middle_grid_point(values, state.score())
            if best is not None:
                state.move(state.set_weight, k, candidates[best], expected=values[best])
            return
        others_total = state.total_weight - state.weights[k]
        run = widest_optimal_run(values, _share(starts, others_total),
                                 _share(ends, others_total), state.score())
        if run is None:
            return
        first, _, low, high = run
        if high > low:
            middle = (low + high) / 2
            weight = middle * others_total / (1 - middle)
        else:  # a single tie point: the breakpoint itself
            weight = candidates[first]
        state.move(state.set_weight, k, weight, expected=values[first])


def _share(weights, others_total):
    """Expert k's share of the total weight at weight ``t``: ``t / (others + t)`` (1 at inf)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(weights), 1.0, weights / (others_total + weights))


def _threshold_profile(state, k, rows):
    """Distinct breaks of expert k's threshold (descending) and the objective voting for the
    scores at or above each; (None, None) when the threshold decides nothing."""
    if state.single_label:
        return single_label_threshold_profile(state, k, rows)
    undecided = _undecided_cells(state, k, rows)
    return (None, None) if undecided is None else _threshold_sweep(state, *undecided)


def _threshold_grid_values(state, k, rows, grid):
    """The objective at every grid threshold of expert k; None when it decides nothing."""
    if not state.single_label:  # count undecided cells per grid bin: no sort needed
        undecided = _undecided_cells(state, k, rows)
        return None if undecided is None else _threshold_histogram(state, *undecided, grid)
    breaks, values = single_label_threshold_profile(state, k, rows)
    if breaks is None:
        return None
    # At grid point g expert k votes for every break at or above g.
    return values[len(breaks) - np.searchsorted(breaks[::-1], grid)]


def _undecided_cells(state, k, rows):
    """The cells whose indicator prediction expert k's threshold decides, and the base counts.

    A cell is decided when the other experts' votes reach the quorum without expert k, or
    cannot reach it even with k's vote; the undecided ones are predicted exactly when k votes.

    Returns
    -------
    (scores, cls, truth, tp, fp) of the undecided cells, with the counts of the decided ones;
    None when every cell is decided.
    """
    weight = state.weights[k]
    # Votes include k's own where it votes, so compare them with the quorum shifted by k's
    # weight.
    need = state.quorum[rows] * state.total_weight
    votes, hits = state.votes[rows], state.hits[k, rows]
    above = votes >= need
    decided = (votes >= need + weight) | (above & ~hits)
    undecided = np.flatnonzero(np.where(hits, above, votes >= need - weight) & ~decided)
    if undecided.size == 0:
        return None
    tp, fp = state.tp.copy(), state.fp.copy()
    tp[rows], fp[rows] = _counts(state.truth[rows], decided)
    scores = state.proba[k, rows].ravel()[undecided]
    cls = (rows.start + undecided // state.n_samples).astype(np.int16)
    truth = state.truth[rows].ravel()[undecided]
    return scores, cls, truth, tp, fp


def _threshold_sweep(state, scores, cls, truth, tp, fp):
    """Distinct undecided scores, descending, and the objective voting for the j highest."""
    order = np.argsort(-scores)
    scores, cls, truth = scores[order], cls[order], truth[order]
    d_tp = truth.astype(np.int64)
    values = _sweep(state.term, tp, fp, state.positives, cls, d_tp, 1 - d_tp)
    group_end = np.append(scores[1:] != scores[:-1], True)
    values = values[np.append(0, np.flatnonzero(group_end) + 1)]
    distinct = scores[group_end]
    if distinct[0] >= 1.0:  # no threshold lies above a score of 1
        values[0] = -np.inf
    return distinct, values


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
                       state.positives[:, None], np.arange(state.n_classes)[:, None])
    return terms.mean(axis=0)


def _applied_at(weights, breakpoints, applied_on, applied_past):
    """Number of sorted events in force at each given weight (ties at a breakpoint count)."""
    tolerance = BREAKPOINT_RTOL * np.maximum(1.0, weights)
    group = np.searchsorted(breakpoints, weights - tolerance, side="left")
    on_breakpoint = (group < len(breakpoints)) & (
        breakpoints[np.minimum(group, len(breakpoints) - 1)] <= weights + tolerance
    )
    past_previous = np.append(0, applied_past)[group]
    return np.where(on_breakpoint, np.append(applied_on, 0)[group], past_previous)


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
        votes = state.votes.copy()
        others = state.votes[rows] - weight * state.hits[k, rows]
        scores = state.proba[k, rows]
        values = np.empty(len(self.threshold_grid))
        for i, threshold in enumerate(self.threshold_grid):
            votes[rows] = others + weight * (scores >= threshold)
            values[i] = state.evaluate(state.decide(votes, state.mean_proba, state.total_weight))
        best = middle_grid_point(values, state.score())
        if best is not None:
            state.set_threshold(k, rows, self.threshold_grid[best])

    def weight(self, state, k):
        weight = state.weights[k]
        others_total = state.total_weight - weight
        if others_total <= 0:  # expert k alone has weight: scaling it changes nothing
            return
        candidates = self.weight_grid * others_total / (state.n_experts - 1)
        others = state.votes - weight * state.hits[k]
        mean_others = None if state.mean_proba is None else \
            state.mean_proba - weight * state.proba[k]
        values = np.empty(len(candidates))
        for i, t in enumerate(candidates):
            mean_proba = None if mean_others is None else mean_others + t * state.proba[k]
            values[i] = state.evaluate(state.decide(others + t * state.hits[k], mean_proba,
                                                    others_total + t))
        best = middle_grid_point(values, state.score())
        if best is not None:
            state.set_weight(k, candidates[best])
