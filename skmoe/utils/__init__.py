"""Shared helpers: label layouts, probability layouts, optional imports."""

from ._labels import check_probabilities, from_indicator, to_indicator
from ._optional import import_optional
from ._proba import predict_class_proba

__all__ = [
    "check_probabilities",
    "from_indicator",
    "import_optional",
    "predict_class_proba",
    "to_indicator",
]
