"""Checks every meta-estimator runs on ``X`` and ``y`` before it fits anything."""

from os import PathLike

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import _num_samples

from ._sklearn_compat import _safe_indexing


def check_fit_inputs(estimator, X, y):
    """Raise a clear error for a missing y, an empty X or X and y of different lengths.

    ``X`` itself is not converted: meta-estimators pass it through untouched to their experts,
    which may take images, file paths or tabular features.
    """
    name = type(estimator).__name__
    if isinstance(X, str | PathLike):  # else its characters would count as samples
        raise TypeError(f"X is a single path ({str(X)!r}); pass a list of image paths, one per "
                        f"image (e.g. [{str(X)!r}]).")
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    n_images, n_labels = _num_samples(X), _num_samples(y)
    if n_images == 0:
        raise ValueError(f"X is empty (0 samples): {name}.fit needs at least one image per class.")
    if n_images != n_labels:
        raise ValueError(
            f"X and y have different lengths: {n_images} samples but {n_labels} labels."
        )


def take_rows(X, rows):
    """Rows of ``X`` (array, DataFrame, list of paths, sparse matrix) by boolean mask or index.

    Sparse formats without row indexing (COO, DIA, ...) are converted to CSR first.
    """
    if issparse(X) and X.format not in ("csr", "csc"):
        X = X.tocsr()
    elif not hasattr(X, "__getitem__"):  # array-likes that only convert (``__array__``)
        X = np.asarray(X)
    return _safe_indexing(X, rows)
