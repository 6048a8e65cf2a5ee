"""Random search instances and the objective straight from the voting rule, for the tests."""

import numpy as np
from hypothesis import strategies as st

from skmoe.ensemble import reaches_quorum, weighted_votes
from skmoe.ensemble._objectives import COUNT_OBJECTIVES, count_objective_value
from skmoe.ensemble._vote_state import _VoteState


def random_instance(seed, n_experts, n_samples, n_classes, decimals):
    """Random expert probabilities (rounded, so ties happen) and a random indicator."""
    rng = np.random.default_rng(seed)
    y = rng.random((n_samples, n_classes)) < rng.uniform(0.1, 0.6, n_classes)
    skill = rng.uniform(0.0, 2.0, size=(n_experts, 1, 1))
    logits = skill * (2 * y - 1) + rng.normal(size=(n_experts, n_samples, n_classes))
    return np.round(1 / (1 + np.exp(-logits)), decimals), y


def vote_state(proba, y, thresholds, weights, quorum=0.5, per_class=False,
               objective="precision_recall"):
    """A search state over (experts, samples, classes) probabilities, as the search builds it."""
    return _VoteState(np.ascontiguousarray(proba.transpose(0, 2, 1)), np.ascontiguousarray(y.T),
                      quorum, thresholds, weights, per_class, objective)


def rule_objective(proba, y, thresholds, weights, quorum=0.5, objective="precision_recall"):
    """The objective straight from the voting rule."""
    votes = weighted_votes(proba, thresholds, weights)
    predicted = reaches_quorum(votes, quorum, np.sum(weights))
    return count_objective_value(COUNT_OBJECTIVES[objective], y, predicted)


# (seed, experts, samples, classes, decimals of the probabilities: ties when few)
INSTANCES = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(1, 4),  # experts
    st.integers(2, 40),  # samples
    st.integers(1, 3),  # classes
    st.sampled_from([1, 2, 6]),  # decimals of the probabilities (ties when few)
)


