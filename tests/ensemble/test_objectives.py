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


def _inspection_problem(seed, n=240, noise=0.35):
    """Three noisy experts over a defect-free class (0, half the images) and two defects."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, 0, 1 + np.arange(n) // 2 % 2)
    proba = np.clip(np.eye(3)[y] * 0.6 + rng.normal(0.2, noise, (3, n, 3)), 0, 1)
    return proba, y


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_escape", [0.0, 0.05])
def test_least_overkill_scores_what_its_definition_says(seed, max_escape):
    """The objective is 1 - overkill where the escape rate is within the bound, minus the
    escape rate where it is not, up to a tie-break below one image."""
    from skmoe.ensemble import vote_decision, vote_objective
    from skmoe.metrics import operating_point

    proba, y = _inspection_problem(seed)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        thresholds, weights = rng.uniform(0.2, 0.8, 3), rng.uniform(0.5, 2, 3)
        predicted = vote_decision(proba, thresholds, weights, single_label=True)
        point = operating_point(y, predicted, background=0)
        expected = (1 - point.overkill_rate if point.escape_rate <= max_escape
                    else -point.escape_rate)
        value = vote_objective(proba, y, thresholds, weights,
                               objective=LeastOverkill(max_escape, background=0))
        assert expected <= value < expected + 1 / len(y)


@pytest.mark.parametrize("seed", range(3))
def test_least_overkill_search_keeps_the_bound_and_trades_escapes_for_overkill(seed):
    """The exact search (one threshold per expert and class) keeps the escape bound on the
    tuning data, scores at least what the grid search does, and with escapes allowed rejects
    no more defect-free images than the default objective's vote."""
    from skmoe.ensemble import coordinate_search, vote_decision
    from skmoe.metrics import operating_point

    proba, y = _inspection_problem(seed)

    def point(result):
        predicted = vote_decision(proba, result.thresholds, result.weights, single_label=True)
        return operating_point(y, predicted, background=0)

    default = point(coordinate_search(proba, y, per_class_thresholds=True))
    for max_escape in (0.0, 0.05):
        objective = LeastOverkill(max_escape, background=0)
        exact = coordinate_search(proba, y, objective=objective, per_class_thresholds=True)
        grid = coordinate_search(proba, y, objective=objective, per_class_thresholds=True,
                                 method="grid")
        assert exact.score >= grid.score
        assert point(exact).escape_rate <= max_escape
    assert point(exact).overkills <= default.overkills


@pytest.mark.parametrize("call, message", [
    (lambda: LeastOverkill(max_escape=1.5), "max_escape must be a number in"),
    (lambda: LeastOverkill(background=3).count_term(10, 3), "an integer in 0 .. 2"),
    (lambda: LeastOverkill(background="ok").count_term(10, 3), "an integer in 0 .. 2"),
])
def test_least_overkill_refuses_bad_settings(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_least_overkill_needs_one_label_per_image():
    from skmoe.ensemble import coordinate_search

    proba, y = _inspection_problem(0)
    with pytest.raises(ValueError, match="give 1-D y"):
        coordinate_search(proba, np.eye(3, dtype=int)[y], objective=LeastOverkill())
