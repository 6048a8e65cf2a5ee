"""Image experts: CNN classifiers (timm + skorch), object detectors and segmentation networks as
image-level experts.

Importing this package does not import torch or ultralytics: the classes import them when they
fit or predict.
"""

from ._base import BaseImageExpert
from ._features import ImageFeatures, make_feature_expert
from ._image_classifier import ImageClassifier
from ._segmentation import SegmentationExpert
from ._texture import TextureExpert, texture_histograms
from .detection import BaseDetector, TorchvisionDetector, YOLODetector

__all__ = ["BaseDetector", "BaseImageExpert", "ImageClassifier", "ImageFeatures",
           "SegmentationExpert", "TextureExpert", "make_feature_expert",
           "texture_histograms",
           "TorchvisionDetector", "YOLODetector"]
