"""Applying a saved model to new images: the work of ``skmoe predict``.

:func:`predict_images` decides image after image, in batches, and writes one row per image
(CSV or JSON lines): the decision, the model's score per class, each expert's score per class
and an ``error`` for a file that could not be read. :func:`find_images` turns files, folders,
glob patterns and lists of paths into the images to decide.
"""

from ._inputs import IMAGE_SUFFIXES, find_images
from ._predict import predict_images

__all__ = ["IMAGE_SUFFIXES", "find_images", "predict_images"]
