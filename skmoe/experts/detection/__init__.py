"""Object detectors as image-level experts: each class scored by the best box of that class.

``_base.py`` holds what every detector shares, ``_boxes.py`` the box convention (torchvision's:
far edges exclusive) and its checks; each back-end sits beside its adapters: ultralytics
(``_yolo.py``, ``_ultralytics.py``) and torchvision (``_torchvision.py``,
``_torchvision_parts.py``).
"""

from ._base import BaseDetector
from ._torchvision import TorchvisionDetector
from ._yolo import YOLODetector

__all__ = ["BaseDetector", "TorchvisionDetector", "YOLODetector"]
