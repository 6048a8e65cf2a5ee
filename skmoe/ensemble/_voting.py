"""MultiExpertVotingClassifier: thresholded, weighted voting over independently trained experts."""

import time
import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, get_tags
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted

from ..model_selection import stratified_partition
from ..utils._fit_state import check_frozen_is_fitted, unfitted_on_error
from ..utils._inputs import check_fit_inputs, take_rows
from ..utils._labels import background_column, require_two_classes, to_indicator
from ..utils._messages import naming, plain
from ..utils._proba import predict_class_proba
from ..utils._sklearn_compat import (
    Interval,
    RealNotInt,
    StrOptions,
    _BaseComposition,
    _fit_context,
    fit_router,
    require_multi_label,
    route_fit_params,
    rows_of_params,
    scorer_as_metric,
    takes_multi_label,
)
from ._objectives import COUNT_OBJECTIVES, LeastOverkill
from ._rule import QUORUM_SLACK, vote_decision, weighted_votes
from ._tuning import tune_vote

# In single-label predict_proba, classes tied on votes are ranked by the experts' mean
# probability, scaled so that it stays below any real difference in votes.
_TIE_BREAK = 1e-10
# Rows predicted once before an expert is timed, so that one-off costs are not counted.
_WARM_UP_ROWS = 16


