"""One probability layout for every kind of sklearn classifier."""

import numpy as np
from sklearn.utils.validation import _num_samples

from ._labels import check_probabilities
from ._messages import naming


def predict_class_proba(estimator, X, *, name="estimator"):
    """Return ``estimator``'s class probabilities as one (n_samples, n_classes) array.

    Multi-output classifiers (e.g. a RandomForest fitted on an indicator matrix) return a list
    with one (n_samples, 2) array per label; each becomes one column: the probability that the
    label is present. Single-output classifiers already return (n_samples, n_classes).

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like
        Input accepted by the estimator.
    name : str
        The estimator's name, used in error messages.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skmoe.utils import predict_class_proba
    >>> X, Y = np.arange(8.0)[:, None], np.array([[0, 1]] * 4 + [[1, 1]] * 4)  # two labels
    >>> forest = RandomForestClassifier(10, random_state=0).fit(X, Y)
    >>> len(forest.predict_proba(X)), predict_class_proba(forest, X).shape  # a list, one array
    (2, (8, 2))
    """
    with naming(name):
        proba = estimator.predict_proba(X)
    if isinstance(proba, list):
        proba = np.column_stack([_present_column(p, c) for p, c in zip(proba, estimator.classes_)])
    proba = check_probabilities(proba, name=f"{name}.predict_proba values")
    n_samples, n_classes = _num_samples(X), len(estimator.classes_)
    if proba.shape != (n_samples, n_classes):
        raise ValueError(
            f"{name}.predict_proba returned an array of shape {proba.shape} for {n_samples} "
            f"samples and {n_classes} classes (classes_); it must be (n_samples, n_classes)."
        )
    return proba


def _present_column(label_proba, label_classes):
    """Probability that a 0/1 label is present, from a per-label (n, k) proba array."""
    label_classes = list(label_classes)
    if 1 in label_classes:
        return label_proba[:, label_classes.index(1)]
    # The label was never present in training: the model can only say "absent".
    return np.zeros(label_proba.shape[0])
