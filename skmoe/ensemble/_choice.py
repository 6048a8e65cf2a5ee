"""Which optimum a search step moves to, among the many that tie (pure numpy).

Validation sets are small, so with the other experts fixed the objective is flat over wide
ranges of a threshold or a weight. Every step therefore follows one rule:

* keep the current value when it is itself optimal (a step moves only on a strict gain);
* otherwise move to the middle of the widest run of optimal candidates, where a run is a
  stretch of consecutive candidates along the coordinate that all reach the optimum.

Edges of a plateau sit on some sample's score and generalise worst; the middle is furthest
from every sample whose decision would change.
"""

import numpy as np

# Objective values are compared after rounding to this many decimals, so that sums that differ
# only by floating-point noise count as ties and ties are broken the same way every time.
DECIMALS = 12


def widest_optimal_run(values, starts, ends, current):
    """The widest run of consecutive optimal candidates, or None when none beats ``current``.

    Parameters
    ----------
    values : ndarray of shape (n_candidates,)
        Objective of every candidate, in order along the coordinate (either direction).
    starts, ends : ndarray of shape (n_candidates,)
        Where each candidate's stretch of the coordinate begins and ends (equal for a single
        point). Consecutive candidates are adjacent: ``ends[i]`` is ``starts[i + 1]``.
    current : float
        Objective at the current value.

    Returns
    -------
    run : tuple (first, last, low, high) or None
        Indices of the run's first and last candidates and the stretch it covers; None when no
        candidate beats ``current`` (the current value is optimal, so it stays).
    """
    values = np.round(np.asarray(values, dtype=float), DECIMALS)
    best = values.max(initial=-np.inf)
    if not best > round(current, DECIMALS):
        return None
    optimal = values == best
    edges = np.diff(np.concatenate([[0], optimal.astype(np.int8), [0]]))
    firsts, lasts = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    # The coordinate runs monotonically along the candidates, in either direction.
    low = np.minimum(starts[firsts], ends[lasts])
    high = np.maximum(starts[firsts], ends[lasts])
    widest = int(np.argmax(high - low))
    return firsts[widest], lasts[widest], low[widest], high[widest]


def middle_grid_point(values, current):
    """Index of the middle point of the widest run of optimal grid points, or None.

    A grid's points are equally spaced candidates, so a run's width is its length; None when
    no point beats ``current``.
    """
    run = widest_optimal_run(values, np.arange(len(values)), np.arange(len(values)), current)
    if run is None:
        return None
    first, last = run[:2]
    return (first + last) // 2
