"""The one place that imports scikit-learn internals.

skmoe supports scikit-learn >= 1.6. Parameter validation and ``validate_data`` live in modules
that scikit-learn keeps semi-private; importing them here means a future move touches one file.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import validate_data

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_fit_context",
    "_safe_indexing",
    "validate_data",
    "validate_params",
]