class MultiExpertVotingClassifier(MetaEstimatorMixin, ClassifierMixin, _BaseComposition):
    """Weighted vote of experts, each with a learned confidence threshold.

    Expert k votes for class c of an image when its probability reaches its threshold
    ``delta_k``; class c is predicted when the weighted votes reach a quorum,
    ``sum_k w_k [p_kc >= delta_k] >= q_c * sum(w)``. Thresholds and weights are learned on
    validation data by an alternating coordinate search whose every step is exact (see
    :func:`skmoe.ensemble.coordinate_search`), maximising macro precision + macro recall by
    default.

    Experts are any classifiers with ``predict_proba`` over the same classes: CNN and detector
    experts, :class:`~skmoe.TwoStagePipeline`, or plain scikit-learn classifiers. They are
    trained independently of each other:

    * **prefit** experts (``cv="prefit"``, or experts wrapped in
      :class:`sklearn.frozen.FrozenEstimator`) are never refit; ``fit(X_val, y_val)`` only
      computes each expert's probabilities once (in parallel) and tunes on them. Frozen
      experts keep their fitted state through ``clone``, so ``GridSearchCV`` can tune the
      ensemble's own parameters without retraining a single expert.
    * **unfitted** experts are fitted on a training part and the ensemble is tuned on the
      held-out part (``cv`` a fraction), or on out-of-fold probabilities (``cv`` an int or a
      splitter); with ``refit=True`` they are then refitted on all the data, as in
      :class:`sklearn.model_selection.TunedThresholdClassifierCV`.

    Parameters
    ----------
    experts : list of (str, estimator)
        Named experts. An estimator may be ``"drop"`` to leave it out; parameters of an expert
        are reachable as ``<name>__<param>`` (e.g. in ``GridSearchCV``).
    cv : "prefit", float in (0, 1), int, cross-validation generator or iterable, default=0.2
        ``"prefit"``: every expert is already fitted. A float: fraction of ``X`` held out to
        tune on. An int or splitter: tune on out-of-fold probabilities. When every expert is a
        ``FrozenEstimator`` no split is made (there is nothing to fit), as with ``"prefit"``.
    refit : "auto" or bool, default="auto"
        Refit the experts on all of ``X`` after tuning. With ``False`` the experts fitted on
        the training part are kept (only possible with a single split, ``cv`` a float).
        ``"auto"``, as in :class:`~sklearn.model_selection.TunedThresholdClassifierCV`:
        ``False`` for a single hold-out split (``cv`` a fraction: every expert trains once),
        ``True`` with several folds (no fold's experts saw all the data).
    thresholds : "learn", float or array-like, default="learn"
        ``"learn"`` starts every threshold at 0.5 and learns it. A float or an array of shape
        (n_experts,) (or (n_experts, n_classes) with ``threshold_scope="expert_class"``) fixes
        them.
    threshold_scope : {"expert", "expert_class"}, default="expert"
        One threshold per expert, or one per (expert, class).
    weights : "learn", "uniform" or array-like of shape (n_experts,), default="learn"
        ``"learn"`` starts from uniform weights and learns them; ``"uniform"`` fixes them to
        1 (plain thresholded voting, the reference "Voting" baseline); an array fixes them
        (rescaled to sum to the number of experts).
    quorum : float, array-like of shape (n_classes,) or dict, default=0.5
        Fraction of the total weight a class needs, in (0, 1]. A dict maps class labels to
        their quorum (e.g. a stricter one for the defect-free class); others get 0.5.
    objective : {"precision_recall", "f1"}, LeastOverkill, str, scorer or callable, \
default="precision_recall"
        ``"precision_recall"``: macro precision + macro recall over all classes (the reference
        objective); ``"f1"``: macro F1; ``LeastOverkill(max_escape=0.01,
        background="background")``: the least overkill (defect-free images decided
        defective) with at most 1% escapes (defective images decided defect-free) on the
        tuning images, ``background`` the label of the defect-free class (single-label ``y``).
        All three are searched exactly. Any scikit-learn scorer of
        hard predictions (a name like ``"accuracy"``, or ``make_scorer(...)``) or a callable
        ``metric(y_true, y_pred) -> float`` on 0/1 indicator matrices is searched on a grid.
    search : {"exact", "grid"}, default="exact"
        ``"exact"`` considers every distinct score; ``"grid"`` only 99 thresholds and 38
        relative weights (slower, for comparison).
    max_iter : int, default=10
        Maximum number of search cycles (each visits every expert's threshold and weight).
    tol : float, default=1e-4
        The search stops when a cycle improves the objective by at most ``tol``.
    guard_resamples : int, default=5
        The guard: split the tuning data this many times into two random halves, tune on
        each half and score on the other. The tuned thresholds and weights are kept only when
        they beat the starting ones on the held-out halves on average and in at least three
        quarters of the halves that are not ties; otherwise the starting vote (the plain vote,
        unless thresholds or weights are given) is used. 0 switches the guard off.
    max_experts : int, default=None
        Keep only this many experts, the fastest at prediction (the reference method does this
        for speed), by ``expert_times`` or else by their steady-state time per image on the
        tuning data, measured after a warm-up batch (a GPU's first call is slow). None keeps
        every expert.
    expert_times : dict of str to float, default=None
        Seconds per image of every expert, by name, e.g. a previous fit's ``expert_times_``
        or times measured on the target machine: ``max_experts`` then keeps the same experts
        on every run. None measures them.
    n_jobs : int, default=None
        Experts fitted and run in parallel, and the search's restarts run in threads, through
        joblib; ``None`` means 1 unless in a ``joblib.parallel_config`` context (e.g.
        ``backend="dask"`` for a dask cluster).
    verbose : int, default=0
        Progress of fitting and of the search when > 0.
    random_state : int, RandomState instance or None, default=None
        Seed of the hold-out split (``cv`` a float) and of the guard's halvings (which use a
        fixed seed when None, so that the same tuning data always gives the same decision).

    Attributes
    ----------
    experts_ : list of estimators
        The fitted experts that vote, in order.
    named_experts_ : Bunch
        The same, by name.
    classes_ : ndarray of shape (n_classes,)
        Class labels (1-D ``y``) or indicator column ids (2-D ``y``).
    thresholds_ : ndarray of shape (n_experts,) or (n_experts, n_classes)
        Learned (or given) thresholds.
    weights_ : ndarray of shape (n_experts,)
        Learned (or given) weights, non-negative, summing to the number of experts.
    quorum_ : ndarray of shape (n_classes,)
        Quorum of every class.
    best_score_ : float
        Objective of ``predict`` on the tuning data at the chosen thresholds and weights.
    tuning_kept_ : bool
        Whether the tuned thresholds and weights are used; False when the guard kept the
        starting vote.
    guard_gains_ : ndarray of shape (2 * guard_resamples,) or shorter
        Held-out gains of tuning over the starting vote on each half (empty without guard;
        shorter when a halving of very few images leaves a half empty).
    search_history_ : list of float
        Objective at the start and after every search step.
    n_iter_ : int
        Number of search cycles run.
    expert_times_ : dict
        Seconds per image each expert took to predict the tuning data (after a warm-up batch
        when ``max_experts`` chooses by these times), or the given ``expert_times``, by name:
        every expert, kept or not, so that ``max_experts`` can be checked.
    multilabel_ : bool
        Whether ``y`` was an indicator matrix; ``predict`` then returns one too.

    See Also
    --------
    skmoe.TwoStagePipeline : a defect gate in front of a defect classifier, usable as an expert.
    sklearn.ensemble.VotingClassifier : soft or hard voting without thresholds.

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.datasets import make_classification
    >>> from skmoe import MultiExpertVotingClassifier
    >>> X, y = make_classification(600, n_classes=3, n_informative=4, random_state=0)
    >>> experts = [("logreg", LogisticRegression().fit(X[:300], y[:300])),
    ...            ("bayes", GaussianNB().fit(X[:300], y[:300]))]
    >>> ensemble = MultiExpertVotingClassifier(
    ...     [(name, FrozenEstimator(e)) for name, e in experts]).fit(X[300:450], y[300:450])
    >>> ensemble.weights_.sum()
    np.float64(2.0)
    >>> bool(ensemble.tuning_kept_)  # the guard found no consistent gain over the plain vote
    False
    >>> round(ensemble.score(X[450:], y[450:]), 2)
    0.79
    """

    _parameter_constraints = {
        "experts": [list],
        "cv": ["cv_object", StrOptions({"prefit"}), Interval(RealNotInt, 0, 1, closed="neither")],
        "refit": ["boolean", StrOptions({"auto"})],
        "thresholds": [StrOptions({"learn"}), Interval(Real, 0, 1, closed="both"), "array-like"],
        "threshold_scope": [StrOptions({"expert", "expert_class"})],
        "weights": [StrOptions({"learn", "uniform"}), "array-like"],
        "quorum": [Interval(Real, 0, 1, closed="right"), "array-like", dict],
        "objective": [str, LeastOverkill, callable],
        "search": [StrOptions({"exact", "grid"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "guard_resamples": [Interval(Integral, 0, None, closed="left")],
        "max_experts": [None, Interval(Integral, 1, None, closed="left")],
        "expert_times": [None, dict],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        experts,
        *,
        cv=0.2,
        refit="auto",
        thresholds="learn",
        threshold_scope="expert",
        weights="learn",
        quorum=0.5,
        objective="precision_recall",
        search="exact",
        max_iter=10,
        tol=1e-4,
        guard_resamples=5,
        max_experts=None,
        expert_times=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.experts = experts
        self.cv = cv
        self.refit = refit
        self.thresholds = thresholds
        self.threshold_scope = threshold_scope
        self.weights = weights
        self.quorum = quorum
        self.objective = objective
        self.search = search
        self.max_iter = max_iter
        self.tol = tol
        self.guard_resamples = guard_resamples
        self.max_experts = max_experts
        self.expert_times = expert_times
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def get_params(self, deep=True):
        """Parameters of the ensemble and, with ``deep``, of every expert (``name__param``)."""
        return self._get_params("experts", deep=deep)

    def set_params(self, **params):
        """Set parameters of the ensemble or of an expert (``name__param``, or ``name``)."""
        self._set_params("experts", **params)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    @unfitted_on_error
    def fit(self, X, y, **fit_params):
        """Fit (or take) the experts and learn thresholds and weights.

        Parameters
        ----------
        X : array-like
            Input every expert accepts (images, paths or features). With prefit experts this
            is validation data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, or 0/1 indicator matrix.
        **fit_params : dict
            Parameters for the experts' ``fit`` (e.g. ``boxes`` for detectors), routed by
            scikit-learn's metadata routing (``sklearn.set_config(enable_metadata_routing=True)``
            and ``expert.set_fit_request(boxes=True)``); sample-aligned ones are split with
            ``X``. Unused with prefit experts. ``groups`` goes to the ``cv`` splitter's
            ``split`` (e.g. ``cv=GroupKFold(3)``), routed or, with routing off, as
            :func:`~sklearn.model_selection.cross_validate` takes it.

        Returns
        -------
        self : MultiExpertVotingClassifier
        """
        check_fit_inputs(self, X, y)
        names, experts = self._active_experts()
        expert_params, split_params = self._route(names, fit_params)
        fitted, expert_proba, indicator, times = self._collect(
            names, experts, expert_params, split_params, X, y)
        self.expert_times_ = self._given_times(names) or dict(zip(names, times))
        keep, tuning = self._tuning_arguments(names, self.expert_times_, self.classes_)
        # Single-label fits are tuned on the one label predict returns.
        y_tune = indicator if self.multilabel_ else np.argmax(indicator, axis=1)
        # The ensemble's parameters were validated when fit began: not again in tune_vote.
        with sklearn.config_context(skip_parameter_validation=True):
            result = tune_vote(expert_proba[keep], y_tune, **tuning,
                               callback=self._report_progress if self.verbose else None)
        self._set_tuning(names, fitted, keep, tuning["quorum"], result)
        if self.verbose and len(result.guard_gains):
            print(f"[MultiExpertVotingClassifier] guard: held-out gain "
                  f"{result.guard_gains.mean():+.4f} over {len(result.guard_gains)} halves, "
                  f"{'tuning kept' if result.tuning_kept else 'starting vote kept'}")
        return self

    def _set_tuning(self, names, fitted, keep, quorum, result):
        """The fitted state of a tuned vote: its voting experts (``keep`` of ``fitted``),
        quorum and ``tune_vote``'s result. Shared by ``fit`` and ``skmoe run`` (which tunes on
        saved probabilities and saves the vote it tuned as a model)."""
        self.experts_ = [fitted[i] for i in keep]
        self.named_experts_ = Bunch(**{names[i]: fitted[i] for i in keep})
        self.quorum_ = quorum
        self.thresholds_ = result.thresholds
        self.weights_ = result.weights
        self.best_score_ = result.score
        self.search_history_ = result.history
        self.n_iter_ = result.n_iter
        self.tuning_kept_ = result.tuning_kept
        self.guard_gains_ = result.guard_gains

    def _tuning_arguments(self, names, times, classes):
        """The experts that vote (``max_experts``) and :func:`tune_vote`'s arguments for them.

        Shared by ``fit`` and ``skmoe run`` (which tunes on saved probabilities, with no
        expert to run), so that the parameters mean the same in both.
        """
        keep = self._fastest(names, [times[name] for name in names])
        thresholds, learn_thresholds = self._initial_thresholds(keep, len(names), len(classes))
        weights, learn_weights = self._initial_weights(keep, len(names))
        return keep, dict(
            quorum=self._resolve_quorum(classes),
            thresholds=thresholds,
            weights=weights,
            learn_thresholds=learn_thresholds,
            learn_weights=learn_weights,
            per_class_thresholds=self.threshold_scope == "expert_class",
            objective=self._search_objective(classes),
            method=self.search,
            max_iter=self.max_iter,
            tol=self.tol,
            guard_resamples=self.guard_resamples,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )

    # --- fit helpers -----------------------------------------------------------------------

    def _active_experts(self):
        if not isinstance(self.experts, list) or not self.experts:
            raise ValueError("experts must be a non-empty list of (name, estimator) tuples.")
        if any(not isinstance(e, tuple) or len(e) != 2 for e in self.experts):
            raise ValueError("experts must be a list of (name, estimator) tuples, e.g. "
                             "[('cnn', cnn), ('yolo', yolo)].")
        _check_names([name for name, _ in self.experts])
        self._validate_names([name for name, _ in self.experts])
        active = [(n, e) for n, e in self.experts if not (isinstance(e, str) and e == "drop")]
        if not active:
            raise ValueError("All experts are 'drop'; at least one must vote: give an estimator "
                             "instead of 'drop' for one of them.")
        for name, expert in active:
            if not hasattr(expert, "predict_proba"):
                raise TypeError(
                    f"Expert {name!r} ({type(expert).__name__}) has no predict_proba; every "
                    "expert must give class probabilities."
                )
        names, experts = zip(*active)
        return list(names), list(experts)

    def _route(self, names, fit_params):
        """Fit parameters per expert, and those of the splitter's ``split`` (``groups``)."""
        expert_params, split_params = route_fit_params(self, names, fit_params, splits=True)
        if split_params and not self._cross_validates():
            raise ValueError(f"groups are used by a cross-validation splitter, but cv="
                             f"{self.cv!r} makes no such split: give a splitter that takes "
                             "groups, e.g. cv=GroupKFold(3).")
        return expert_params, split_params

    def _cross_validates(self):
        """Whether ``cv`` is a number of folds or a splitter (not "prefit", not a fraction)."""
        return not (self.cv == "prefit" or (isinstance(self.cv, Real)
                                            and not isinstance(self.cv, Integral)))

    def _collect(self, names, experts, expert_params, split_params, X, y):
        """Every expert's probabilities on the tuning rows, through one loop over splits.

        Prefit experts are one split with nothing to fit: all of ``X`` is tuning data. A
        fraction ``cv`` is one stratified split; an int or a splitter, its folds (tuning on
        out-of-fold probabilities). Sets ``classes_`` and ``multilabel_``.

        Returns
        -------
        fitted : list of the experts that vote (refitted on all of X where ``refit`` says)
        expert_proba : ndarray of shape (n_experts, n_tuning_rows, n_classes)
        indicator : ndarray of shape (n_tuning_rows, n_classes), the rows' labels
        times : list of float, seconds per image of each expert's prediction
        """
        prefit = self.cv == "prefit" or all(isinstance(e, FrozenEstimator) for e in experts)
        if prefit:
            experts = [_check_prefit(name, expert) for name, expert in zip(names, experts)]
            self.classes_, self.multilabel_, indicator = _classes_of(experts, names, y)
            splits = [(None, None)]  # nothing to fit; every row is tuned on
        else:
            indicator, self.classes_, self.multilabel_ = to_indicator(y)
            require_two_classes(self.classes_, needed_by="the ensemble")
            if self.multilabel_:
                for name, expert in zip(names, experts):
                    require_multi_label(expert, f"expert {name!r}")
        labels = indicator if self.multilabel_ else np.asarray(y).ravel()
        if not prefit:
            splits = self._splits(X, labels, split_params)
        one_split = len(splits) == 1
        refit = (not one_split) if self.refit == "auto" else self.refit
        if not (prefit or one_split or refit):
            raise ValueError(
                "refit=False keeps the experts fitted on the training part, which needs a single "
                f"split: set cv to a fraction (e.g. 0.2), not {self.cv!r}."
            )
        # Each expert warms up before it is timed only where the times choose experts.
        warm_up = self.max_experts is not None and self.expert_times is None
        results = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fold_proba)(name, expert if prefit else clone(expert), X, labels, params,
                                 train, test, self.classes_, self.multilabel_, warm_up,
                                 keep_fitted=one_split and not prefit)
            for train, test in splits
            for name, expert, params in zip(names, experts,
                                            [expert_params[name] for name in names])
        )
        tuned_rows = [np.arange(len(indicator)) if test is None else test for _, test in splits]
        per_expert = [results[k::len(names)] for k in range(len(names))]
        expert_proba = np.stack([np.concatenate([proba for _, proba, _ in folds])
                                 for folds in per_expert])
        seconds = [sum(per_image * len(rows) for (_, _, per_image), rows
                       in zip(folds, tuned_rows)) for folds in per_expert]
        tuned_rows = np.concatenate(tuned_rows)
        if not one_split:  # out-of-fold rows back in the order of X
            order = np.argsort(tuned_rows, kind="stable")
            tuned_rows, expert_proba = tuned_rows[order], expert_proba[:, order]
        if prefit and self.multilabel_:
            _warn_about_multilabel_experts(names, experts, expert_proba, y)
        if prefit:  # the given objects, never copies back from a worker
            fitted = experts
        elif one_split and not refit:
            fitted = [fitted for fitted, _, _ in results[:len(names)]]
        else:
            fitted = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
                delayed(_fit)(name, clone(expert), X, labels, expert_params[name])
                for name, expert in zip(names, experts))
        return fitted, expert_proba, indicator[tuned_rows], \
            [total / len(tuned_rows) for total in seconds]

    def _splits(self, X, labels, split_params):
        """(train rows, tuning rows) of every split of unfitted experts."""
        if not self._cross_validates():  # a fraction held out
            return [stratified_partition(labels, (1 - self.cv, self.cv),
                                         random_state=self.random_state)]
        splitter = check_cv(self.cv, labels, classifier=True)
        return list(splitter.split(X, labels, **split_params))

    def _given_times(self, names):
        """The user's ``expert_times`` as {name: seconds per image}, checked; None if unset."""
        if self.expert_times is None:
            return None
        missing = [name for name in names if name not in self.expert_times]
        if missing:
            raise ValueError(f"expert_times has no time for {missing}; give seconds per image "
                             f"for every expert ({names}), or None to measure them.")
        times = {name: float(self.expert_times[name]) for name in names}
        if not all(np.isfinite(t) and t >= 0 for t in times.values()):
            raise ValueError(f"expert_times must be finite seconds >= 0; got {times}.")
        return times

    def _fastest(self, names, times):
        if self.max_experts is None:
            return np.arange(len(names))
        if self.max_experts > len(names):
            raise ValueError(
                f"max_experts={self.max_experts} but only {len(names)} experts vote; lower "
                "max_experts or add experts."
            )
        return np.sort(np.argsort(times, kind="stable")[: self.max_experts])

    def _resolve_quorum(self, classes):
        classes = list(classes)
        if isinstance(self.quorum, dict):
            unknown = [c for c in self.quorum if c not in classes]
            if unknown:
                raise ValueError(f"quorum names classes {plain(unknown)} that are not in y "
                                 f"({plain(classes)}); give a quorum per class of y.")
            quorum = np.array([self.quorum.get(c, 0.5) for c in classes], dtype=float)
        else:
            quorum = np.asarray(self.quorum, dtype=float)
            if quorum.ndim == 0:
                quorum = np.full(len(classes), float(quorum))
        if quorum.shape != (len(classes),):
            raise ValueError(
                f"quorum must have one value per class ({len(classes)}); got shape {quorum.shape}."
            )
        if not np.all((quorum > 0) & (quorum <= 1)):
            raise ValueError(f"Every quorum must lie in (0, 1]; got {quorum}.")
        return quorum

    def _initial_thresholds(self, keep, n_active, n_classes):
        if isinstance(self.thresholds, str):  # "learn"
            return 0.5, True
        thresholds = np.asarray(self.thresholds, dtype=float)
        if thresholds.ndim > 0:
            expected = (n_active,) if self.threshold_scope == "expert" \
                else (n_active, n_classes)
            if thresholds.shape != expected:
                raise ValueError(f"thresholds must have shape {expected}; got {thresholds.shape}.")
            thresholds = thresholds[keep]
        if not np.all((thresholds >= 0) & (thresholds <= 1)):
            raise ValueError("Every threshold must lie in [0, 1].")
        return thresholds, False

    def _initial_weights(self, keep, n_active):
        if isinstance(self.weights, str):
            return None, self.weights == "learn"
        weights = np.asarray(self.weights, dtype=float)
        if weights.shape != (n_active,):
            raise ValueError(
                f"weights must have one value per expert ({n_active}); got "
                f"shape {weights.shape}."
            )
        weights = weights[keep]
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum; got {weights}.")
        return weights, False

    def _search_objective(self, classes=None):
        """The objective as the search takes it; ``classes`` (the fitted ``classes_``) place
        a :class:`LeastOverkill`'s defect-free label."""
        if isinstance(self.objective, LeastOverkill):
            if classes is None:
                return self.objective
            # The search takes the defect-free class as a column of classes_.
            column = background_column(classes, self.objective.background, multilabel=False)
            return replace(self.objective, background=column)
        if isinstance(self.objective, str) and self.objective in COUNT_OBJECTIVES:
            return self.objective
        if isinstance(self.objective, str) and self.objective not in get_scorer_names():
            raise ValueError(
                f"objective={self.objective!r} is unknown: give one of "
                f"{sorted(COUNT_OBJECTIVES)} (exact steps), the name of a scikit-learn scorer of "
                "hard predictions (e.g. 'f1_macro', 'accuracy'; sklearn.metrics."
                "get_scorer_names() lists them) or a callable metric(y_true, y_pred)."
            )
        metric = scorer_as_metric(self.objective)
        return metric if metric is not None else self.objective

    def _report_progress(self, run, n_iter, score):
        print(f"[MultiExpertVotingClassifier] {run} search, cycle {n_iter}: "
              f"objective {score:.6f}")

    # --- prediction ------------------------------------------------------------------------

    def decision_function(self, X):
        """Weighted votes relative to the quorum: ``V_c / (q_c * sum(w)) - 1``.

        0 is exactly the quorum, so multi-label predictions are the non-negative entries. For
        single-label ``y`` the classes tied for the most votes are ranked by the experts'
        weighted mean probability (a tiny amount added to their score), so ``predict`` is the
        arg-max; for binary single-label ``y`` it is one column, positive where
        ``classes_[1]`` wins, as scikit-learn's scorers expect.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        decision : ndarray of shape (n_samples, n_classes), or (n_samples,) for binary y
        """
        votes, mean_proba = self._votes(self._expert_proba(X))
        if self.multilabel_:
            return votes / (self.quorum_ * self.weights_.sum()) - 1
        margin = self._ranking(votes, mean_proba) - 1
        return margin[:, 1] - margin[:, 0] if len(self.classes_) == 2 else margin

    def predict_proba(self, X):
        """Share of the weighted votes of every class.

        Multi-label: the fraction of the total weight voting for each class,
        ``sum_k w_k [p_kc >= delta_k] / sum(w)``; columns are independent. Single-label: the
        votes relative to each class's quorum (classes tied for the most votes ranked by the
        experts' weighted mean probability), normalised to sum to 1, so that ``predict`` is
        their arg-max. The raw weighted votes of a multi-label model are
        ``predict_proba(X) * weights_.sum()``.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._proba_from_experts(self._expert_proba(X))

    def _proba_from_experts(self, expert_proba):
        """``predict_proba`` from the experts' probabilities (``_expert_proba``)."""
        votes, mean_proba = self._votes(expert_proba)
        if self.multilabel_:
            return votes / self.weights_.sum()
        ranking = self._ranking(votes, mean_proba)
        totals = ranking.sum(axis=1, keepdims=True)
        uniform = np.full_like(ranking, 1 / ranking.shape[1])
        return np.divide(ranking, totals, out=uniform, where=totals > 0)

    def predict(self, X):
        """Predict labels (1-D ``y``) or an indicator matrix (2-D ``y``).

        Multi-label: every class whose votes reach its quorum. Single-label: the class whose
        votes are largest relative to its quorum, ties broken by the experts' weighted mean
        probability. This is the decision the search optimised.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._predict_from_experts(self._expert_proba(X))

    def _predict_from_experts(self, expert_proba):
        """``predict`` from the experts' probabilities (``_expert_proba``)."""
        decision = vote_decision(expert_proba, self.thresholds_, self.weights_,
                                 self.quorum_, single_label=not self.multilabel_)
        return decision if self.multilabel_ else self.classes_[decision]

    def _expert_proba(self, X):
        """Each expert's probabilities, columns in the order of ``classes_``: shape
        (n_experts, n_samples, n_classes)."""
        check_is_fitted(self)
        return np.stack(Parallel(n_jobs=self.n_jobs)(
            delayed(_class_proba)(name, expert, X, self.classes_, self.multilabel_)
            for name, expert in self.named_experts_.items()))

    def _votes(self, expert_proba):
        """Weighted votes and, for single-label models, the weighted mean probability."""
        votes = weighted_votes(expert_proba, self.thresholds_, self.weights_)
        if self.multilabel_:
            return votes, None
        return votes, np.tensordot(self.weights_, expert_proba, axes=1) / self.weights_.sum()

    def _ranking(self, votes, mean_proba):
        """Single-label class scores whose arg-max is ``predict``: the vote share relative to
        the quorum, and for the classes tied at the top, the top share plus a tiny multiple of
        their mean probability (the tie-break of :func:`single_label_decision`)."""
        share = votes / (self.quorum_ * self.weights_.sum())
        top = share.max(axis=1, keepdims=True)
        tied = share >= top - QUORUM_SLACK
        return np.where(tied, top + _TIE_BREAK * mean_proba, share)

    def get_metadata_routing(self):
        """Routing of fit parameters (e.g. ``boxes``) to every expert's ``fit``.

        Returns
        -------
        routing : MetadataRouter
        """
        return fit_router(self, [(n, e) for n, e in self.experts
                                 if not (isinstance(e, str) and e == "drop")],
                          splitter=check_cv(self.cv) if self._cross_validates() else None)

    @property
    def n_features_in_(self):
        """Number of features of the first expert, when it records one."""
        return self.experts_[0].n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        experts = [e for _, e in self.experts if not (isinstance(e, str) and e == "drop")]
        tags.classifier_tags.multi_label = bool(experts) and all(map(takes_multi_label, experts))
        expert_tags = [get_tags(e) for e in experts]
        tags.input_tags.sparse = bool(expert_tags) and all(t.input_tags.sparse for t in expert_tags)
        tags.input_tags.allow_nan = bool(expert_tags) and all(
            t.input_tags.allow_nan for t in expert_tags
        )
        return tags


def _check_names(names):
    """Expert names are unique strings without "__", as set_params(<name>__<param>) needs."""
    not_strings = [name for name in names if not isinstance(name, str)]
    if not_strings:
        raise TypeError(f"Expert names must be strings; got {plain(not_strings)}. Name every "
                        "expert, e.g. ('cnn', cnn).")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Expert names must be unique; {repeated} appear more than once. "
                         "Rename the experts so that each has its own name.")
    nested = [name for name in names if "__" in name]
    if nested:
        raise ValueError(f"Expert names must not contain '__' (it separates an expert's name "
                         f"from its parameters, as in set_params(cnn__lr=0.1)); rename {nested}.")


