"""Per-class defect report: precision, recall, F1 and accuracy for every class.

The reference tables of multi-expert defect inspection give every class its own column, the
defect-free class included, with macro averages and the overall (exact-match) accuracy. This
module computes them with ``sklearn.metrics`` and renders them in that layout.
"""

import warnings
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)
from sklearn.utils.multiclass import type_of_target, unique_labels

from ..utils._labels import check_probabilities
from ..utils._messages import plain
from ._operating_point import OperatingPoint, operating_point

_ROWS = ("precision", "recall", "f1", "accuracy")


class MacroAverages(NamedTuple):
    """Unweighted means over classes.

    Examples
    --------
    >>> from skmoe.metrics import defect_report
    >>> defect_report(["ok", "scratch", "ok"], ["ok", "ok", "ok"]).macro.f1
    0.4
    """

    precision: float
    recall: float
    f1: float
    accuracy: float


@dataclass(frozen=True, eq=False)
class DefectReport:
    """Per-class scores of a defect classifier, as data and as a table.

    Build it with :func:`defect_report`. Arrays are indexed like ``target_names``.

    Attributes
    ----------
    target_names : tuple of str
        Class names, one per column.
    precision, recall, f1, accuracy : ndarray of shape (n_classes,)
        Per-class scores. Accuracy of class c is the fraction of images whose presence or
        absence of c is predicted right.
    support : ndarray of shape (n_classes,)
        Number of images where each class is truly present.
    overall_accuracy : float
        Fraction of images whose every label is right (exact match).
    operating_point : OperatingPoint or None
        Escape and overkill rates with their intervals, when the report was given the
        defect-free class (``background``).

    Examples
    --------
    >>> from skmoe.metrics import defect_report
    >>> report = defect_report(["ok", "scratch", "ok"], ["ok", "ok", "ok"])
    >>> report.target_names, report.recall.tolist(), round(report.overall_accuracy, 3)
    (('ok', 'scratch'), [1.0, 0.0], 0.667)
    """

    target_names: tuple
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    accuracy: np.ndarray
    support: np.ndarray
    overall_accuracy: float
    operating_point: OperatingPoint | None = None
    macro: MacroAverages = field(init=False)

    def __post_init__(self):
        means = (float(np.mean(getattr(self, row))) for row in _ROWS)
        object.__setattr__(self, "macro", MacroAverages(*means))

    def to_dict(self):
        """Return the scores as plain Python data: ``{class: {metric: value}}`` plus summaries."""
        per_class = {
            name: {row: float(getattr(self, row)[i]) for row in (*_ROWS, "support")}
            for i, name in enumerate(self.target_names)
        }
        summary = {
            "per_class": per_class,
            "macro": self.macro._asdict(),
            "overall_accuracy": self.overall_accuracy,
        }
        if self.operating_point is not None:
            summary["operating_point"] = asdict(self.operating_point)
        return summary

    def to_markdown(self, digits=4):
        """Render the report as a Markdown table, classes as columns like the reference tables.

        Parameters
        ----------
        digits : int, default=4
            Digits after the decimal point.
        """
        fmt = f"{{:.{digits}f}}"
        header = ["", *self.target_names, "Macro"]
        lines = [_row(header), _row(["---"] + ["---:"] * (len(header) - 1))]
        for row in _ROWS:
            values = [fmt.format(v) for v in getattr(self, row)]
            label = "F1" if row == "f1" else row.capitalize()
            lines.append(_row([label, *values, fmt.format(getattr(self.macro, row))]))
        lines.append(_row(["Support", *(str(int(s)) for s in self.support), ""]))
        lines.append("")
        lines.append(f"Overall (exact-match) accuracy: {fmt.format(self.overall_accuracy)}")
        if self.operating_point is not None:
            lines.append(f"Operating point: {self.operating_point}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Bar chart of precision, recall and F1 per class (needs matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        ax : matplotlib Axes
        """
        from ..utils._optional import import_optional

        plt = import_optional("matplotlib.pyplot", needed_by="DefectReport.plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 1.2 * len(self.target_names), 3.5))
        x = np.arange(len(self.target_names))
        width = 0.27
        for offset, row in zip((-width, 0.0, width), ("precision", "recall", "f1")):
            ax.bar(x + offset, getattr(self, row), width, label=row)
        ax.set_xticks(x, self.target_names, rotation=20)
        ax.set_ylim(0, 1.2)
        ax.set_title(f"macro F1 {self.macro.f1:.3f}, exact-match accuracy "
                     f"{self.overall_accuracy:.3f}")
        ax.legend(loc="upper center", ncols=3, fontsize="small")
        return ax

    def __str__(self):
        return self.to_markdown()


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def defect_report(
    y_true, y_pred, *, target_names=None, labels=None, threshold=None, zero_division=0.0,
    background=None,
):
    """Per-class precision, recall, F1 and accuracy, with macro averages and exact-match accuracy.

    Works for single-label predictions (1-D labels) and multi-label ones (2-D 0/1 indicator
    matrices). The defect-free class is scored like every other class when it is one of the
    labels or indicator columns, which is how the reference tables report it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        True labels or indicator matrix.
    y_pred : array-like of the same shape as ``y_true``
        Predicted labels or indicator matrix. A float indicator matrix of probabilities is
        accepted when ``threshold`` is given.
    target_names : sequence of str, default=None
        Display names of the classes, in the order of the labels (sorted, or ``labels``). By
        default the labels themselves (1-D), the DataFrame columns, or ``"class 0"``,
        ``"class 1"``, ... (2-D). Names that are the labels in another order are matched to
        their labels; names that are some labels at other positions are refused.
    labels : array-like, default=None
        For 1-D input, the classes to report and their order; by default every label seen in
        ``y_true`` or ``y_pred``, sorted.
    threshold : float in [0, 1], default=None
        When ``y_pred`` holds probabilities, a class counts as predicted where its probability
        reaches ``threshold``.
    zero_division : float, default=0.0
        Value of precision (or recall) for a class that is never predicted (or never present).
    background : label, int or None, default=None
        The defect-free class (a label of 1-D ``y``; a column index or a ``target_names``
        entry of an indicator matrix). Given, the report adds the operating point an
        inspection line reads: escape and overkill rates with 95% intervals
        (:func:`operating_point`).

    Returns
    -------
    DefectReport
        Per-class arrays, ``macro`` averages, ``overall_accuracy``, ``to_markdown()``.

    Examples
    --------
    >>> from skmoe.metrics import defect_report
    >>> report = defect_report(["ok", "pit", "ok", "scratch"], ["ok", "pit", "pit", "scratch"])
    >>> report.recall
    array([0.5, 1. , 1. ])
    >>> round(report.overall_accuracy, 2)
    0.75
    """
    columns = getattr(y_true, "columns", None)
    y_true, y_pred = _check_inputs(y_true, y_pred, threshold)
    multilabel = y_true.ndim == 2
    if multilabel:
        if labels is not None:
            raise ValueError("labels applies to 1-D labels only; select indicator columns instead.")
        labels = np.arange(y_true.shape[1])
    elif labels is None:
        labels = unique_labels(y_true, y_pred)
    else:
        unseen = [label for label in labels
                  if not (np.isin(label, y_true) or np.isin(label, y_pred))]
        if unseen:
            # Legitimate (a class with no test images) but also how a misspelt label looks.
            warnings.warn(f"labels {[plain(u) for u in unseen]} occur in neither y_true nor "
                          "y_pred: their rows are zeros. Check their spelling against the "
                          "labels of y.", UserWarning, stacklevel=2)
    labels = np.asarray(labels)

    if multilabel and y_true.shape[1] == 1:
        # sklearn reads a one-column indicator as 1-D binary labels; a zero column keeps it 2-D.
        pad = np.zeros_like(y_true)
        y_true, y_pred = np.hstack([y_true, pad]), np.hstack([y_pred, pad])
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=None if multilabel else labels, average=None,
        zero_division=zero_division,
    )
    confusion = multilabel_confusion_matrix(y_true, y_pred, labels=None if multilabel else labels)
    n_classes = len(labels)
    precision, recall, f1, support, confusion = (
        a[:n_classes] for a in (precision, recall, f1, support, confusion)
    )
    true_negatives, true_positives = confusion[:, 0, 0], confusion[:, 1, 1]
    accuracy = (true_negatives + true_positives) / len(y_true)

    names = _target_names(target_names, labels, multilabel, columns)
    point = None
    if background is not None:
        if multilabel and not isinstance(background, int | np.integer):
            if background not in names:
                raise ValueError(f"background={background!r} is none of the target names "
                                 f"{list(names)}; give its name or column index.")
            background = names.index(background)
        point = operating_point(y_true, y_pred, background=background)
    return DefectReport(
        target_names=names,
        precision=precision,
        recall=recall,
        f1=f1,
        accuracy=accuracy,
        support=support,
        overall_accuracy=float(accuracy_score(y_true, y_pred)),
        operating_point=point,
    )


def _check_inputs(y_true, y_pred, threshold):
    for name, value in (("y_true", y_true), ("y_pred", y_pred)):
        if value is None or np.ndim(value) == 0:
            raise ValueError(f"{name} is {value!r}: give one label (or indicator row) per "
                             "image, e.g. an estimator's predict output.")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        raise ValueError("y_true is empty: the report needs at least one image.")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}."
        )
    text = [a.dtype.kind in "USO" and any(isinstance(v, str) for v in a.ravel()[:1000])
            for a in (y_true, y_pred)]
    if text[0] != text[1]:
        raise ValueError(
            f"y_true holds {'text' if text[0] else 'numbers'} and y_pred "
            f"{'text' if text[1] else 'numbers'}: both must use the same labels (predictions "
            "of an estimator fitted on these labels; class indices map to names through its "
            "classes_).")
    if y_pred.dtype.kind == "f":
        y_pred = check_probabilities(y_pred, name="y_pred")
        if threshold is not None:
            if not 0 <= threshold <= 1:
                raise ValueError(f"threshold must lie in [0, 1]; got {threshold}.")
            y_pred = (y_pred >= threshold).astype(np.int64)
        elif not np.isin(y_pred, (0.0, 1.0)).all():
            raise ValueError(
                "y_pred holds probabilities, not labels; pass threshold=0.5 (or another cut-off) "
                "or give the estimator's predict output."
            )
        else:
            y_pred = y_pred.astype(np.int64)
    if y_true.ndim == 2:
        if type_of_target(y_true) != "multilabel-indicator" and y_true.shape[1] > 1:
            raise ValueError("A 2-D y_true must be a 0/1 indicator matrix.")
        y_true = y_true.astype(np.int64)
        y_pred = y_pred.astype(np.int64)
        if not np.isin(y_pred, (0, 1)).all():
            raise ValueError("A 2-D y_pred must be a 0/1 indicator matrix.")
    return y_true, y_pred


def _target_names(target_names, labels, multilabel, columns):
    if target_names is None:
        if columns is not None:
            return tuple(str(name) for name in columns)
        if multilabel:
            return tuple(f"class {label}" for label in labels)
        return tuple(str(label) for label in labels)
    target_names = tuple(str(name) for name in target_names)
    if len(target_names) != len(labels):
        raise ValueError(
            f"target_names has {len(target_names)} names but there are {len(labels)} classes "
            f"({np.asarray(labels).tolist()})."
        )
    # Names are given in the order of the labels. A name that is itself another position's
    # label means another order (e.g. a loader's names for sorted labels): the labels
    # themselves are then the names, or the order cannot be told and is refused.
    label_names = [str(label) for label in np.asarray(labels).tolist()]
    position = {name: i for i, name in enumerate(label_names)}
    moved = [name for i, name in enumerate(target_names) if position.get(name, i) != i]
    if moved:
        if sorted(target_names) == sorted(label_names):
            return tuple(label_names)
        raise ValueError(
            f"target_names {list(target_names)} name labels {moved} at other positions than "
            f"the labels {label_names}; give one name per label in that order, or leave "
            "target_names out."
        )
    return target_names
