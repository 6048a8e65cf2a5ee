"""Image experts: CNN classifiers (timm + skorch) and object detectors as image-level experts.

Importing this package does not import torch or ultralytics: the classes import them when they
fit or predict.
"""

from ._base import BaseImageExpert
from ._image_classifier import ImageClassifier
from .detection import BaseDetector, TorchvisionDetector, YOLODetector

__all__ = ["BaseDetector", "BaseImageExpert", "ImageClassifier", "TorchvisionDetector",
           "YOLODetector"]