def _fit(name, expert, X, y, params=None):
    with naming(f"expert {name!r}"):
        return expert.fit(X, y, **(params or {}))


def _class_proba(name, expert, X, classes, multilabel):
    """An expert's probabilities, its columns in the order of ``classes``."""
    proba = predict_class_proba(expert, X, name=f"expert {name!r}")
    return proba[:, _columns(expert, classes, multilabel)]


def _fold_proba(name, expert, X, y, params, train, test, classes, multilabel, warm_up, *,
                keep_fitted):
    """Fit ``expert`` on the ``train`` rows (None: it is fitted already) and give its
    probabilities of the ``test`` rows (None: all), its seconds per image and, with
    ``keep_fitted``, the fitted expert.

    With ``warm_up`` a batch runs first, so that one-off costs (loading a model, a GPU's first
    call) are not counted: the time is then the steady state's.
    """
    if train is not None:
        expert = _fit(name, expert, take_rows(X, train), take_rows(y, train),
                      rows_of_params(X, params, train))
    X_test = X if test is None else take_rows(X, test)
    if warm_up:
        _class_proba(name, expert, take_rows(X_test, np.arange(min(_num_samples(X_test),
                                                                   _WARM_UP_ROWS))),
                     classes, multilabel)
    start = time.perf_counter()
    proba = _class_proba(name, expert, X_test, classes, multilabel)
    per_image = (time.perf_counter() - start) / _num_samples(X_test)
    return (expert if keep_fitted else None), proba, per_image


