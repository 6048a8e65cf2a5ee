"""The count-based objectives, their counts, and the sweep of counts along a step."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score

from skmoe.ensemble import (
    COUNT_OBJECTIVES,
    LeastOverkill,
    _objectives,
    confusion_counts,
    f1,
    precision_plus_recall,
)
from skmoe.ensemble._objectives import _sweep, count_term


@pytest.mark.parametrize("seed", range(5))
def test_objectives_equal_scikit_learns_macro_scores(seed):
    """The mean of the per-class terms is scikit-learn's macro score, 0 where undefined."""
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.random((40, 4)) < 0.3, rng.random((40, 4)) < 0.3
    y_pred[:, 3] = False  # a class never predicted: its precision counts as 0
    counts = confusion_counts(y_true, y_pred)
    macro = {"average": "macro", "zero_division": 0}
    assert precision_plus_recall(*counts).mean() == pytest.approx(
        precision_score(y_true, y_pred, **macro) + recall_score(y_true, y_pred, **macro))
    assert f1(*counts).mean() == pytest.approx(f1_score(y_true, y_pred, **macro))
    assert set(COUNT_OBJECTIVES) == {"precision_recall", "f1"}


def test_confusion_counts():
    y_true = np.array([[1, 0], [1, 1], [0, 1]])
    y_pred = np.array([[1, 1], [0, 1], [0, 0]])
    tp, fp, positives = confusion_counts(y_true, y_pred)
    np.testing.assert_array_equal(tp, [1, 1])
    np.testing.assert_array_equal(fp, [0, 1])
    np.testing.assert_array_equal(positives, [2, 2])


@pytest.mark.parametrize("objective", ["precision_recall", LeastOverkill(0.2, background=1)])
@pytest.mark.parametrize("dense_cells", [0, 1 << 16])
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n_events=st.integers(1, 30), n_classes=st.integers(1, 4))
def test_sweep_matches_event_by_event_counting(seed, n_events, n_classes, dense_cells,
                                               objective):
    """The vectorised sweep (grouped by class, or dense) gives the objective after every event,
    as counting one by one does; also for a term that depends on the class."""
    if isinstance(objective, LeastOverkill):
        n_classes = max(n_classes, 2)  # a defect-free class and a defect class
    _objectives._DENSE_SWEEP_CELLS = dense_cells
    rng = np.random.default_rng(seed)
    every_class = np.arange(n_classes)
    per_class = count_term(objective, n_samples=30, n_classes=n_classes)

    def term(tp, fp, positives):
        return per_class(tp, fp, positives, every_class)

    cls = rng.integers(0, n_classes, n_events).astype(np.int16)
    d_tp, d_fp = rng.integers(-1, 3, n_events), rng.integers(-1, 3, n_events)
    tp, fp = rng.integers(2, 6, n_classes), rng.integers(2, 6, n_classes)
    positives = tp + rng.integers(0, 5, n_classes)
    values = _sweep(per_class, tp, fp, positives, cls, d_tp, d_fp)
    expected = [term(tp, fp, positives).mean()]
    tp, fp = tp.copy(), fp.copy()
    for c, a, b in zip(cls, d_tp, d_fp):
        tp[c] += a
        fp[c] += b
        expected.append(term(tp, fp, positives).mean())
    _objectives._DENSE_SWEEP_CELLS = 1 << 16
    np.testing.assert_allclose(values, expected, atol=1e-12)
