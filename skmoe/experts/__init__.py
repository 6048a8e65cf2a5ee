"""Image experts: CNN classifiers (timm + skorch) and object detectors as image-level experts.

Importing this package does not import torch or ultralytics: the classes import them when they
fit or predict.
"""

from ._detector import BaseDetector
from ._image_classifier import ImageClassifier
from ._torchvision_detector import TorchvisionDetector
from ._yolo import YOLODetector

__all__ = ["BaseDetector", "ImageClassifier", "TorchvisionDetector", "YOLODetector"]
