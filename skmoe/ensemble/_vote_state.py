"""The state of one search: hits, votes, predictions and confusion counts, kept in step.

Arrays are class-major, (n_classes, n_samples), so that per-class work is contiguous. Every
search step changes thresholds or weights through this object, which updates only what the
change touches.
"""

import numpy as np

from ._choice import DECIMALS as _DECIMALS
from ._objectives import LeastOverkill, count_term
from ._rule import QUORUM_SLACK, per_class_thresholds, single_label_decision

# The weight step groups cells by voting pattern, a bit mask of the experts that vote; beyond
# this many experts the masks do not fit in 64 bits and weights are searched on the grid.
_MAX_CODED_EXPERTS = 63
# Up to 2**_MAX_DENSE_BITS patterns are counted with bincount, more with np.unique.
_MAX_DENSE_BITS = 16


class _VoteState:
    """Hits, votes and confusion counts of one search, updated in place by every step.

    Arrays are class-major, (n_classes, n_samples), so that per-class work is contiguous.
    With ``single_label`` the prediction is the one class the single-label rule picks per
    sample (``truth`` then has one true class per sample), otherwise every class that reaches
    its quorum.
    """

    def __init__(self, proba, truth, quorum, thresholds, weights, per_class, objective,
                 single_label=False):
        # proba (n_experts, n_classes, n_samples) and truth (n_classes, n_samples), class-major
        # and contiguous: the in-place updates write through reshaped views of arrays built
        # from them, which a strided input (a subset of rows) would turn into lost copies.
        self.proba, self.truth = np.ascontiguousarray(proba), np.ascontiguousarray(truth)
        self.n_experts, self.n_classes, self.n_samples = proba.shape
        self.single_label = single_label
        self.positives = np.count_nonzero(self.truth, axis=1)
        self.labels = self.truth.argmax(axis=0) if single_label else None
        self.raw_quorum = np.broadcast_to(np.asarray(quorum, dtype=float), (self.n_classes,))
        self.quorum = (self.raw_quorum - QUORUM_SLACK)[:, None]
        self.per_class = per_class
        self.changes = 0  # number of threshold and weight changes so far
        # thresholds[c, k]: class-major like the rest.
        self.thresholds = per_class_thresholds(thresholds, self.n_experts,
                                               self.n_classes).T.copy()
        self.weights = (np.ones(self.n_experts) if weights is None
                        else np.asarray(weights, dtype=float).copy())
        self.weights *= self.n_experts / self.weights.sum()
        if isinstance(objective, LeastOverkill) and not single_label:
            raise ValueError("LeastOverkill scores one decision per image: give 1-D y (class "
                             "indices). For an indicator y, give a callable metric(y_true, "
                             "y_pred) (searched on grids).")
        self.term = count_term(objective, self.n_samples, self.n_classes)
        self.metric = objective if self.term is None else None
        self._rebuild()

    def _rebuild(self):
        """Recompute hits, votes, predictions and counts from thresholds and weights."""
        self.hits = self.proba >= self.thresholds.T[:, :, None]
        self.votes = np.zeros((self.n_classes, self.n_samples))
        for weight, hits in zip(self.weights, self.hits):
            self.votes += weight * hits
        # The single-label tie-break: the weighted mean probability (times the total weight).
        self.mean_proba = np.tensordot(self.weights, self.proba, axes=1) \
            if self.single_label else None
        self.predicted = self.decide(self.votes, self.mean_proba, self.total_weight)
        self.tp, self.fp = _counts(self.truth, self.predicted)
        self._codes = None
        self._pattern_table = None
        self._score = None

    @property
    def codes(self):
        """Each cell's voting pattern as a bit mask (bit k: expert k votes), for the weight
        step; built when first needed, None beyond 63 experts."""
        if self._codes is None and self.n_experts <= _MAX_CODED_EXPERTS:
            self._codes = np.zeros((self.n_classes, self.n_samples), dtype=np.uint64)
            for k, hits in enumerate(self.hits):
                self._codes |= hits.astype(np.uint64) << np.uint64(k)
        return self._codes

    @property
    def total_weight(self):
        return self.weights.sum()

    def decide(self, votes, mean_proba, total_weight):
        """Class-major indicator of what ``predict`` returns for these votes."""
        if not self.single_label:
            return votes >= self.quorum * total_weight
        decision = single_label_decision(votes, mean_proba, self.raw_quorum, total_weight,
                                         axis=0)
        return decision == np.arange(self.n_classes)[:, None]

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
        """Objective of the current prediction (cached until thresholds or weights change)."""
        if self._score is None:
            self._score = self.evaluate(self.predicted, self.tp, self.fp)
        return self._score

    def set_threshold(self, k, rows, threshold):
        self._score = None
        self.changes += 1
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
        if self._codes is not None:
            self._codes[rows].reshape(-1)[changed] ^= np.uint64(1) << np.uint64(k)
            self._pattern_table = None
        if self.single_label:  # one cell's vote can change another class's decision
            self._refresh(slice(None))
            return
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
        self._score = None
        self.changes += 1
        self.votes += (weight - self.weights[k]) * self.hits[k]
        if self.single_label:
            self.mean_proba += (weight - self.weights[k]) * self.proba[k]
        self.weights[k] = weight
        scale = self.n_experts / self.total_weight
        self.weights *= scale
        self.votes *= scale
        if self.single_label:
            self.mean_proba *= scale
        self._refresh(slice(None))

    def _refresh(self, rows):
        if self.single_label:
            self.predicted = self.decide(self.votes, self.mean_proba, self.total_weight)
            self.tp, self.fp = _counts(self.truth, self.predicted)
            return
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


def _counts(truth, predicted):
    """Per-row true and false positives of class-major indicator arrays."""
    tp = np.array([np.count_nonzero(t & p) for t, p in zip(truth, predicted)], dtype=np.int64)
    fp = np.array([np.count_nonzero(p) for p in predicted], dtype=np.int64) - tp
    return tp, fp


def _objective(term, tp, fp, positives):
    return round(float(np.mean(term(tp, fp, positives, np.arange(len(tp))))), _DECIMALS)
