"""The voting rule: votes, quorum, the single-label decision and its tie-breaks."""

import numpy as np
import pytest

from skmoe.ensemble import reaches_quorum, single_label_decision, vote_decision, weighted_votes
from skmoe.ensemble._rule import QUORUM_SLACK, check_vote_arguments, per_class_thresholds


def test_votes_and_quorum():
    """Votes are weighted sums of thresholded probabilities; ties reach the quorum."""
    proba = np.array([[[0.9, 0.1]], [[0.4, 0.6]]])  # 2 experts, 1 image, 2 classes
    votes = weighted_votes(proba, [0.5, 0.5], [1.0, 1.0])
    np.testing.assert_array_equal(votes, [[1.0, 1.0]])
    np.testing.assert_array_equal(reaches_quorum(votes, 0.5, 2.0), [[True, True]])
    np.testing.assert_array_equal(reaches_quorum(votes, 0.5 + 10 * QUORUM_SLACK, 2.0),
                                  [[False, False]])


def test_rounding_noise_reaches_the_quorum():
    """0.1 + 0.2 votes against a quorum of 0.3 of the weight: equal up to rounding, so met."""
    assert reaches_quorum(np.array([0.1 + 0.2]), 0.3, 1.0).all()


def test_per_class_thresholds_broadcast():
    np.testing.assert_array_equal(per_class_thresholds(0.4, 2, 3), np.full((2, 3), 0.4))
    np.testing.assert_array_equal(per_class_thresholds([0.2, 0.7], 2, 2),
                                  [[0.2, 0.2], [0.7, 0.7]])
    table = np.array([[0.1, 0.9], [0.5, 0.5]])
    np.testing.assert_array_equal(per_class_thresholds(table, 2, 2), table)


def test_single_label_decision_ranks_by_share_of_quorum_then_mean_probability():
    votes = np.array([[1.0, 1.0, 0.0],    # a tie on votes: the larger mean probability wins
                      [1.0, 1.0, 0.0],    # a stricter quorum for class 0 makes class 1 win
                      [0.0, 0.0, 0.0]])   # no vote at all: the mean probability decides
    mean = np.array([[0.3, 0.6, 0.1], [0.9, 0.05, 0.05], [0.2, 0.1, 0.7]])
    quorum = np.array([0.5, 0.5, 0.5])
    np.testing.assert_array_equal(single_label_decision(votes[:1], mean[:1], quorum, 2.0), [1])
    np.testing.assert_array_equal(
        single_label_decision(votes[1:2], mean[1:2], np.array([0.9, 0.5, 0.5]), 2.0), [1])
    np.testing.assert_array_equal(single_label_decision(votes[2:], mean[2:], quorum, 2.0), [2])
    # Classes along another axis give the same decision.
    np.testing.assert_array_equal(single_label_decision(votes.T, mean.T, quorum, 2.0, axis=0),
                                  single_label_decision(votes, mean, quorum, 2.0))


def test_vote_decision_is_the_rule_in_one_call():
    proba = np.array([[[0.9, 0.6]], [[0.2, 0.7]], [[0.8, 0.1]]])  # 3 experts, 1 image
    # Two votes of three for each class: both reach the quorum; the one label goes to the
    # larger mean probability (0.63 against 0.47).
    np.testing.assert_array_equal(vote_decision(proba, single_label=False), [[1, 1]])
    np.testing.assert_array_equal(vote_decision(proba, single_label=True), [0])
    # Weight on the second expert alone: class 1 wins on both layouts.
    weights = np.array([0.0, 1.0, 0.0])
    np.testing.assert_array_equal(vote_decision(proba, 0.5, weights, single_label=False),
                                  [[0, 1]])
    np.testing.assert_array_equal(vote_decision(proba, 0.5, weights, single_label=True), [1])


@pytest.mark.parametrize("kwargs, message", [
    ({"quorum": [0.5]}, "one per class"),
    ({"thresholds": np.full((2, 4), 0.5)}, "thresholds must be a number or of shape"),
    ({"weights": [1.0, np.inf]}, "finite"),
    ({"thresholds": "high"}, "thresholds must be a number"),
])
def test_vote_arguments_are_checked(kwargs, message):
    arguments = {"thresholds": 0.5, "weights": None, "quorum": 0.5, **kwargs}
    with pytest.raises(ValueError, match=message):
        check_vote_arguments(np.full((2, 3, 2), 0.5), **arguments)
