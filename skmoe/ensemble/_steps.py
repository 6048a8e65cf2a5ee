"""Search steps over one expert: exact sweeps of sorted cells, and grid evaluation.

See :mod:`skmoe.ensemble._search` for the method. Each step reads and updates a
:class:`~skmoe.ensemble._vote_state._VoteState`.
"""

import numpy as np

from ._vote_state import _DECIMALS, QUORUM_SLACK, _counts

DEFAULT_THRESHOLD_GRID = np.round(np.linspace(0.01, 0.99, 99), 2)
# Grid for an expert's weight relative to the mean of the other weights; 0 drops the expert.
DEFAULT_WEIGHT_GRID = np.round(np.arange(0.0, 3.71, 0.1), 1)

# Weight breakpoints closer than this (relative) are the same breakpoint up to rounding.
_BREAKPOINT_RTOL = 1e-12


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
