"""Search objectives computed from per-class confusion counts.

An objective that is a mean over classes of a function of (true positives, false positives,
positives) lets the search sweep candidate thresholds and weights exactly: moving one cell from
"not predicted" to "predicted" changes one class's counts by one. Each function below returns
that per-class term, vectorised over any array shape; the objective is the mean over classes.
:class:`LeastOverkill` gives a term that depends on the class too (the defect-free class's
counts carry the escapes and the overkill): inside the search every term is called as
``term(tp, fp, positives, classes)``, ``classes`` broadcasting with the counts.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np


def precision_plus_recall(tp, fp, positives):
    """Per-class precision + recall; macro precision + macro recall is their mean.

    Counts are whole numbers, so a class never predicted (tp + fp = 0) or never present
    (positives = 0) has tp = 0, and its precision or recall is 0.

    See Also
    --------
    f1 : the other objective the exact search understands.

    Examples
    --------
    >>> from skmoe.ensemble import precision_plus_recall
    >>> precision_plus_recall(tp=[1, 1, 0], fp=[0, 1, 0], positives=[1, 1, 1])
    array([2. , 1.5, 0. ])
    """
    tp = np.asarray(tp, dtype=np.float64)
    return tp / np.maximum(tp + fp, 1) + tp / np.maximum(positives, 1)


def f1(tp, fp, positives):
    """Per-class F1 = 2 tp / (2 tp + fp + fn); macro F1 is their mean (0 when undefined).

    See Also
    --------
    precision_plus_recall : the default objective.

    Examples
    --------
    >>> from skmoe.ensemble import f1
    >>> f1(tp=[1, 1, 0], fp=[0, 1, 0], positives=[1, 1, 1])
    array([1.        , 0.66666667, 0.        ])
    """
    tp = np.asarray(tp, dtype=np.float64)
    return 2 * tp / np.maximum(tp + fp + positives, 1)


#: Objectives the exact search understands, by name.
COUNT_OBJECTIVES = {"precision_recall": precision_plus_recall, "f1": f1}


@dataclass(frozen=True)
class LeastOverkill:
    """Objective of an inspection line: the least overkill with escapes at most ``max_escape``.

    Escape rate: the share of defective images decided defect-free; overkill rate: the share
    of defect-free images decided defective. The search maximises 1 - overkill among votes
    whose escape rate on the tuning images is at most ``max_escape``; below that bound
    nothing counts but getting back to it (the objective is minus the escape rate). Among
    votes of equal overkill, the one that tells the defect classes apart best wins (their
    mean precision + recall, weighted below one image's worth of overkill or escape, so it
    never outweighs one). Both rates are functions of the defect-free class's counts, so the
    search stays exact, the guard included. For single-label ``y`` (one decision per image).

    Parameters
    ----------
    max_escape : float in [0, 1], default=0.01
        Largest acceptable escape rate on the tuning images.
    background : int or label, default=0
        The defect-free class: its column in the search's functions
        (:func:`coordinate_search`, :func:`tune_vote`); in
        :class:`~skmoe.MultiExpertVotingClassifier` its label (an entry of ``classes_``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import LeastOverkill, tune_vote
    >>> rng = np.random.default_rng(0)
    >>> y = (np.arange(200) % 4 == 0).astype(int)  # class 0: defect-free, 3 images in 4
    >>> proba = np.stack([np.eye(2)[y] * 0.6 + rng.random((200, 2)) * 0.4 for _ in range(3)])
    >>> result = tune_vote(proba, y, objective=LeastOverkill(max_escape=0.0, background=0))
    >>> bool(result.score >= 0)  # no escape on the tuning images: feasible
    True
    """

    max_escape: float = 0.01
    background: object = 0

    def __post_init__(self):
        if not (isinstance(self.max_escape, Real) and 0 <= self.max_escape <= 1):
            raise ValueError(f"max_escape must be a number in [0, 1]; got {self.max_escape!r}.")

    def count_term(self, n_samples, n_classes):
        """The per-class term for ``n_samples`` tuning images of ``n_classes`` classes."""
        background = self.background
        if not (isinstance(background, Integral) and 0 <= background < n_classes):
            raise ValueError(f"LeastOverkill: background={background!r} must be the column of "
                             f"the defect-free class here, an integer in 0 .. {n_classes - 1}.")
        if n_classes < 2:
            raise ValueError("LeastOverkill needs a defect-free class and a defect class.")
        # Below the resolution of either rate (one image in n_samples or fewer), twice over.
        tie_break = 1 / (4 * max(n_samples, 1))

        def term(tp, fp, positives, classes):
            tp, fp, positives = (np.asarray(a, dtype=np.float64) for a in (tp, fp, positives))
            defective = np.maximum(n_samples - positives, 1)
            escape = fp / defective  # at the defect-free class: defective images called free
            overkill = (positives - tp) / np.maximum(positives, 1)
            primary = np.where(escape <= self.max_escape + 1e-12, 1 - overkill, -escape)
            other = tie_break * precision_plus_recall(tp, fp, positives) / (n_classes - 1)
            # The mean over classes is primary + tie_break * (the defect classes' mean P + R).
            return np.where(np.asarray(classes) == background, n_classes * primary,
                            n_classes * other)

        return term


def count_term(objective, n_samples, n_classes):
    """The per-class term ``term(tp, fp, positives, classes)`` of a count objective: a name
    of :data:`COUNT_OBJECTIVES` or a :class:`LeastOverkill`; None for a callable metric."""
    if isinstance(objective, LeastOverkill):
        return objective.count_term(n_samples, n_classes)
    if callable(objective):
        return None
    function = COUNT_OBJECTIVES[objective]
    return lambda tp, fp, positives, classes: function(tp, fp, positives)


def confusion_counts(y_true, y_pred):
    """Per-class true positives, false positives and positives of 0/1 indicator matrices.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples, n_classes) of bool or 0/1

    Returns
    -------
    tp, fp, positives : ndarray of shape (n_classes,), int64

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import confusion_counts
    >>> confusion_counts(np.array([[1, 0, 1], [0, 1, 0]]), np.array([[1, 1, 0], [0, 1, 0]]))
    (array([1, 1, 0]), array([0, 1, 0]), array([1, 1, 1]))
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    tp = np.count_nonzero(y_true & y_pred, axis=0)
    fp = np.count_nonzero(~y_true & y_pred, axis=0)
    return tp, fp, np.count_nonzero(y_true, axis=0)


