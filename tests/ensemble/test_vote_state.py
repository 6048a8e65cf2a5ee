"""The search state: every in-place update leaves what a fresh build from scratch gives."""

import numpy as np
import pytest

from ._instances import random_instance, vote_state


def _assert_same(state, fresh):
    np.testing.assert_array_equal(state.hits, fresh.hits)
    np.testing.assert_allclose(state.votes, fresh.votes, atol=1e-12)
    np.testing.assert_array_equal(state.predicted, fresh.predicted)
    np.testing.assert_array_equal(state.tp, fresh.tp)
    np.testing.assert_array_equal(state.fp, fresh.fp)
    assert state.score() == pytest.approx(fresh.score(), abs=1e-12)


@pytest.mark.parametrize("single_label", [False, True])
@pytest.mark.parametrize("per_class", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_updates_equal_a_rebuild(seed, per_class, single_label):
    proba, y = random_instance(seed, 3, 40, 3, 2)
    if single_label:
        y = np.eye(3, dtype=bool)[np.random.default_rng(seed).integers(0, 3, 40)]
    state = vote_state(proba, y, 0.5, None, per_class=per_class, single_label=single_label)
    rng = np.random.default_rng(seed + 100)
    for _ in range(12):
        k = int(rng.integers(3))
        if rng.random() < 0.5:
            rows = state.threshold_scopes()[int(rng.integers(len(state.threshold_scopes())))]
            state.set_threshold(k, rows, float(rng.choice([0.0, 0.3, 0.5, 0.8, 1.0])))
        else:
            state.set_weight(k, float(rng.choice([0.0, 0.5, 2.0])) + 1e-3)
        fresh = vote_state(proba, y, state.thresholds.T.copy(), state.weights.copy(),
                           per_class=True, single_label=single_label)
        _assert_same(state, fresh)
    assert state.weights.sum() == pytest.approx(3)


def test_a_move_that_falls_short_is_undone():
    """move() keeps the search from going down where a sweep's value was off by rounding."""
    proba, y = random_instance(2, 2, 30, 2, 2)  # expert 0 at threshold 1 loses here
    state = vote_state(proba, y, 0.5, None)
    thresholds, before = state.thresholds.copy(), state.score()
    state.move(state.set_threshold, 0, slice(0, 2), 1.0, expected=before + 1)
    assert state.score() == before
    np.testing.assert_array_equal(state.thresholds, thresholds)
    # Undone only below both the score before and the expected one: here it stays.
    state.move(state.set_threshold, 0, slice(0, 2), 0.3, expected=0.0)
    assert state.thresholds[0, 0] == 0.3


def test_a_subset_of_rows_updates_like_a_copy():
    """A state built on strided arrays (a subset of samples, as the guard's halves are) keeps
    its in-place updates: the same score after every step as on contiguous copies."""
    proba, y = random_instance(3, 3, 60, 3, 2)
    rows = np.arange(0, 60, 3)
    class_major = np.ascontiguousarray(proba.transpose(0, 2, 1))
    truth = np.ascontiguousarray(y.T.astype(bool))
    from skmoe.ensemble._vote_state import _VoteState

    strided = _VoteState(class_major[:, :, rows], truth[:, rows], 0.5, 0.5, None, False,
                         "precision_recall")
    copied = _VoteState(class_major[:, :, rows].copy(), truth[:, rows].copy(), 0.5, 0.5, None,
                        False, "precision_recall")
    for k, threshold in [(0, 0.2), (1, 0.8), (2, 0.35), (0, 0.6)]:
        strided.set_threshold(k, slice(0, 3), threshold)
        copied.set_threshold(k, slice(0, 3), threshold)
        assert strided.score() == copied.score()
        np.testing.assert_array_equal(strided.hits, copied.hits)
