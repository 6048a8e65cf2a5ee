"""Two-stage classification: a defect / no-defect gate in front of a defect classifier."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..utils._fit_state import check_frozen_is_fitted, unfitted_on_error
from ..utils._inputs import check_fit_inputs, take_rows
from ..utils._labels import background_column, defect_columns, from_indicator, to_indicator
from ..utils._messages import naming, plain
from ..utils._proba import predict_class_proba
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    fit_router,
    require_multi_label,
    route_fit_params,
    rows_of_params,
    takes_multi_label,
)


class TwoStagePipeline(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Binary defect gate followed by a classifier trained on defective images only.

    The gate learns defect vs defect-free on every image. The classifier learns the defect
    classes on the defective images alone, so the defect-free majority no longer drowns the
    rare (tail) classes. Probabilities cover every class: with gate probability ``g`` that an
    image is defective and classifier probability ``p_c`` of defect class ``c``,
    ``P(defect-free) = 1 - g`` and ``P(c) = g * p_c``.

    With ``gating="hard"`` the classifier runs only on images whose gate probability reaches
    ``gate_threshold``; the gate's decision on the others is final: ``P(defect-free) = 1`` and
    ``P(c) = 0`` for every defect class (so single-label rows still sum to 1). This is a speed
    feature: on inspection lines most images are defect-free, and the (usually heavier) defect
    classifier is skipped for them.

    Works with any scikit-learn classifiers and any ``X`` they accept (tabular features or, with
    image experts, images). Either stage may be prefit: wrap it in
    :class:`sklearn.frozen.FrozenEstimator` and ``fit`` leaves it as it is.

    Parameters
    ----------
    gate : classifier with predict_proba
        Learns defect (1) vs defect-free (0). A prefit gate must have been trained on such a
        0/1 (or False/True) target.
    classifier : classifier with predict_proba
        Learns the defect classes on defective images. For multi-label ``y`` it must handle an
        indicator matrix (e.g. ``RandomForestClassifier`` or ``MultiOutputClassifier``; its
        ``multi_label`` tag says so). Not needed (may be anything) when ``y`` has a single
        defect class.
    background_class : str, int or None, default="background"
        The defect-free class: a label of 1-D ``y``, or an indicator column of 2-D ``y`` (its
        index, or its name when ``y`` is a DataFrame). None: ``y`` names no defect-free
        class. For 1-D ``y`` the first class in sorted order (``classes_[0]``) is then the
        defect-free one (e.g. 0, where 1..4 are the defect classes as in Severstal's
        ``ClassId``); for an indicator ``y`` every column is a defect class and a row with no
        class marked is a defect-free image (the layout of Severstal's four ``ClassId``
        columns).
    gating : {"soft", "hard"}, default="soft"
        ``"soft"`` runs both stages on every image; ``"hard"`` skips the classifier where the
        gate says defect-free.
    gate_threshold : float in (0, 1), default=0.5
        Gate probability from which an image counts as defective under hard gating.

    Attributes
    ----------
    gate_ : classifier
        The fitted gate.
    classifier_ : classifier or None
        The fitted defect classifier; None when ``y`` has a single defect class (its probability
        is then the gate's).
    classes_ : ndarray of shape (n_classes,)
        Every class, the defect-free one included: labels (1-D ``y``) or column ids (2-D).
    background_index_ : int or None
        Position of the defect-free class in ``classes_``; None for an indicator ``y`` without
        a defect-free column (``background_class=None``).
    multilabel_ : bool
        Whether ``y`` was an indicator matrix; ``predict`` then returns one too.

    See Also
    --------
    skmoe.MultiExpertVotingClassifier : weighted vote over several experts.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skmoe import TwoStagePipeline
    >>> from skmoe.datasets import make_steel_defects
    >>> X, y = make_steel_defects(400, image_size=32, random_state=0)
    >>> model = TwoStagePipeline(LogisticRegression(max_iter=500),
    ...                          RandomForestClassifier(random_state=0))
    >>> model.fit(X.reshape(len(X), -1), y).classes_
    array(['background', 'crazing', 'patches', 'pits', 'scratches'], dtype='<U10')
    """

    _parameter_constraints = {
        "gate": [HasMethods(["fit", "predict_proba"])],
        "classifier": [HasMethods(["fit", "predict_proba"])],
        "background_class": [str, int, np.integer, None],
        "gating": [StrOptions({"soft", "hard"})],
        "gate_threshold": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self, gate, classifier, *, background_class="background", gating="soft", gate_threshold=0.5
    ):
        self.gate = gate
        self.classifier = classifier
        self.background_class = background_class
        self.gating = gating
        self.gate_threshold = gate_threshold

    @_fit_context(prefer_skip_nested_validation=False)
    @unfitted_on_error
    def fit(self, X, y, **fit_params):
        """Fit the gate on every image and the classifier on the defective ones.

        Parameters
        ----------
        X : array-like
            Training input, in any form both stages accept.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, or 0/1 indicator matrix, including the defect-free class.
        **fit_params : dict
            Parameters for the stages' ``fit`` (e.g. ``sample_weight``), routed by
            scikit-learn's metadata routing; the classifier gets the defective rows of
            sample-aligned ones. ``boxes`` and ``masks`` index classes by this pipeline's
            ``classes_``; the classifier gets them re-indexed to its own (the defect classes:
            box class indices shift, the defect-free mask channel is dropped).

        Returns
        -------
        self : TwoStagePipeline
        """
        check_fit_inputs(self, X, y)
        params = route_fit_params(self, ["gate", "classifier"], fit_params)
        indicator, self.classes_, self.multilabel_ = to_indicator(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has 1 class ({self.classes_.tolist()[0]!r}); a two-stage model needs the "
                "defect-free class and at least one defect class."
            )
        self.background_index_ = self._background_index()
        defect_columns = self._defect_columns()
        defective = indicator[:, defect_columns].any(axis=1)
        if self.background_index_ is not None and self.multilabel_:
            _check_indicator_rows(indicator, self.background_index_, self.classes_)
        if defective.all() or not defective.any():
            kind = "defective" if defective.all() else "defect-free"
            raise ValueError(
                f"Every training image is {kind}; the gate needs both defective and defect-free "
                f"images (background_class={plain(self.background_class)!r})."
            )
        if self.multilabel_ and len(defect_columns) > 1:
            require_multi_label(self.classifier, "classifier")

        self.gate_ = _fit_stage("gate", self.gate, X, defective.astype(np.int64), params["gate"])
        self._gate_column = _positive_column(self.gate_)

        self.classifier_ = None
        if len(defect_columns) > 1:
            X_defective = take_rows(X, defective)
            if self.multilabel_:
                y_defective = indicator[defective][:, defect_columns]
            else:
                y_defective = np.asarray(y).ravel()[defective]
            classifier_params = _defect_indexed(
                rows_of_params(X, params["classifier"], np.flatnonzero(defective)),
                defect_columns)
            self.classifier_ = _fit_stage("classifier", self.classifier, X_defective,
                                          y_defective, classifier_params)
            self._check_classifier_classes()
        return self

    def _background_index(self):
        """Column of the defect-free class, with the real cause when it is not in ``y``."""
        if self.background_class is None:
            return None if self.multilabel_ else 0
        try:
            return background_column(self.classes_, self.background_class,
                                     multilabel=self.multilabel_)
        except ValueError as exc:
            if self.multilabel_:
                raise
            # Most often the label is right and every training image is defective.
            raise ValueError(
                f"y has no image of background_class={plain(self.background_class)!r} "
                f"(classes: {self.classes_.tolist()}): either every training image is "
                "defective, and the gate needs defect-free images too, or the defect-free "
                "images carry another label: set background_class to it (None takes the first "
                "class in sorted order)."
            ) from exc

    def _defect_columns(self):
        return defect_columns(len(self.classes_), self.background_index_)

    def _check_classifier_classes(self):
        """Map the classifier's output columns to the defect classes, or raise."""
        defect_classes = self.classes_[self._defect_columns()]
        if self.multilabel_:
            n_outputs = len(self.classifier_.classes_)
            if n_outputs != len(defect_classes):
                raise ValueError(
                    f"The classifier predicts {n_outputs} labels but y has "
                    f"{len(defect_classes)} defect columns."
                )
            self._classifier_columns = np.arange(n_outputs)
            return
        known = list(self.classifier_.classes_)
        missing = [c for c in defect_classes if c not in known]
        if missing:
            raise ValueError(
                f"The classifier does not know the defect classes {plain(missing)} (it knows "
                f"{plain(known)}); "
                "a prefit classifier must have been trained on every defect class of y."
            )
        self._classifier_columns = np.array([known.index(c) for c in defect_classes])

    def predict_proba(self, X):
        """Probability of every class, the defect-free one included.

        Parameters
        ----------
        X : array-like
            Input, in any form both stages accept.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``1 - g`` for the defect-free class and ``g * p_c`` for defect class ``c``. For
            single-label ``y`` rows sum to 1. Under hard gating an image the gate rejects gets
            1 for the defect-free class and 0 for every defect class.
        """
        check_is_fitted(self)
        gate_proba = predict_class_proba(self.gate_, X, name="gate")[:, self._gate_column]
        n_samples = len(gate_proba)
        proba = np.zeros((n_samples, len(self.classes_)))
        background = self.background_index_ is not None
        if background:
            proba[:, self.background_index_] = 1.0 - gate_proba
        defect_columns = self._defect_columns()

        if self.classifier_ is None:  # a single defect class: its probability is the gate's
            proba[:, defect_columns[0]] = gate_proba
            return proba
        run = np.ones(n_samples, dtype=bool)
        if self.gating == "hard":
            run = gate_proba >= self.gate_threshold
            if background:
                proba[~run, self.background_index_] = 1.0  # the gate's decision is final
            if not run.any():
                return proba
        X_run = X if run.all() else take_rows(X, run)
        class_proba = predict_class_proba(self.classifier_, X_run, name="classifier")
        class_proba = class_proba[:, self._classifier_columns]
        proba[np.ix_(run, defect_columns)] = gate_proba[run, None] * class_proba
        return proba

    def predict(self, X):
        """Predict labels (1-D ``y``) or an indicator matrix (2-D ``y``).

        Single-label: the most probable class. Multi-label: every defect class whose
        probability reaches 0.5, and the defect-free class where no defect does.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._predict_from_proba(self.predict_proba(X))

    def _predict_from_proba(self, proba):
        """``predict`` from ``predict_proba``'s output (``skmoe predict`` runs the stages once)."""
        if not self.multilabel_:
            return from_indicator(proba, self.classes_, multilabel=False)
        indicator = (proba >= 0.5).astype(np.int64)
        if self.background_index_ is not None:
            defects = indicator[:, self._defect_columns()].any(axis=1)
            indicator[:, self.background_index_] = ~defects
        return indicator

    def get_metadata_routing(self):
        """Routing of fit parameters to the gate's and the classifier's ``fit``.

        Returns
        -------
        routing : MetadataRouter
        """
        return fit_router(self, [("gate", self.gate), ("classifier", self.classifier)])

    @property
    def n_features_in_(self):
        """Number of features seen by the gate during fit."""
        return self.gate_.n_features_in_

    @property
    def feature_names_in_(self):
        """Feature names seen by the gate during fit."""
        return self.gate_.feature_names_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The gate always learns a 1-D defect indicator: multi-label y is the classifier's.
        tags.classifier_tags.multi_label = takes_multi_label(self.classifier)
        stages = [get_tags(self.gate), get_tags(self.classifier)]
        tags.input_tags.sparse = all(t.input_tags.sparse for t in stages)
        tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in stages)
        return tags


