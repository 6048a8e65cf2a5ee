"""Boxes: checked on the way in, made from masks, turned into image-level scores on the way out.

The convention (docs/design.md) is torchvision's: per image an array of shape (m_i, 5) of
(class index, x1, y1, x2, y2) in continuous pixel coordinates with exclusive far edges, so a box
over pixel columns 0..9 has x1=0, x2=10 and a box always fits ``0 <= x1 < x2 <= width``.
Detections add a sixth column, the confidence. Nothing converts by one pixel anywhere.
"""

import numpy as np

BOX_COLUMNS = 5
DETECTION_COLUMNS = 6

# 8-connectivity: pixels touching at a corner belong to the same defect.
_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def check_boxes(boxes, image_sizes, n_classes, *, checked_by="The detector", image_names=None):
    """Validate one box array per image against the images and the classes.

    Parameters
    ----------
    boxes : sequence of array-like of shape (m_i, 5)
        (class index, x1, y1, x2, y2) per box; an image without boxes has an empty array.
    image_sizes : ndarray of shape (n_images, 2)
        (height, width) of every image.
    n_classes : int
        Number of classes the class indices may name (0 .. n_classes - 1).
    checked_by : str
        Who checks, for the messages.
    image_names : sequence of str, default=None
        What the messages call each image (e.g. a loader's file names); by default its index.

    Returns
    -------
    boxes : list of ndarray of shape (m_i, 5), dtype float64
        Class indices are integer-valued; coordinates may be fractional.
    """
    if boxes is None:
        raise ValueError(
            f"{checked_by} needs boxes: fit(X, y, boxes=...) with one (m_i, 5) array of (class "
            "index, x1, y1, x2, y2) per image. Inside a meta-estimator or GridSearchCV, call "
            "sklearn.set_config(enable_metadata_routing=True) and detector.set_fit_request("
            "boxes=True) so that the boxes are passed and split with X."
        )
    if isinstance(boxes, np.ndarray) and boxes.dtype != object and boxes.ndim == 2:
        raise ValueError("boxes is one 2-D array; give one (m_i, 5) array per image (a list).")
    boxes = list(boxes)
    if len(boxes) != len(image_sizes):
        raise ValueError(f"boxes has {len(boxes)} entries but X has {len(image_sizes)} images; "
                         "give one (m_i, 5) array per image (empty for images without defects).")
    checked = [_as_box_array(b, i) for i, b in enumerate(boxes)]
    every, image = stack_per_image(checked, BOX_COLUMNS)
    if not len(every):
        return checked
    named = (lambda i: image_names[i]) if image_names is not None else (lambda i: i)
    classes, x1, y1, x2, y2 = every.T
    bad_class = (classes != np.round(classes)) | (classes < 0) | (classes >= n_classes)
    if bad_class.any():
        first = np.flatnonzero(bad_class)[0]
        raise ValueError(
            f"Box {every[first].tolist()} of image {named(image[first])} has class index "
            f"{classes[first]:g}; class indices must be integers in 0 .. {n_classes - 1}, the "
            "columns of classes_ (the sorted labels of 1-D y, the columns of an indicator y)."
        )
    height, width = image_sizes[image].T
    outside = (x1 < 0) | (y1 < 0) | (x2 > width) | (y2 > height) | (x1 >= x2) | (y1 >= y2)
    if outside.any():
        first = np.flatnonzero(outside)[0]
        raise ValueError(
            f"Box {every[first].tolist()} of image {named(image[first])} does not fit the image "
            f"({width[first]} x {height[first]} pixels): far edges are exclusive, as in "
            "torchvision, so 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height (a box over pixel "
            "columns 0..9 has x1=0, x2=10)."
        )
    return checked


def mask_to_boxes(mask, class_index, *, min_area=1):
    """One (class index, x1, y1, x2, y2) box per connected component of a mask.

    Far edges are exclusive (the skmoe box convention): a component over pixel columns 3..5
    gives x1=3, x2=6.

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

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.datasets import mask_to_boxes
    >>> mask = np.zeros((6, 8), dtype=bool)
    >>> mask[1:3, 2:5] = True  # rows 1-2, columns 2-4
    >>> mask[4, 6] = True
    >>> mask_to_boxes(mask, class_index=1)
    array([[1, 2, 1, 5, 3],
           [1, 6, 4, 7, 5]])
    """
    from scipy import ndimage

    labels, n_components = ndimage.label(np.asarray(mask) != 0, structure=_EIGHT_NEIGHBOURS)
    if n_components == 0:
        return np.zeros((0, BOX_COLUMNS), dtype=np.int64)
    areas = np.bincount(labels.ravel(), minlength=n_components + 1)[1:]
    boxes = [
        (class_index, cols.start, rows.start, cols.stop, rows.stop)
        for (rows, cols), area in zip(ndimage.find_objects(labels), areas)
        if area >= min_area
    ]
    return np.array(boxes, dtype=np.int64).reshape(-1, BOX_COLUMNS)


def stack_per_image(arrays, n_columns):
    """Concatenate per-image arrays into one, with the image index of every row."""
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    if not counts.sum():
        return np.empty((0, n_columns)), np.empty(0, dtype=np.int64)
    return np.concatenate(arrays), np.repeat(np.arange(len(arrays)), counts)


def max_confidence_per_class(detections, n_classes):
    """Image-level scores: per image and class, the highest confidence of its boxes (0 if none).

    Parameters
    ----------
    detections : sequence of ndarray of shape (m_i, 6)
        (class index, x1, y1, x2, y2, confidence) per detected box.
    n_classes : int

    Returns
    -------
    scores : ndarray of shape (n_images, n_classes)
    """
    scores = np.zeros((len(detections), n_classes))
    every, image = stack_per_image(detections, DETECTION_COLUMNS)
    np.maximum.at(scores, (image, every[:, 0].astype(np.int64)), every[:, 5])
    return scores


def _as_box_array(box, i):
    try:
        array = np.asarray(box if box is not None else [], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"boxes[{i}] is not an (m, 5) array of numbers (class index, x1, y1, "
                         "x2, y2): it holds text or rows of different lengths.") from exc
    if array.size == 0:
        return np.empty((0, BOX_COLUMNS))
    if array.ndim == 1 and array.shape[0] == BOX_COLUMNS:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != BOX_COLUMNS:
        raise ValueError(f"boxes[{i}] has shape {array.shape}; each image needs an (m, 5) array "
                         "of (class index, x1, y1, x2, y2).")
    if not np.isfinite(array).all():
        raise ValueError(f"boxes[{i}] contains NaN or infinite values.")
    return array