def _columns(expert, classes, multilabel):
    """Columns of the expert's probabilities in the order of ``classes``.

    Multi-label experts whose ``classes_`` name their columns are matched by name; others
    (e.g. a multi-output forest, whose ``classes_`` are per-label [0, 1]) by position.
    """
    known = _column_names(expert) if multilabel else np.asarray(expert.classes_)
    if known is None or (multilabel and set(known.tolist()) != set(np.asarray(classes).tolist())):
        return np.arange(len(classes))
    known = known.tolist()
    return np.array([known.index(c) for c in np.asarray(classes).tolist()])


def _column_names(expert):
    """A multi-label expert's column names, or None when ``classes_`` does not name columns."""
    classes = getattr(expert, "classes_", None)
    if classes is None or isinstance(classes, list) or np.ndim(classes) != 1:
        return None
    return np.asarray(classes)


def _check_prefit(name, expert):
    check_frozen_is_fitted(expert, f"Expert {name!r}",
                           " (frozen experts are never fitted by the ensemble), or pass it "
                           "unfrozen with cv set to a fraction or a number of folds")
    try:
        check_is_fitted(expert)
    except NotFittedError as exc:
        raise NotFittedError(
            f"Expert {name!r} is not fitted, but cv='prefit' needs fitted experts. Fit it first, "
            "or give unfitted experts with cv set to a fraction or a number of folds. Inside "
            "GridSearchCV or after clone, cv='prefit' experts come back unfitted: wrap fitted "
            "experts in sklearn.frozen.FrozenEstimator instead."
        ) from exc
    return expert


