"""Box average precision: torchmetrics' COCO counting checked against hand-computed cases."""

import numpy as np
import pytest

from skmoe.metrics import box_average_precision

pytest.importorskip("torchmetrics")
pytest.importorskip("pycocotools")


def test_hand_computed_average_precision():
    # Class 0: two ground-truth boxes; detections by confidence: hit (0.9), miss (0.8), hit
    # (0.7). Precision / recall after each: 1/0.5, 0.5/0.5, 0.67/1. Interpolated at COCO's 101
    # recall points: precision 1 for recall 0..0.5 (51 points), 2/3 above (50 points).
    # Class 1: its only detection overlaps the box with IoU 50/150 = 1/3 < 0.5: AP 0.
    truth = [np.array([[0, 0, 0, 10, 10]]),
             np.array([[0, 20, 20, 30, 30], [1, 0, 0, 10, 10]])]
    found = [np.array([[0, 0, 0, 10, 10, 0.9], [0, 40, 40, 50, 50, 0.8]]),
             np.array([[0, 20, 20, 30, 30, 0.7], [1, 5, 0, 15, 10, 0.95]])]
    result = box_average_precision(truth, found)
    expected_class_0 = (51 * 1 + 50 * 2 / 3) / 101
    np.testing.assert_allclose(result.per_class, [expected_class_0, 0.0], atol=1e-6)
    assert result.mean == pytest.approx(expected_class_0 / 2, abs=1e-6)


def test_iou_threshold_decides_a_match():
    # IoU of these two boxes: 90 / 110 = 0.818.
    truth = [np.array([[0, 0, 0, 10, 10]])]
    found = [np.array([[0, 1, 0, 11, 10, 0.9]])]
    assert box_average_precision(truth, found, iou_threshold=0.8).mean == pytest.approx(1.0)
    assert box_average_precision(truth, found, iou_threshold=0.85).mean == pytest.approx(0.0)


def test_class_without_ground_truth_is_left_out_of_the_mean():
    truth = [np.array([[0, 0, 0, 10, 10]]), np.empty((0, 5))]
    found = [np.array([[0, 0, 0, 10, 10, 0.9]]), np.array([[2, 0, 0, 10, 10, 0.8]])]
    result = box_average_precision(truth, found, n_classes=4)
    assert result.per_class.shape == (4,)
    assert result.per_class[0] == pytest.approx(1.0)
    assert np.isnan(result.per_class[1:]).all()
    assert result.mean == pytest.approx(1.0)


def test_a_missed_image_lowers_recall():
    truth = [np.array([[0, 0, 0, 10, 10]]), np.array([[0, 0, 0, 10, 10]])]
    found = [np.array([[0, 0, 0, 10, 10, 0.9]]), np.empty((0, 6))]
    # Recall reaches 0.5 at precision 1: 51 of 101 points.
    assert box_average_precision(truth, found).mean == pytest.approx(51 / 101, abs=1e-6)
