"""Boxes from masks: one box per connected component."""

import numpy as np
from scipy import ndimage

# 8-connectivity: pixels touching at a corner belong to the same defect.
_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def mask_to_boxes(mask, class_index, *, min_area=1):
    """One (class index, x1, y1, x2, y2) box per connected component of a mask.

    Coordinates are 0-based pixel indices, inclusive of both ends (the skmoe box convention).

    Parameters
    ----------
    mask : array-like of shape (height, width)
        Non-zero pixels belong to the defect.
    class_index : int
        Class index written in the first column.
    min_area : int, default=1
        Components with fewer pixels are ignored (specks of annotation noise).

    Returns
    -------
    boxes : ndarray of shape (n_components, 5), dtype int64
    """
    labels, n_components = ndimage.label(np.asarray(mask) != 0, structure=_EIGHT_NEIGHBOURS)
    if n_components == 0:
        return np.zeros((0, 5), dtype=np.int64)
    areas = np.bincount(labels.ravel(), minlength=n_components + 1)[1:]
    boxes = [
        (class_index, cols.start, rows.start, cols.stop - 1, rows.stop - 1)
        for (rows, cols), area in zip(ndimage.find_objects(labels), areas)
        if area >= min_area
    ]
    return np.array(boxes, dtype=np.int64).reshape(-1, 5)
