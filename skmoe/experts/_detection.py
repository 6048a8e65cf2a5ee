"""The numpy side of the detection experts: boxes checked on the way in, scores on the way out.

Boxes follow the package convention (docs/design.md): per image an array of shape (m_i, 5) of
(class index, x1, y1, x2, y2), 0-based pixels inclusive of both corners. Detections add a sixth
column, the confidence.
"""

import numpy as np

BOX_COLUMNS = 5
DETECTION_COLUMNS = 6


def check_boxes(boxes, image_sizes, n_classes, *, estimator="The detector"):
    """Validate one box array per image against the images and the classes.

    Parameters
    ----------
    boxes : sequence of array-like of shape (m_i, 5)
        (class index, x1, y1, x2, y2) per box; an image without boxes has an empty array.
    image_sizes : ndarray of shape (n_images, 2)
        (height, width) of every image.
    n_classes : int
        Number of classes the class indices may name (0 .. n_classes - 1).
    estimator : str
        Who checks, for the messages.

    Returns
    -------
    boxes : list of ndarray of shape (m_i, 5), dtype float64
        Class indices are integer-valued; coordinates may be fractional.
    """
    if boxes is None:
        raise ValueError(
            f"{estimator} needs boxes: fit(X, y, boxes=...) with one (m_i, 5) array of (class "
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
    classes, x1, y1, x2, y2 = every.T
    bad_class = (classes != np.round(classes)) | (classes < 0) | (classes >= n_classes)
    if bad_class.any():
        first = np.flatnonzero(bad_class)[0]
        raise ValueError(
            f"Box {every[first].tolist()} of image {image[first]} has class index "
            f"{classes[first]:g}; class indices must be integers in 0 .. {n_classes - 1}, the "
            "columns of classes_ (or positions in box_classes when given)."
        )
    height, width = image_sizes[image].T
    outside = (x1 < 0) | (y1 < 0) | (x2 > width - 1) | (y2 > height - 1) | (x1 > x2) | (y1 > y2)
    if outside.any():
        first = np.flatnonzero(outside)[0]
        raise ValueError(
            f"Box {every[first].tolist()} of image {image[first]} does not fit the image "
            f"({width[first]} x {height[first]} pixels): corners are 0-based and inclusive, so "
            "0 <= x1 <= x2 <= width - 1 and 0 <= y1 <= y2 <= height - 1."
        )
    return checked


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


def to_extent(corners):
    """Inclusive pixel corners (x1, y1, x2, y2) to the continuous extent detectors train on.

    A box covering pixels 3..5 spans [3, 6) in continuous coordinates.
    """
    extent = np.array(corners, dtype=np.float64).reshape(-1, 4)
    extent[:, 2:] += 1
    return extent


def to_corners(extent):
    """A detector's continuous (x1, y1, x2, y2) back to inclusive pixel corners."""
    corners = np.array(extent, dtype=np.float64).reshape(-1, 4)
    corners[:, 2:] = np.maximum(corners[:, 2:] - 1, corners[:, :2])
    return corners


def _as_box_array(box, i):
    array = np.asarray(box if box is not None else [], dtype=np.float64)
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
