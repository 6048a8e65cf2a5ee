"""Conversions between the two label layouts skmoe accepts.

``y`` is either 1-D labels (one label per image) or a 2-D 0/1 indicator matrix (several labels per
image). Internally everything works on the indicator layout; predictions go back to the layout
the estimator was fitted on.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from ._messages import plain

_ONE_D_TARGETS = ("binary", "multiclass")


def to_indicator(y, *, classes=None):
    """Return ``y`` as a 0/1 indicator matrix with the classes of its columns.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels, or a 0/1 indicator matrix. A pandas DataFrame indicator keeps its column names
        as class names; a plain 2-D array gets the column indices ``0 .. n_classes - 1``.
    classes : array-like, default=None
        Classes of the columns, in order. For 1-D ``y`` labels not in ``classes`` raise; for 2-D
        ``y`` the number of columns must match. By default they are inferred from ``y``.

    Returns
    -------
    indicator : ndarray of shape (n_samples, n_classes), dtype int8
    classes : ndarray of shape (n_classes,)
    multilabel : bool
        True when ``y`` was an indicator matrix.

    See Also
    --------
    from_indicator : back to the layout an estimator was fitted on.

    Examples
    --------
    >>> from skmoe.utils import to_indicator
    >>> indicator, classes, multilabel = to_indicator(["ok", "scratch", "ok"])
    >>> indicator.tolist(), classes.tolist(), multilabel
    ([[1, 0], [0, 1], [1, 0]], ['ok', 'scratch'], False)
    """
    columns = getattr(y, "columns", None)
    target_type = type_of_target(y, input_name="y")
    if target_type in _ONE_D_TARGETS:
        y = column_or_1d(y, warn=True)  # a single column warns, as in scikit-learn
        if classes is None:
            classes = np.unique(y)
        classes = np.asarray(classes)
        indicator = (y[:, None] == classes[None, :]).astype(np.int8)
        unknown = indicator.sum(axis=1) == 0
        if unknown.any():
            raise ValueError(
                f"y holds labels the fitted classes do not know: "
                f"{np.unique(y[unknown])[:5].tolist()}; "
                f"known classes are {classes.tolist()}. Give only those labels, or refit the "
                "models on data with every class."
            )
        return indicator, classes, False
    if target_type == "multilabel-indicator":
        indicator = np.asarray(y).astype(np.int8)
        if classes is None:
            classes = np.asarray(columns) if columns is not None else np.arange(indicator.shape[1])
        classes = np.asarray(classes)
        if len(classes) != indicator.shape[1]:
            raise ValueError(
                f"y has {indicator.shape[1]} indicator columns but {len(classes)} classes."
            )
        return indicator, classes, True
    raise ValueError(
        f"Unknown label type {target_type!r}: y must be 1-D class labels or a 2-D 0/1 "
        "indicator matrix. "
        "Continuous or multi-output multi-class targets are not supported."
    )


def from_indicator(indicator, classes, *, multilabel, scores=None):
    """Return predictions in the layout the estimator was fitted on.

    For multi-label estimators the indicator is returned as is. For single-label estimators each
    row becomes one label: the highest-scoring class (``scores``, or the indicator itself).

    See Also
    --------
    to_indicator : the indicator layout of any y.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.utils import from_indicator
    >>> from_indicator(np.array([[0.2, 0.8], [0.9, 0.1]]), ["ok", "scratch"], multilabel=False)
    array(['scratch', 'ok'], dtype='<U7')
    """
    if multilabel:
        return np.asarray(indicator, dtype=np.int64)
    scores = indicator if scores is None else scores
    return np.asarray(classes)[np.argmax(scores, axis=1)]


def predict_from_proba(proba, classes, *, multilabel):
    """Predictions of a probabilistic classifier in the layout it was fitted on.

    Single-label: the most probable class. Multi-label: the indicator of every class whose
    probability reaches 0.5.
    """
    indicator = proba >= 0.5 if multilabel else proba
    return from_indicator(indicator, classes, multilabel=multilabel, scores=proba)


def background_column(classes, background_class, *, multilabel):
    """Column of the defect-free class in ``classes``, or a ValueError saying what to pass."""
    matches = np.flatnonzero(np.asarray(classes) == background_class)
    if len(matches) == 0:
        hint = (
            "y is an indicator matrix, so pass the column index (e.g. background_class=0)"
            if multilabel and np.issubdtype(np.asarray(classes).dtype, np.integer)
            else "set background_class to the label of the defect-free images"
        )
        raise ValueError(
            f"background_class={plain(background_class)!r} is not a class of y "
            f"(classes: {np.asarray(classes).tolist()}); {hint}."
        )
    return int(matches[0])


def defect_columns(n_classes, background_index):
    """Columns of the defect classes: all of ``n_classes`` but the defect-free one, if any."""
    columns = np.arange(n_classes)
    return columns if background_index is None else np.delete(columns, background_index)


def with_background_column(defect_scores, n_classes, background_index):
    """Scores of all ``n_classes`` from those of the defect classes (in column order): the
    defect-free column, when there is one, is one minus the highest defect score, the
    probability that the image shows no defect."""
    scores = np.zeros((len(defect_scores), n_classes))
    scores[:, defect_columns(n_classes, background_index)] = defect_scores
    if background_index is not None:
        scores[:, background_index] = 1.0 - np.max(defect_scores, axis=1, initial=0.0)
    return scores


def check_probabilities(proba, *, name="probabilities"):
    """Raise a ValueError unless ``proba`` is finite and inside [0, 1].

    Parameters
    ----------
    proba : ndarray
        Array of probabilities.
    name : str
        What the array is, used in the message.

    Returns
    -------
    proba : ndarray of float64

    Examples
    --------
    >>> from skmoe.utils import check_probabilities
    >>> check_probabilities([[0.2, 1.7]], name="scores")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: scores must lie in [0, 1]; found values from 0.2 to 1.7. Pass probabilities ...
    """
    try:
        proba = np.asarray(proba, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        # numpy's own message (chained) shows numpy reprs such as np.str_('a').
        raise ValueError(f"{name} must be an array of numbers of one shape; the "
                         f"{type(proba).__name__} given holds something else (text, or rows "
                         "of different lengths).") from exc
    if not np.all(np.isfinite(proba)):
        raise ValueError(
            f"{name} contain NaN or infinite values ({np.count_nonzero(~np.isfinite(proba))} "
            "entries); check the model that produced them."
        )
    if proba.size and (proba.min() < 0 or proba.max() > 1):
        raise ValueError(
            f"{name} must lie in [0, 1]; found values from {proba.min():.4g} to "
            f"{proba.max():.4g}. Pass probabilities (predict_proba), not scores or logits."
        )
    return proba


def require_two_classes(classes, *, needed_by):
    """Raise a ValueError unless ``classes`` holds two classes or more.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        The classes found in ``y``.
    needed_by : str
        What needs them, for the message (e.g. "a classifier").
    """
    if len(classes) < 2:
        raise ValueError(f"y has 1 class ({np.asarray(classes).tolist()[0]!r}); {needed_by} needs "
                         "two or more. Give training data with every class.")
