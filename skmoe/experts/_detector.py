"""What every detection expert shares: boxes in through ``fit``, image-level scores out.

A detector trains on boxes and becomes an image-level expert by taking, per class, the highest
confidence of its boxes in the image (0 when it finds none). The back-end classes (ultralytics,
torchvision) only implement ``_train`` and ``_detect``.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._images import check_image_input, source_sizes, take_images
from ..utils._inputs import check_fit_inputs
from ..utils._labels import background_column, predict_from_proba, to_indicator
from ..utils._sklearn_compat import Interval, _fit_context
from ._detection import check_boxes, max_confidence_per_class, stack_per_image

# More boxes than this share naming a class their image's label lacks means the class indices
# most likely follow another order than classes_ (NEU-DET itself has about 5% such boxes).
_MISMATCH_WARNING_SHARE = 0.5


class BaseDetector(ClassifierMixin, BaseEstimator):
    """Base of the detection experts: validation, class mapping and image-level probabilities.

    Subclasses implement ``_train(source, boxes, sizes)`` (boxes as (m_i, 5) arrays whose class
    index is a column of ``classes_``; sizes the (height, width) of every image) and
    ``_detect(source)`` (one (m_i, 6) array per image, same class indexing, coordinates in the
    image's pixels).
    """

    _parameter_constraints = {
        "background_class": [str, Real, None],
        "box_classes": ["array-like", None],
        "min_score": [Interval(Real, 0, 1, closed="left")],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, boxes=None):
        """Train the detector on the boxes of the images.

        Parameters
        ----------
        X : array of images or sequence of image paths
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Image labels: they fix ``classes_`` (the columns of ``predict_proba``). Images with
            a defect label but no boxes are left out of training (with one warning).
        boxes : sequence of array-like of shape (m_i, 5)
            Per image, (class index, x1, y1, x2, y2) in pixels, 0-based and inclusive; the
            class index is a column of ``classes_``, or a position in ``box_classes``.

        Returns
        -------
        self
        """
        check_fit_inputs(self, X, y)
        source = check_image_input(X)
        indicator, self.classes_, self.multilabel_ = to_indicator(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y has 1 class ({self.classes_[0]!r}); a classifier needs two.")
        self.background_index_ = None if self.background_class is None else background_column(
            self.classes_, self.background_class, multilabel=self.multilabel_)
        sizes = source_sizes(source)  # reads every header of a path input: once, here
        boxes = self._boxes_by_column(boxes, sizes)
        rows = self._training_rows(indicator, boxes)
        self._train(take_images(source, rows), [boxes[i] for i in rows], sizes[rows])
        return self

    def predict_boxes(self, X):
        """Detected boxes per image.

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        boxes : list of ndarray of shape (m_i, 6)
            (class index, x1, y1, x2, y2, confidence) per box, class index a column of
            ``classes_``, corners in pixels (0-based, inclusive, as the training boxes),
            boxes scoring below ``min_score`` left out (and never a box of the defect-free
            class).
        """
        check_is_fitted(self)
        detections = self._detect(check_image_input(X))
        if self.background_index_ is None:
            return detections
        # The network has an output for the defect-free class that no box ever trained.
        return [found[found[:, 0] != self.background_index_] for found in detections]

    def predict_proba(self, X):
        """Per class, the highest confidence of its boxes in the image (0 when none).

        The defect-free column (``background_class``), when there is one, is one minus the
        highest defect score: the probability that the image shows no defect.

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns are independent scores, not a distribution over classes.
        """
        scores = max_confidence_per_class(self.predict_boxes(X), len(self.classes_))
        if self.background_index_ is not None:
            defects = np.delete(scores, self.background_index_, axis=1)
            scores[:, self.background_index_] = 1.0 - defects.max(axis=1)
        return scores

    def predict(self, X):
        """Highest-scoring class (single-label) or classes scoring >= 0.5 (multi-label).

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return predict_from_proba(self.predict_proba(X), self.classes_,
                                  multilabel=self.multilabel_)

    # --- fit helpers -----------------------------------------------------------------------

    def _boxes_by_column(self, boxes, image_sizes):
        """Checked boxes whose class index is a column of ``classes_``."""
        estimator = f"{type(self).__name__}.fit"
        if self.box_classes is None:
            return check_boxes(boxes, image_sizes, len(self.classes_), estimator=estimator)
        names = np.asarray(self.box_classes)
        if names.ndim != 1 or not len(names):
            raise ValueError("box_classes must be a non-empty 1-D list of class names.")
        boxes = check_boxes(boxes, image_sizes, len(names), estimator=estimator)
        column = {name: i for i, name in enumerate(self.classes_.tolist())}
        column_of = np.array([column.get(name, -1) for name in names.tolist()])
        every, _ = stack_per_image(boxes, 5)
        unknown = column_of[every[:, 0].astype(np.int64)] < 0
        if unknown.any():
            raise ValueError(
                f"Boxes name box_classes that are not classes of y: "
                f"{sorted(set(names[every[unknown, 0].astype(np.int64)].tolist()))}; y's classes "
                f"are {self.classes_.tolist()}."
            )
        return [np.column_stack([column_of[b[:, 0].astype(np.int64)], b[:, 1:]]) for b in boxes]

    def _training_rows(self, indicator, boxes):
        """Check boxes against labels, warn about what cannot be learnt; rows to train on."""
        every, image = stack_per_image(boxes, 5)
        if not len(every):
            raise ValueError(f"None of the {len(boxes)} images has a box: a detector learns from "
                             "boxes of the defects (an empty array marks a defect-free image).")
        columns = every[:, 0].astype(np.int64)
        if self.background_index_ is not None and (columns == self.background_index_).any():
            raise ValueError(f"Boxes of the defect-free class {self.background_class!r}: a "
                             "defect-free image has no boxes; check the class indices.")
        defect_columns = np.arange(len(self.classes_))
        if self.background_index_ is not None:
            defect_columns = np.delete(defect_columns, self.background_index_)

        n_boxes = np.array([len(b) for b in boxes])
        unboxed = indicator[:, defect_columns].any(axis=1) & (n_boxes == 0)
        if unboxed.any():
            warnings.warn(
                f"{unboxed.sum()} of {len(boxes)} images have defect labels but no boxes (e.g. "
                f"image {np.flatnonzero(unboxed)[0]}); they are left out of the detector's "
                "training, where they would count as defect-free.", UserWarning, stacklevel=4)
        disagreeing = (indicator[image, columns] == 0).mean()
        if disagreeing > _MISMATCH_WARNING_SHARE:
            warnings.warn(
                f"{disagreeing:.0%} of the boxes name a class their "
                "image's label does not have. Do the box class indices follow classes_ "
                f"{self.classes_.tolist()}? If they index a dataset's target_names, pass "
                "box_classes=target_names.", UserWarning, stacklevel=4)
        missing = np.setdiff1d(defect_columns, columns)
        if len(missing):
            hint = ("" if self.background_index_ is not None else
                    " If one of them is the defect-free class, pass background_class=<its label>.")
            warnings.warn(
                f"Classes {self.classes_[missing].tolist()} have no boxes in the training data: "
                f"the detector cannot learn them and scores them 0.{hint}", UserWarning,
                stacklevel=4)
        return np.flatnonzero(~unboxed)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = True
        return tags
