"""Bad input to box_average_precision: each a clear error naming the argument and the layout."""

import numpy as np
import pytest

from skmoe.metrics import box_average_precision

from ._table import case, check_case

pytest.importorskip("torchmetrics")

NO_TRUTH, NO_DETECTIONS = np.zeros((0, 5)), np.zeros((0, 6))

CASES = [
    case("image counts differ", lambda: box_average_precision([NO_TRUTH], []),
         ValueError, "true_boxes has 1 images, detected_boxes 0: give one array per image"),
    case("truth without a class column",
         lambda: box_average_precision([np.zeros((1, 4))], [NO_DETECTIONS]),
         ValueError, r"true_boxes\[0\] has shape \(1, 4\); expected \(n, 5\) rows of \(class "
                     r"index, x1, y1, x2, y2\)"),
    case("detections without confidence",
         lambda: box_average_precision([NO_TRUTH], [np.zeros((1, 5))]),
         ValueError, r"detected_boxes\[0\] has shape \(1, 5\); expected \(n, 6\) rows of "
                     r"\(class index, x1, y1, x2, y2, confidence\)"),
    case("corners swapped",
         lambda: box_average_precision([np.array([[0, 10, 0, 5, 10]])], [NO_DETECTIONS]),
         ValueError, r"true_boxes\[0\] has a box with x2 < x1 or y2 < y1"),
    case("class past n_classes",
         lambda: box_average_precision([np.array([[3, 0, 0, 5, 10]])], [NO_DETECTIONS],
                                       n_classes=2),
         ValueError, "A box has class index 3, outside n_classes=2"),
    case("negative class index",
         lambda: box_average_precision([np.array([[-1, 0, 0, 5, 10]])], [NO_DETECTIONS]),
         ValueError, r"true_boxes\[0\] has class index -1; class indices are whole numbers"),
    case("fractional class index",
         lambda: box_average_precision([NO_TRUTH], [np.array([[0.6, 0, 0, 5, 10, 0.9]])]),
         ValueError, r"detected_boxes\[0\] has class index 0.6; class indices are whole"),
    case("NaN corner",
         lambda: box_average_precision([np.array([[0, np.nan, 0, 5, 10]])], [NO_DETECTIONS]),
         ValueError, r"true_boxes\[0\] holds NaN or infinite values"),
    case("confidence above 1",
         lambda: box_average_precision([NO_TRUTH], [np.array([[0, 0, 0, 5, 10, 7.5]])]),
         ValueError, r"detected_boxes\[0\] has confidence 7.5; confidences are probabilities"),
    case("negative confidence",
         lambda: box_average_precision([NO_TRUTH], [np.array([[0, 0, 0, 5, 10, -2]])]),
         ValueError, r"has confidence -2; confidences are probabilities in \[0, 1\]"),
    case("ragged rows",
         lambda: box_average_precision([[[0, 0, 0, 5, 10], [0, 1, 2]]], [NO_DETECTIONS]),
         ValueError, r"true_boxes\[0\] is not an \(n, 5\) array of numbers; give one row"),
    case("iou threshold of 1",
         lambda: box_average_precision([NO_TRUTH], [NO_DETECTIONS], iou_threshold=1.0),
         ValueError, "iou_threshold=1.0 must lie strictly between 0 and 1"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)
