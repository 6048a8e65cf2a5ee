"""Exact threshold and weight profiles for single-label decisions (pure numpy).

For single-label ``y``, ``predict`` returns one class per sample: the largest vote share
``V_c / q_c``, ties broken by the experts' weighted mean probability (see :mod:`._rule`). The
search scores that decision, not the multi-label indicator, so a step must know where each
sample's decision changes as expert k's threshold or weight moves with the others fixed:

* **Threshold.** Expert k votes for the classes whose score reaches its threshold, so as the
  threshold falls a sample's votes change only at its own scores: at most C breakpoints.
* **Weight.** With weight t, class c's share is ``(O_c + t h_c) / (q_c (T + t))``, where O
  are the other experts' votes, h expert k's hits and T the other weights. ``T + t`` is the
  same for every class of a sample, so the decision is the upper envelope of the straight lines
  ``(O_c + t h_c) / q_c`` (and, where two lines coincide, of the mean-probability lines): it
  changes only where two lines cross, at most C - 1 times.

A profile evaluates every sample's decision once on each piece between its breakpoints, turns
each change of decision into confusion-count events (the old class loses a prediction, the new
one gains it) and sweeps all samples' events in order: the objective on every piece of the
coordinate from one sort, as for indicator predictions.
"""

import numpy as np

from ._objectives import _sweep
from ._rule import BREAKPOINT_RTOL, QUORUM_SLACK, single_label_decision


def single_label_threshold_profile(state, k, rows):
    """Distinct breaks of expert k's threshold (descending) and the objective on each piece.

    ``values[j]`` is the objective when expert k votes for the scores at or above
    ``breaks[j - 1]`` (``j = 0``: above every break). Returns (None, None) when no decision
    changes.
    """
    weight = state.weights[k]
    others = state.votes.copy()
    others[rows] -= weight * state.hits[k, rows]
    scores = state.proba[k, rows]
    levels = -np.sort(-scores, axis=0)  # each sample's scores in the scope, descending
    decisions = np.empty((len(levels) + 1, state.n_samples), dtype=np.intp)
    for j in range(len(levels) + 1):  # piece j: expert k votes for the j highest scores
        votes = others.copy()
        if j:
            votes[rows] += weight * (scores >= levels[j - 1])
        decisions[j] = single_label_decision(votes, state.mean_proba, state.raw_quorum,
                                             state.total_weight, axis=0)
    piece, sample = np.nonzero(decisions[1:] != decisions[:-1])
    if sample.size == 0:
        return None, None
    positions = levels[piece, sample]
    order = np.argsort(-positions, kind="stable")
    positions = positions[order]
    values = _decision_sweep(state, decisions[0], sample[order], decisions[piece, sample][order],
                             decisions[piece + 1, sample][order])
    block_end = np.flatnonzero(np.append(positions[1:] != positions[:-1], True))
    values = values[np.append(0, 2 * (block_end + 1))]
    breaks = positions[block_end]
    if breaks[0] >= 1.0:  # no threshold lies above a score of 1
        values[0] = -np.inf
    return breaks, values


