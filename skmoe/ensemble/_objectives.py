"""Search objectives computed from per-class confusion counts.

An objective that is a mean over classes of a function of (true positives, false positives,
positives) lets the search sweep candidate thresholds and weights exactly: moving one cell from
"not predicted" to "predicted" changes one class's counts by one. Each function below returns
that per-class term, vectorised over any array shape; the objective is the mean over classes.
"""

import numpy as np


def precision_plus_recall(tp, fp, positives):
    """Per-class precision + recall; macro precision + macro recall is their mean.

    Counts are whole numbers, so a class never predicted (tp + fp = 0) or never present
    (positives = 0) has tp = 0, and its precision or recall is 0.
    """
    tp = np.asarray(tp, dtype=np.float64)
    return tp / np.maximum(tp + fp, 1) + tp / np.maximum(positives, 1)


def f1(tp, fp, positives):
    """Per-class F1 = 2 tp / (2 tp + fp + fn); macro F1 is their mean (0 when undefined)."""
    tp = np.asarray(tp, dtype=np.float64)
    return 2 * tp / np.maximum(tp + fp + positives, 1)


#: Objectives the exact search understands, by name.
COUNT_OBJECTIVES = {"precision_recall": precision_plus_recall, "f1": f1}


def confusion_counts(y_true, y_pred):
    """Per-class true positives, false positives and positives of 0/1 indicator matrices.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples, n_classes) of bool or 0/1

    Returns
    -------
    tp, fp, positives : ndarray of shape (n_classes,), int64
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    tp = np.count_nonzero(y_true & y_pred, axis=0)
    fp = np.count_nonzero(~y_true & y_pred, axis=0)
    return tp, fp, np.count_nonzero(y_true, axis=0)


def count_objective_value(term, y_true, y_pred):
    """Mean over classes of ``term`` for the given indicator matrices."""
    return float(np.mean(term(*confusion_counts(y_true, y_pred))))
