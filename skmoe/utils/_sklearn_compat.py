"""The one place that imports scikit-learn internals.

skmoe supports scikit-learn >= 1.6. Parameter validation and ``validate_data`` live in modules
that scikit-learn keeps semi-private; importing them here means a future move touches one file.
"""

from sklearn.base import _fit_context
from sklearn.metrics import get_scorer
from sklearn.metrics._scorer import _BaseScorer
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import validate_data


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

__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "_BaseComposition",
    "_fit_context",
    "_safe_indexing",
    "validate_data",
    "scorer_as_metric",
    "validate_params",
]