def single_label_weight_profile(state, k):
    """Candidate weights of expert k, the objective at each, and the stretch each covers.

    Candidates are every breakpoint (a tie between two classes, decided by the tie-break) and
    every stretch between neighbouring breakpoints, in increasing order from t = 0.

    Returns
    -------
    candidates, values, starts, ends : ndarray
        ``candidates[i]`` is where candidate i begins; it covers ``[starts[i], ends[i]]``.
        None when no decision changes.
    """
    weight = state.weights[k]
    others_total = state.total_weight - weight
    hits, proba = state.hits[k], state.proba[k]
    others = state.votes - weight * hits
    mean_others = state.mean_proba - weight * proba
    breaks = _crossings(others / state.raw_quorum[:, None], hits / state.raw_quorum[:, None],
                        mean_others, proba, tolerance=QUORUM_SLACK * others_total)
    # Each sample's pieces in order: t = 0, then for each of its breaks the stretch before it
    # and the break itself, then the stretch beyond its last break. A piece is evaluated at
    # one weight inside it and keyed by where it begins (a stretch begins past its key).
    sample, nth = np.nonzero(np.isfinite(breaks.T))  # sample-major
    point = breaks.T[sample, nth]
    previous = np.where(nth > 0, breaks.T[sample, np.maximum(nth - 1, 0)], 0.0)
    last = np.zeros(state.n_samples)
    last[sample] = point  # sample-major order leaves each sample's largest break
    everyone = np.arange(state.n_samples)
    # Ties at t = 0 break as soon as t > 0, so every sample has the piece t > 0 at least.
    samples = np.concatenate([everyone, sample, sample, everyone])
    weights = np.concatenate([np.zeros(state.n_samples), (previous + point) / 2, point,
                              2 * last + 1])
    keys = np.concatenate([np.zeros(state.n_samples), previous, point, last])
    after = np.concatenate([np.zeros(state.n_samples, bool), np.ones(len(point), bool),
                            np.zeros(len(point), bool), np.ones(state.n_samples, bool)])
    rank = np.concatenate([np.zeros(state.n_samples), 2 * nth + 1, 2 * nth + 2,
                           np.full(state.n_samples, 2 * len(breaks) + 1)])
    sequence = np.lexsort((rank, samples))
    samples, weights, keys, after = (a[sequence] for a in (samples, weights, keys, after))

    t = weights[:, None]
    decisions = single_label_decision(
        others.T[samples] + t * hits.T[samples], mean_others.T[samples] + t * proba.T[samples],
        state.raw_quorum, others_total + t)
    changed = np.flatnonzero((samples[1:] == samples[:-1]) & (decisions[1:] != decisions[:-1]))
    sample, old, new = samples[changed + 1], decisions[changed], decisions[changed + 1]
    positions, flags = keys[changed + 1], after[changed + 1]
    if sample.size == 0:
        return None
    base = decisions[rank[sequence] == 0]

    # Equal breakpoints of different samples can differ by rounding: group them, and put a
    # breakpoint before the stretch past it.
    sorted_positions = np.sort(positions)
    group_of = np.cumsum(np.append(True, np.diff(sorted_positions) > BREAKPOINT_RTOL
                                   * np.maximum(1.0, sorted_positions[1:]))) - 1
    group = group_of[np.searchsorted(sorted_positions, positions)]
    order = np.lexsort((flags, group))
    values = _decision_sweep(state, base, sample[order], old[order], new[order])
    block = group[order] * 2 + flags[order]
    block_end = np.flatnonzero(np.append(block[1:] != block[:-1], True))
    candidates = np.append(0.0, positions[order][block_end])
    values = values[np.append(0, 2 * (block_end + 1))]
    return candidates, values, candidates, np.append(candidates[1:], np.inf)


def _crossings(level, slope, mean_level, mean_slope, tolerance):
    """Each sample's breakpoints t > 0, sorted, padded with inf: (n_breaks, n_samples).

    Classes a and b swap places where their vote lines ``level + t * slope`` cross; where the
    two lines coincide, where their mean-probability lines cross instead.
    """
    first, second = np.triu_indices(len(level), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        votes = (level[first] - level[second]) / (slope[second] - slope[first])
        same_line = (slope[first] == slope[second]) & (
            np.abs(level[first] - level[second]) <= tolerance)
        means = np.where(same_line, (mean_level[first] - mean_level[second])
                         / (mean_slope[second] - mean_slope[first]), np.nan)
    breaks = np.concatenate([votes, means])
    breaks[~(np.isfinite(breaks) & (breaks > 0))] = np.inf
    breaks.sort(axis=0)
    return breaks[np.isfinite(breaks).any(axis=1)]


def _decision_sweep(state, base, samples, old, new):
    """Objective after each event, as samples' decisions change from ``old`` to ``new`` in order.

    Each change is two events: the old class loses a prediction, the new class gains one.
    Returns an array of length ``2 * len(samples) + 1`` (the first value is ``base``'s).
    """
    labels = state.labels
    right = base == labels
    tp = np.bincount(base[right], minlength=state.n_classes)
    fp = np.bincount(base, minlength=state.n_classes) - tp
    cls = np.column_stack([old, new]).ravel()
    correct = np.column_stack([old == labels[samples], new == labels[samples]]).ravel()
    sign = np.tile([-1, 1], len(samples))
    return _sweep(state.term, tp, fp, state.positives, cls, sign * correct, sign * ~correct)
