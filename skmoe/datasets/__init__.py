"""Synthetic steel data, splitters and (later) loaders for real defect datasets."""

from ._split import stratified_partition, train_val_test_split
from ._synthetic import DEFAULT_CLASS_WEIGHTS, STEEL_CLASSES, make_steel_defects

__all__ = [
    "DEFAULT_CLASS_WEIGHTS",
    "STEEL_CLASSES",
    "make_steel_defects",
    "stratified_partition",
    "train_val_test_split",
]
