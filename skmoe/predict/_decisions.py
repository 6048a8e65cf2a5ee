"""A model's decisions on a batch of images, with the scores behind them."""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..ensemble import MultiExpertVotingClassifier


@dataclass
class Decisions:
    """What a model decided on a batch of images.

    Attributes
    ----------
    labels : list
        Per image, the decided class, or the list of decided classes of a multi-label model.
    proba : ndarray of shape (n_images, n_classes)
        The model's score per class (its ``predict_proba``).
    expert_proba : ndarray of shape (n_experts, n_images, n_classes) or None
        Each expert's score per class (a vote's experts), columns as ``proba``'s.
    """

    labels: list
    proba: np.ndarray
    expert_proba: np.ndarray | None


class DecisionMaker:
    """Decides batches of images with a fitted model, each expert run once per batch.

    A :class:`~skmoe.MultiExpertVotingClassifier` gives its experts' scores beside its own
    and derives both its scores and its decision from one run of each expert. An image expert
    or a two-stage pipeline derives its decision from its scores (``_predict_from_proba``);
    any other classifier runs ``predict_proba`` and ``predict``.
    """

    def __init__(self, model):
        check_is_fitted(model)
        self.model = model
        self.classes = np.asarray(model.classes_)
        self.is_vote = isinstance(model, MultiExpertVotingClassifier)
        self.expert_names = list(model.named_experts_) if self.is_vote else []
        self.multilabel = bool(getattr(model, "multilabel_", False))

    def __call__(self, images):
        if self.is_vote:
            expert_proba = self.model._expert_proba(images)
            proba = self.model._proba_from_experts(expert_proba)
            predicted = self.model._predict_from_experts(expert_proba)
        else:
            expert_proba = None
            proba = self.model.predict_proba(images)
            predicted = (self.model._predict_from_proba(proba)
                         if hasattr(self.model, "_predict_from_proba")
                         else self.model.predict(images))
        return Decisions(self._labels(predicted), np.asarray(proba, dtype=float), expert_proba)

    def _labels(self, predicted):
        if not self.multilabel:
            return [_plain(label) for label in predicted]
        return [[_plain(c) for c in self.classes[np.flatnonzero(row)]] for row in predicted]


def _plain(value):
    """A numpy scalar as the Python value that CSV and JSON write."""
    return value.item() if isinstance(value, np.generic) else value
