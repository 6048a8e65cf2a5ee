"""What every detection expert shares: boxes in through ``fit``, image-level scores out.

A detector trains on boxes and becomes an image-level expert by taking, per class, the highest
confidence of its boxes in the image (0 when it finds none). The back-ends (ultralytics,
torchvision) implement only ``_train`` and ``_detect``; the rest of the image-expert template
(:class:`~skmoe.experts.BaseImageExpert`) is shared.
"""

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ...utils._global_state import keeps_global_state
from ...utils._images import check_image_input, source_sizes, take_images
from ...utils._labels import background_column, defect_columns, with_background_column
from ...utils._messages import plain, warn_at_caller
from ...utils._sklearn_compat import Interval, StrOptions
from .._base import BaseImageExpert
from ._boxes import check_boxes, max_confidence_per_class, stack_per_image

# More boxes than this share naming a class their image's label lacks means the class indices
# most likely follow another order than classes_ (NEU-DET itself has about 5% such boxes).
_MISMATCH_WARNING_SHARE = 0.5


class BaseDetector(BaseImageExpert):
    """Base of the detection experts: boxes checked against labels, image-level probabilities.

    Box class indices are columns of ``classes_``: the sorted labels of 1-D ``y``, the columns
    of an indicator ``y``. Every loader of :mod:`skmoe.datasets` and
    :func:`~skmoe.datasets.make_steel_defects` give boxes indexed that way (their
    ``target_names`` are in that order), so their output goes straight into ``fit``.

    Subclasses implement ``_train(source, boxes, sizes, indicator)`` (boxes as checked (m_i, 5)
    arrays, sizes the (height, width) of every image, indicator the images' labels) and
    ``_detect(source, device)`` (one (m_i, 6) array per image, same class indexing,
    coordinates in the image's pixels).

    See Also
    --------
    YOLODetector, TorchvisionDetector : the detectors built on it.

    Examples
    --------
    A detector that "finds" a box wherever an image is darker than a level, scored by how dark:

    >>> import numpy as np
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import BaseDetector
    >>> class DarkSpotDetector(BaseDetector):
    ...     def __init__(self, level=60, background_class="auto", min_score=0.0, device="cpu",
    ...                  random_state=None):
    ...         self.level, self.background_class = level, background_class
    ...         self.min_score, self.device, self.random_state = min_score, device, random_state
    ...     def _train(self, source, boxes, sizes, indicator):
    ...         self.dark_class_ = 2  # a real model learns from the boxes
    ...     def _detect(self, source, device):
    ...         found = []
    ...         for image in source.array[..., 0]:
    ...             rows, cols = np.nonzero(image < self.level)
    ...             box = [self.dark_class_, cols.min(initial=0), rows.min(initial=0),
    ...                    cols.max(initial=0) + 1, rows.max(initial=0) + 1, 0.9]
    ...             found.append(np.array([box]) if rows.size else np.empty((0, 6)))
    ...         return found
    >>> X, y, boxes = make_steel_defects(50, image_size=32, class_weights=[1] * 5,
    ...                                  return_boxes=True, random_state=0)
    >>> detector = DarkSpotDetector().fit(X, y, boxes=boxes)
    >>> detector.classes_[detector.background_index_], detector.predict_proba(X[:2]).shape
    (np.str_('background'), (2, 5))
    """

    _parameter_constraints = {
        **BaseImageExpert._parameter_constraints,
        "background_class": [StrOptions({"auto"}), str, Real, None],
        "min_score": [Interval(Real, 0, 1, closed="left")],
    }

    def fit(self, X, y, boxes=None):
        """Train the detector on the boxes of the images.

        Parameters
        ----------
        X : array of images or sequence of image paths
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Image labels: they fix ``classes_`` (the columns of ``predict_proba``). Images with
            a defect label but no boxes are left out of training (with one warning).
        boxes : sequence of array-like of shape (m_i, 5)
            Per image, (class index, x1, y1, x2, y2) in pixels with exclusive far edges (as in
            torchvision); the class index is a column of ``classes_``.

        Returns
        -------
        self
        """
        return super().fit(X, y, boxes=boxes)

    def _fit(self, source, indicator, boxes):
        sizes = source_sizes(source)  # reads every header of a path input: once, here
        boxes = check_boxes(boxes, sizes, len(self.classes_),
                            checked_by=f"{type(self).__name__}.fit")
        self.background_index_ = self._background_index(indicator, boxes)
        rows = self._training_rows(indicator, boxes)
        self._train(take_images(source, rows), [boxes[i] for i in rows], sizes[rows],
                    indicator[rows])

    @keeps_global_state
    def predict_boxes(self, X):
        """Detected boxes per image.

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        boxes : list of ndarray of shape (m_i, 6)
            (class index, x1, y1, x2, y2, confidence) per box, class index a column of
            ``classes_``, coordinates in pixels with exclusive far edges (as the training
            boxes), boxes scoring below ``min_score`` left out (and never a box of the
            defect-free class).
        """
        check_is_fitted(self)
        return self._boxes(check_image_input(X), self._prediction_device())

    def _predict_proba(self, source, device):
        """Per class, the highest confidence of its boxes in the image (0 when none); the
        defect-free column (``background_class``), when there is one, is one minus the highest
        defect score. Columns are independent scores, not a distribution over classes."""
        scores = max_confidence_per_class(self._boxes(source, device), len(self.classes_))
        columns = defect_columns(len(self.classes_), self.background_index_)
        return with_background_column(scores[:, columns], len(self.classes_),
                                      self.background_index_)

    def _boxes(self, source, device):
        detections = self._detect(source, device)
        if self.background_index_ is None:
            return detections
        # The network has an output for the defect-free class that no box ever trained.
        return [found[found[:, 0] != self.background_index_] for found in detections]

    # --- fit helpers -----------------------------------------------------------------------

    def _background_index(self, indicator, boxes):
        """Column of the defect-free class: given, or ("auto") the one class without boxes."""
        if self.background_class is None:
            return None
        if not (isinstance(self.background_class, str) and self.background_class == "auto"):
            return background_column(self.classes_, self.background_class,
                                     multilabel=self.multilabel_)
        every, image = stack_per_image(boxes, 5)
        boxed_images = np.zeros(len(boxes), dtype=bool)
        boxed_images[image] = True
        named = np.zeros(len(self.classes_), dtype=bool)
        named[every[:, 0].astype(np.int64)] = True
        # A defect-free class: no box names it and none of its images has a box.
        unboxed = ~named & ~(indicator.astype(bool) & boxed_images[:, None]).any(axis=0)
        candidates = np.flatnonzero(unboxed & indicator.any(axis=0))
        return int(candidates[0]) if len(candidates) == 1 else None

    def _training_rows(self, indicator, boxes):
        """Check boxes against labels, warn about what cannot be learnt; rows to train on."""
        every, image = stack_per_image(boxes, 5)
        if not len(every):
            raise ValueError(f"None of the {len(boxes)} images has a box: a detector learns from "
                             "boxes of the defects (an empty array marks a defect-free image).")
        columns = every[:, 0].astype(np.int64)
        if self.background_index_ is not None and (columns == self.background_index_).any():
            raise ValueError(f"Boxes of the defect-free class {plain(self.background_class)!r}: a "
                             "defect-free image has no boxes; check the class indices.")
        defects = defect_columns(len(self.classes_), self.background_index_)
        n_boxes = np.array([len(b) for b in boxes])
        labelled_defective = indicator[:, defects].any(axis=1)
        unboxed = labelled_defective & (n_boxes == 0)
        boxed_clean = ~labelled_defective & (n_boxes > 0)
        if self.background_index_ is not None and boxed_clean.any():
            warn_at_caller(
                f"{boxed_clean.sum()} of {len(boxes)} images labelled defect-free "
                f"({plain(self.background_class)!r}) have boxes (e.g. image "
                f"{np.flatnonzero(boxed_clean)[0]}); the detector learns those boxes as defects. "
                "Check the labels, or give those images empty box arrays.")
        if unboxed.any():
            warn_at_caller(
                f"{unboxed.sum()} of {len(boxes)} images have defect labels but no boxes (e.g. "
                f"image {np.flatnonzero(unboxed)[0]}); they are left out of the detector's "
                "training, where they would count as defect-free.")
        disagreeing = (indicator[image, columns] == 0).mean()
        if disagreeing > _MISMATCH_WARNING_SHARE:
            warn_at_caller(
                f"{disagreeing:.0%} of the boxes name a class their image's label does not "
                f"have. Box class indices must be columns of classes_ {self.classes_.tolist()}"
                " (the sorted labels of 1-D y): renumber the boxes of a dataset whose class "
                "order differs.")
        missing = np.setdiff1d(defects, columns)
        if len(missing):
            hint = ("" if self.background_index_ is not None else
                    " If one of them is the defect-free class, pass background_class=<its label>.")
            warn_at_caller(
                f"Classes {self.classes_[missing].tolist()} have no boxes in the training data: "
                f"the detector cannot learn them and scores them 0.{hint}")
        return np.flatnonzero(~unboxed)
