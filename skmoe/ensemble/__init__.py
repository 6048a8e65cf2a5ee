"""Multi-expert voting and the exact threshold and weight search behind it."""

from ._objectives import (
    COUNT_OBJECTIVES,
    LeastOverkill,
    confusion_counts,
    f1,
    precision_plus_recall,
)
from ._rule import reaches_quorum, single_label_decision, vote_decision, weighted_votes
from ._search import SearchResult, coordinate_search, vote_objective
from ._tuning import VoteTuning, tune_vote
from ._voting import MultiExpertVotingClassifier

__all__ = [
    "COUNT_OBJECTIVES",
    "LeastOverkill",
    "MultiExpertVotingClassifier",
    "SearchResult",
    "VoteTuning",
    "confusion_counts",
    "coordinate_search",
    "f1",
    "precision_plus_recall",
    "reaches_quorum",
    "single_label_decision",
    "tune_vote",
    "vote_decision",
    "vote_objective",
    "weighted_votes",
]