def _fit_stage(name, stage, X, y, params):
    """A fitted clone of the stage (a frozen one as it is); errors name the stage."""
    check_frozen_is_fitted(stage, f"The {name}", ", or pass it unfrozen to train it here")
    with naming(name):
        return clone(stage).fit(X, y, **params)


def _check_indicator_rows(indicator, background_index, classes):
    """Refuse multi-label rows that say neither or both of defect-free and defective."""
    background = indicator[:, background_index].astype(bool)
    defective = np.delete(indicator, background_index, axis=1).any(axis=1)
    for rows, what in ((~background & ~defective, "no class at all"),
                       (background & defective, "both the defect-free class and a defect")):
        if rows.any():
            raise ValueError(
                f"{np.count_nonzero(rows)} row(s) of y (the first is row "
                f"{int(np.flatnonzero(rows)[0])}) mark {what}; every image must be either "
                f"defect-free (column {plain(classes[background_index])!r} only) or defective "
                "(one or more defect columns). Fix those labels."
            )


def _positive_column(gate):
    """Column of the gate's predict_proba for "defective"."""
    classes = list(gate.classes_)
    for positive in (1, True):
        if positive in classes and len(classes) == 2:
            return classes.index(positive)
    raise ValueError(
        f"The gate must be a binary classifier of defective (1) vs defect-free (0); its classes "
        f"are {plain(classes)}. Train a prefit gate on a 0/1 defect indicator."
    )


def _defect_indexed(params, defect_columns):
    """Boxes and masks of the defective images, re-indexed for the defect classifier.

    They index classes by the pipeline's ``classes_``; the classifier knows only the defect
    classes (its ``classes_`` are ``classes_[defect_columns]``, in that order), so a box's
    class index becomes its position among them and the masks lose the defect-free channel.
    """
    params = dict(params)
    if "boxes" in params:
        position = np.full(max(defect_columns) + 1, -1)
        position[defect_columns] = np.arange(len(defect_columns))
        boxes = []
        for image_boxes in params["boxes"]:
            image_boxes = np.array(image_boxes, dtype=float).reshape(-1, 5)
            classes = image_boxes[:, 0].astype(np.int64)
            if ((classes < 0) | (classes >= len(position))).any() or \
                    (position[classes] < 0).any():
                raise ValueError("A box of a defective image names the defect-free class or no "
                                 "class of y: box class indices must be columns of classes_.")
            image_boxes[:, 0] = position[classes]
            boxes.append(image_boxes)
        params["boxes"] = boxes
    if "masks" in params:
        params["masks"] = [np.asarray(image_masks)[defect_columns]
                           for image_masks in params["masks"]]
    return params
