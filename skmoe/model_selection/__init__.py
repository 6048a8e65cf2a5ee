"""Splitters that keep every class's share, for long-tailed single- and multi-label data."""

from ._split import stratified_partition, train_val_test_split

__all__ = ["stratified_partition", "train_val_test_split"]