def _classes_of(experts, names, y):
    """Classes shared by prefit experts, checked against each other and against y."""
    multilabel = np.ndim(y) == 2 and np.shape(y)[1] > 1
    if multilabel:
        classes, indicator = _multilabel_classes(experts, names, y)
    else:
        reference = np.asarray(experts[0].classes_)
        for name, expert in zip(names[1:], experts[1:]):
            if set(np.asarray(expert.classes_).tolist()) != set(reference.tolist()):
                raise ValueError(
                    f"Experts know different classes: {names[0]!r} has {reference.tolist()}, "
                    f"{name!r} has {np.asarray(expert.classes_).tolist()}. Every expert must "
                    "predict the same classes."
                )
        classes = np.sort(reference)
        indicator, _, _ = to_indicator(y, classes=classes)
    if len(indicator) < 2 or np.count_nonzero(indicator.any(axis=0)) < 2:
        present = classes[indicator.any(axis=0)].tolist()
        raise ValueError(
            f"The tuning data has {len(indicator)} sample(s) and the classes {present}; tuning "
            "thresholds and weights needs two or more classes present. Pass validation data "
            "that holds every class."
        )
    return classes, multilabel, indicator


def _warn_about_multilabel_experts(names, experts, expert_proba, y):
    """Warn where prefit experts may not be what a multi-label y needs (legitimate, rarely)."""
    sums_to_one = [name for name, proba in zip(names, expert_proba)
                   if len(proba) > 1 and np.allclose(proba.sum(axis=1), 1)]
    if sums_to_one:
        warnings.warn(
            f"y is a multi-label indicator matrix, but the probabilities of experts "
            f"{sums_to_one} sum to 1 on every image, as a single-label classifier's do: such an "
            "expert scores one class per image. Fit multi-label experts (on an indicator y), or "
            "give 1-D labels.", UserWarning, stacklevel=3)
    columns = getattr(y, "columns", None)
    unnamed = [name for name, expert in zip(names, experts) if _column_names(expert) is None]
    if columns is not None and unnamed:
        warnings.warn(
            f"y's columns {list(columns)} are matched by position to the probability columns "
            f"of experts {unnamed}, which do not name theirs: check that the experts were "
            "fitted on labels in this column order.", UserWarning, stacklevel=3)


def _multilabel_classes(experts, names, y):
    """Indicator columns of a multi-label y, matched to the experts' columns by name."""
    counts = {name: len(e.classes_) for name, e in zip(names, experts)}
    if len(set(counts.values())) > 1:
        raise ValueError(f"Experts predict different numbers of labels: {counts}.")
    indicator, classes, _ = to_indicator(y)
    if indicator.shape[1] != next(iter(counts.values())):
        raise ValueError(
            f"y has {indicator.shape[1]} indicator columns but the experts predict "
            f"{next(iter(counts.values()))} labels."
        )
    if getattr(y, "columns", None) is None:  # a plain array: columns match by position
        return classes, indicator
    for name, expert in zip(names, experts):
        known = _column_names(expert)
        if known is not None and set(known.tolist()) != set(classes.tolist()):
            raise ValueError(
                f"Expert {name!r} predicts the columns {known.tolist()} but y's columns are "
                f"{classes.tolist()}; columns are matched by name. Give y the experts' column "
                "names (e.g. a DataFrame with those columns), or a plain array to match by "
                "position."
            )
    return classes, indicator
