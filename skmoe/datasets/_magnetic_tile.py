"""Magnetic-tile surface defects (Huang et al.): class folders with pixel masks."""

import numpy as np

from ..experts.detection._boxes import mask_to_boxes
from ..utils._images import image_sizes
from ._common import check_dataset_boxes, check_root, make_bunch

_LAYOUT = "MT_<Class>/Imgs/<name>.jpg with a same-name <name>.png mask (MT_Free = defect-free)"
BACKGROUND = "MT_Free"

DESCR = """Magnetic-tile surface defects: 1,344 grayscale images of varying size, each with a
pixel mask (non-zero = defect). Classes MT_Free 952 (defect-free), MT_Blowhole 115, MT_Uneven
103, MT_Break 85, MT_Crack 57, MT_Fray 32: strongly long-tailed with a dominant defect-free
class. Boxes are the connected components of the masks (8-connectivity), far edges exclusive
(as in torchvision).
Cite: Y. Huang, C. Qiu, K. Yuan, The Visual Computer 36 (2020) 85-96."""


def load_magnetic_tile(root, *, min_area=1, split_file=None, subset=None, return_masks=False):
    """Load Magnetic-tile images, labels and boxes derived from the masks.

    Parameters
    ----------
    root : str or Path
        Folder holding the ``MT_<Class>`` folders.
    min_area : int, default=1
        Mask components with fewer pixels give no box.
    split_file, subset : see :func:`skmoe.datasets.load_neu`.
    return_masks : bool, default=False
        Also return ``masks``: per image a boolean array (n_classes, height, width) whose
        channel c marks the defect pixels of class c of ``target_names`` (the image's own
        class; every channel of a defect-free image is empty), the layout segmentation experts
        take.

    Returns
    -------
    Bunch
        ``images``, ``target`` (class names), ``target_names`` (sorted),
        ``boxes``, ``background_class`` (``"MT_Free"``), ``DESCR``, ``masks`` on request, and
        ``split`` with ``split_file``.

    Examples
    --------
    >>> from skmoe.datasets import load_magnetic_tile
    >>> tiles = load_magnetic_tile("data/magnetic-tile", split_file="split.csv")  # doctest: +SKIP
    >>> tiles.background_class, len(tiles.images)  # doctest: +SKIP
    ('MT_Free', 1344)
    """
    from PIL import Image

    root = check_root(root, _LAYOUT)
    folders = sorted(d for d in root.glob("MT_*") if (d / "Imgs").is_dir())
    if not any(d.name == BACKGROUND for d in folders):
        raise ValueError(f"No {BACKGROUND}/Imgs folder in {root}. Expected {_LAYOUT}.")
    # Sorted as a classifier orders the labels (classes_), so that box class indices are
    # columns of classes_.
    target_names = [d.name for d in folders]
    images, labels, boxes, masks = [], [], [], []
    for folder in folders:
        class_index = target_names.index(folder.name)
        for path in sorted((folder / "Imgs").glob("*.jpg")):
            mask_path = path.with_suffix(".png")
            if not mask_path.exists():
                raise FileNotFoundError(f"Mask {mask_path} is missing. Expected {_LAYOUT}.")
            with Image.open(mask_path) as mask_image:
                mask = np.asarray(mask_image.convert("L")) > 0
            images.append(path)
            labels.append(folder.name)
            is_defect = folder.name != BACKGROUND
            boxes.append(mask_to_boxes(mask, class_index, min_area=min_area) if is_defect
                         else np.zeros((0, 5), dtype=np.int64))
            if return_masks:
                planes = np.zeros((len(target_names), *mask.shape), dtype=bool)
                if is_defect:
                    planes[class_index] = mask
                masks.append(planes)
    check_dataset_boxes(images, boxes, image_sizes(images), len(target_names))
    extra = {"masks": masks} if return_masks else {}
    return make_bunch(root, images, labels, target_names, boxes=boxes, background_class=BACKGROUND,
                      descr=DESCR, split_file=split_file, subset=subset, **extra)