# Events x classes up to which _sweep tracks every class's counts densely.
_DENSE_SWEEP_CELLS = 1 << 16


def _sweep(term, base_tp, base_fp, positives, event_class, d_tp, d_fp):
    """Objective after the first i events, for i = 0 .. n_events, applied in order.

    Event i changes the true and false positives of class ``event_class[i]`` by ``d_tp[i]``
    and ``d_fp[i]`` (a cell, or a group of cells, entering or leaving the predicted set). Only
    that class's term changes, so the objective after each event is the starting objective
    plus a cumulative sum of per-event term changes.
    """
    n_classes = len(base_tp)
    if len(event_class) * n_classes <= _DENSE_SWEEP_CELLS:
        # Few events: running counts of every class after every event, as dense cumulative
        # sums (fewer, larger numpy calls than grouping by class).
        one_hot = np.arange(n_classes) == np.asarray(event_class)[:, None]
        tp = np.cumsum(one_hot * np.asarray(d_tp)[:, None], axis=0) + base_tp
        fp = np.cumsum(one_hot * np.asarray(d_fp)[:, None], axis=0) + base_fp
        classes = np.arange(n_classes)
        values = term(tp, fp, positives, classes).sum(axis=1)
        base = term(base_tp, base_fp, positives, classes).sum()
        return np.concatenate(([base], values)) / n_classes
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

    base_terms = term(base_tp, base_fp, positives, np.arange(n_classes))
    after = term(tp, fp, np.repeat(positives, per_class),
                 np.repeat(np.arange(n_classes), per_class))
    before = np.empty_like(after)
    before[1:] = after[:-1]
    has_events = per_class > 0
    before[starts[has_events]] = base_terms[has_events]
    delta = np.empty_like(after)
    delta[by_class] = after - before
    base_total = base_terms.sum()
    return np.append(base_total, base_total + np.cumsum(delta)) / n_classes
