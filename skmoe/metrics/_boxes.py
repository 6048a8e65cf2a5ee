"""Box average precision of a detector, computed by torchmetrics (COCO's rules).

Image-level scores are what the vote uses; a detector's boxes are judged by the detection
benchmarks' measure, the mean over classes of the average precision at an IoU threshold. The
counting (greedy matching by confidence, 101-point interpolated precision) is COCO's, through
torchmetrics' ``MeanAveragePrecision``, rather than written again here.
"""

from typing import NamedTuple

import numpy as np

from ..utils._optional import import_optional


class BoxAveragePrecision(NamedTuple):
    """Mean and per-class box average precision.

    ``per_class[c]`` is NaN for a class with no ground-truth box (COCO leaves such classes out
    of the mean).
    """

    mean: float
    per_class: np.ndarray


def box_average_precision(true_boxes, detected_boxes, *, iou_threshold=0.5, n_classes=None):
    """Average precision of detected boxes per class, and its mean over classes (mAP).

    A detection is a true positive when it overlaps a not yet matched ground-truth box of its
    class with an IoU of at least ``iou_threshold``, detections taken in decreasing confidence;
    the precision-recall curve is interpolated at 101 recall points, as in COCO. Boxes are in
    the layout of :meth:`~skmoe.experts.BaseDetector.predict_boxes`: continuous pixel
    coordinates with exclusive far edges (IoU from areas ``(x2 - x1) * (y2 - y1)``).

    Parameters
    ----------
    true_boxes : sequence of array-like of shape (m_i, 5)
        Per image, (class index, x1, y1, x2, y2) of the ground truth.
    detected_boxes : sequence of array-like of shape (k_i, 6)
        Per image, (class index, x1, y1, x2, y2, confidence) of the detections.
    iou_threshold : float, default=0.5
        Overlap a detection needs to count as found (0.5: "mAP@0.5").
    n_classes : int, default=None
        Length of ``per_class``; by default one more than the largest class index seen.

    Returns
    -------
    BoxAveragePrecision
        ``mean`` over the classes that have ground-truth boxes, and ``per_class``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.metrics import box_average_precision
    >>> truth = [np.array([[0, 0, 0, 10, 10]]), np.array([[0, 5, 5, 20, 20]])]
    >>> found = [np.array([[0, 1, 0, 11, 10, 0.9]]), np.empty((0, 6))]
    >>> result = box_average_precision(truth, found)
    >>> round(result.mean, 4)
    0.505
    """
    torch = import_optional("torch", needed_by="box_average_precision")
    detection = import_optional("torchmetrics.detection", needed_by="box_average_precision")
    import_optional("pycocotools", needed_by="box_average_precision")  # torchmetrics' backend
    if len(true_boxes) != len(detected_boxes):
        raise ValueError(f"true_boxes has {len(true_boxes)} images, detected_boxes "
                         f"{len(detected_boxes)}: give one array per image to both.")
    if not 0 < iou_threshold < 1:
        raise ValueError(f"iou_threshold={iou_threshold!r} must lie strictly between 0 and 1.")
    truth = [_checked(b, 5, "true_boxes", i) for i, b in enumerate(true_boxes)]
    found = [_checked(b, 6, "detected_boxes", i) for i, b in enumerate(detected_boxes)]
    seen = np.concatenate([b[:, 0] for b in truth + found] + [np.empty(0)])
    n_classes = int(seen.max(initial=-1)) + 1 if n_classes is None else n_classes
    if len(seen) and seen.max() >= n_classes:
        raise ValueError(f"A box has class index {int(seen.max())}, outside n_classes="
                         f"{n_classes}.")

    metric = detection.MeanAveragePrecision(iou_type="bbox", iou_thresholds=[iou_threshold],
                                            class_metrics=True)
    metric.update(
        [{"boxes": torch.as_tensor(b[:, 1:5]), "scores": torch.as_tensor(b[:, 5]),
          "labels": torch.as_tensor(b[:, 0]).long()} for b in found],
        [{"boxes": torch.as_tensor(b[:, 1:5]), "labels": torch.as_tensor(b[:, 0]).long()}
         for b in truth],
    )
    result = metric.compute()
    per_class = np.full(n_classes, np.nan)
    per_class[np.atleast_1d(result["classes"].numpy()).astype(int)] = \
        np.atleast_1d(result["map_per_class"].numpy())
    # COCO scores -1 for a class without ground truth (detections of it or not): undefined.
    per_class[per_class < 0] = np.nan
    mean = float("nan") if np.isnan(per_class).all() else float(np.nanmean(per_class))
    return BoxAveragePrecision(mean, per_class)


def _checked(boxes, width, name, i):
    layout = f"(class index, x1, y1, x2, y2{', confidence' if width == 6 else ''})"
    try:
        boxes = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):  # ragged rows, or values that are no numbers
        raise ValueError(f"{name}[{i}] is not an (n, {width}) array of numbers; give one row "
                         f"{layout} per box.") from None
    if boxes.size == 0:  # an image without boxes, whatever the empty array's shape
        boxes = boxes.reshape(0, width)
    if boxes.ndim != 2 or boxes.shape[1] != width:
        raise ValueError(f"{name}[{i}] has shape {boxes.shape}; expected (n, {width}) rows of "
                         f"{layout}.")
    if not np.isfinite(boxes).all():
        raise ValueError(f"{name}[{i}] holds NaN or infinite values; every class index, corner "
                         "and confidence must be a finite number.")
    classes = boxes[:, 0]
    if (classes < 0).any() or (classes != np.round(classes)).any():
        bad = classes[(classes < 0) | (classes != np.round(classes))][0]
        raise ValueError(f"{name}[{i}] has class index {bad:g}; class indices are whole numbers "
                         "from 0 (the column of the class in the detector's classes).")
    if width == 6 and ((boxes[:, 5] < 0) | (boxes[:, 5] > 1)).any():
        bad = boxes[(boxes[:, 5] < 0) | (boxes[:, 5] > 1), 5][0]
        raise ValueError(f"{name}[{i}] has confidence {bad:g}; confidences are probabilities "
                         "in [0, 1].")
    if (boxes[:, 3] < boxes[:, 1]).any() or (boxes[:, 4] < boxes[:, 2]).any():
        raise ValueError(f"{name}[{i}] has a box with x2 < x1 or y2 < y1; boxes are corners "
                         "(x1, y1, x2, y2).")
    return boxes
