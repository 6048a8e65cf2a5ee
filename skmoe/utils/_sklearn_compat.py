"""The one place that imports scikit-learn internals.

skmoe supports scikit-learn >= 1.6. Parameter validation, metadata routing, scorers and the
composition helpers live in modules scikit-learn keeps semi-private; importing them here means
a future move touches one file.
"""

from sklearn.base import _fit_context
from sklearn.metrics import get_scorer
from sklearn.metrics._scorer import _BaseScorer
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import _check_method_params


def route_fit_params(meta_estimator, names, fit_params, *, splits=False):
    """Fit parameters for each child, by name, through scikit-learn's metadata routing.

    With routing off (scikit-learn's default) no fit parameter can reach a child, so any given
    one is an error that says how to switch routing on. With ``splits`` (a meta-estimator that
    cross-validates through the ``splitter`` of its router), the parameters of the splitter's
    ``split`` come back as well: routed, or with routing off ``groups`` alone, as
    :func:`sklearn.model_selection.cross_validate` takes it.

    Returns
    -------
    params : dict of str to dict, or (that dict, dict of split parameters) with ``splits``
    """
    split_params = {}
    if _routing_enabled():
        routed = process_routing(meta_estimator, "fit", **fit_params)
        # .get: without any parameter, process_routing answers every name with empty ones.
        splitter = routed.get("splitter") if splits else None
        if splitter is not None:
            split_params = dict(splitter.split)
        params = {name: dict(routed[name].fit) for name in names}
        return (params, split_params) if splits else params
    fit_params = dict(fit_params)
    if splits and "groups" in fit_params:
        split_params = {"groups": fit_params.pop("groups")}
    if fit_params:
        raise ValueError(
            f"{type(meta_estimator).__name__}.fit got {sorted(fit_params)}; such parameters "
            "(e.g. boxes for detectors) reach the experts through metadata routing: call "
            "sklearn.set_config(enable_metadata_routing=True) and expert.set_fit_request("
            "boxes=True)."
        )
    params = {name: {} for name in names}
    return (params, split_params) if splits else params


def fit_router(meta_estimator, children, *, splitter=None):
    """A MetadataRouter sending ``fit`` parameters to each (name, estimator) child's ``fit``,
    and to ``splitter.split`` when given."""
    router = MetadataRouter(owner=meta_estimator)
    for name, child in children:
        router.add(**{name: child}, method_mapping=MethodMapping().add(caller="fit", callee="fit"))
    if splitter is not None:
        router.add(splitter=splitter, method_mapping=MethodMapping().add(caller="fit",
                                                                         callee="split"))
    return router


def rows_of_params(X, params, rows):
    """The sample-aligned fit parameters (e.g. boxes) restricted to ``rows`` of ``X``."""
    return _check_method_params(X, params, indices=rows)


def scorer_as_metric(scorer):
    """Turn an sklearn scorer (name or object) into ``metric(y_true, y_pred) -> float``.

    Only scorers of hard predictions (``response_method="predict"``) qualify: the ensemble's
    search scores label decisions, not probabilities. Returns None for other callables.
    """
    if isinstance(scorer, str):
        scorer = get_scorer(scorer)
    if not isinstance(scorer, _BaseScorer):
        return None
    if scorer._response_method != "predict":
        raise ValueError(
            f"The objective scorer uses {scorer._response_method!r}; the search needs a scorer "
            "of hard predictions (e.g. 'f1_macro', 'accuracy', or make_scorer(metric))."
        )

    def metric(y_true, y_pred):
        return scorer._sign * scorer._score_func(y_true, y_pred, **scorer._kwargs)

    return metric

def takes_multi_label(estimator):
    """Whether the estimator's tags say it fits a multi-label indicator ``y``."""
    tags = get_tags(estimator)
    return tags.classifier_tags is not None and tags.classifier_tags.multi_label


def require_multi_label(estimator, name):
    """Raise a ValueError naming ``name`` unless the estimator takes a multi-label ``y``.

    Checked before any fitting, so that the error names the culprit instead of surfacing deep
    inside it ("y should be a 1d array").
    """
    if not takes_multi_label(estimator):
        raise ValueError(
            f"y is a multi-label indicator matrix, but the {name} "
            f"({type(estimator).__name__}) does not take one (its multi_label tag is False). "
            "Wrap it in sklearn.multioutput.MultiOutputClassifier, use a classifier that does "
            "(e.g. RandomForestClassifier, skmoe's ImageClassifier), or pass 1-D labels."
        )


__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "validate_params",
    "_BaseComposition",
    "check_params",
    "fit_router",
    "route_fit_params",
    "require_multi_label",
    "rows_of_params",
    "_fit_context",
    "_safe_indexing",
    "scorer_as_metric",
    "takes_multi_label",
]


def check_params(estimator):
    """Check an estimator's parameters against its constraints now, as ``fit`` would.

    Raises scikit-learn's ``InvalidParameterError`` (a ValueError) naming the parameter and the
    values it takes. Estimators without ``_parameter_constraints`` are not checked.
    """
    if getattr(estimator, "_parameter_constraints", None) and hasattr(estimator,
                                                                      "_validate_params"):
        estimator._validate_params()
