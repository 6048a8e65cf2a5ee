"""Real defect datasets, synthetic steel data and mask utilities."""

from ..experts.detection._boxes import mask_to_boxes
from ._common import summarize
from ._features import image_statistics
from ._image_folder import load_image_folder
from ._magnetic_tile import load_magnetic_tile
from ._neu import NEU_CLASSES, load_neu
from ._rle import rle_decode, rle_encode
from ._severstal import SEVERSTAL_CLASSES, load_severstal
from ._synthetic import DEFAULT_CLASS_WEIGHTS, STEEL_CLASSES, make_steel_defects

__all__ = [
    "DEFAULT_CLASS_WEIGHTS",
    "image_statistics",
    "NEU_CLASSES",
    "SEVERSTAL_CLASSES",
    "STEEL_CLASSES",
    "load_image_folder",
    "load_magnetic_tile",
    "load_neu",
    "load_severstal",
    "make_steel_defects",
    "mask_to_boxes",
    "rle_decode",
    "rle_encode",
    "summarize",
]
