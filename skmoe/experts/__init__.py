"""Image experts: CNN classifiers (timm + skorch); detectors to come.

Importing this package does not import torch: the classes import it when they fit or predict.
"""

from ._image_classifier import ImageClassifier

__all__ = ["ImageClassifier"]
