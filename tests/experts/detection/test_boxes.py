"""Boxes: the checks every detector and loader share, masks to boxes, image-level scores."""

import numpy as np
import pytest

from skmoe.datasets import mask_to_boxes
from skmoe.experts.detection._boxes import check_boxes, max_confidence_per_class

SIZES = np.array([[10, 20], [10, 20]])  # two images of 10 rows x 20 columns


# --- check_boxes --------------------------------------------------------------------------

def test_check_boxes_accepts_empty_images_and_whole_images():
    """Far edges are exclusive: a box over the whole 20 x 10 image ends at (20, 10)."""
    boxes = check_boxes([[], [[1, 0, 0, 20, 10]]], SIZES, n_classes=2)
    assert boxes[0].shape == (0, 5) and boxes[1].tolist() == [[1, 0, 0, 20, 10]]


@pytest.mark.parametrize("boxes, message", [
    (None, "needs boxes"),
    ([[]], "boxes has 1 entries but X has 2 images"),
    (np.zeros((2, 5)), "one 2-D array"),
    ([[], [[2, 0, 0, 3, 3]]], "class index 2"),
    ([[], [[0.5, 0, 0, 3, 3]]], "class index 0.5"),
    ([[], [[-1, 0, 0, 3, 3]]], "class index -1"),
    ([[], [[0, 0, 0, 21, 3]]], "does not fit the image"),
    ([[], [[0, 3, 0, 3, 3]]], "does not fit the image"),  # empty: x1 == x2
    ([[], [[0, 0, -1, 3, 3]]], "does not fit the image"),
    ([[], [[0, 5, 0, 3, 3]]], "does not fit the image"),
    ([[], [[0, 0, 0, 3]]], "has shape"),
    ([[], [[0, 0, np.nan, 3, 3]]], "NaN"),
])
def test_check_boxes_errors(boxes, message):
    with pytest.raises(ValueError, match=message):
        check_boxes(boxes, SIZES, n_classes=2)


def test_mask_to_boxes_gives_components_with_exclusive_far_edges():
    """Each 8-connected component gives its tight box (pixels 1..4 give x1=1, x2=5); small
    ones can be dropped; the boxes pass the detectors' checks."""
    mask = np.zeros((6, 8), dtype=bool)
    mask[1:3, 1:4] = True  # 6 pixels
    mask[3, 4] = True  # touches the first at a corner: same component
    mask[5, 7] = True  # a speck in the far corner
    boxes = mask_to_boxes(mask, 1)
    np.testing.assert_array_equal(boxes, [[1, 1, 1, 5, 4], [1, 7, 5, 8, 6]])
    np.testing.assert_array_equal(mask_to_boxes(mask, 1, min_area=2), [[1, 1, 1, 5, 4]])
    assert mask_to_boxes(np.zeros((3, 3)), 1).shape == (0, 5)
    check_boxes([boxes], np.array([mask.shape]), n_classes=2)


def test_max_confidence_per_class():
    detections = [np.array([[1, 0, 0, 2, 2, 0.3], [1, 0, 0, 2, 2, 0.7], [0, 0, 0, 1, 1, 0.2]]),
                  np.empty((0, 6))]
    np.testing.assert_allclose(max_confidence_per_class(detections, 3),
                               [[0.2, 0.7, 0.0], [0.0, 0.0, 0.0]])


def test_check_boxes_names_the_image_it_was_told():
    """Loaders pass their file names, so the error says which file holds the bad box."""
    with pytest.raises(ValueError, match="of image b.jpg does not fit"):
        check_boxes([[], [[0, 0, 0, 30, 3]]], SIZES, n_classes=2, image_names=["a.jpg", "b.jpg"])
