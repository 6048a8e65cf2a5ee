"""Escape and overkill rates with Wilson intervals: the operating point of an inspection line."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from skmoe.metrics import defect_report, operating_point, wilson_interval


@given(st.integers(0, 200), st.integers(1, 200), st.sampled_from([0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_wilson_interval_is_scipys(k, n, confidence):
    k = min(k, n)
    low, high = wilson_interval(k, n, confidence=confidence)
    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_interval_is_vectorised_and_nan_without_trials():
    low, high = wilson_interval([0, 3, 0], [40, 10, 0])
    assert low[:2].tolist() == pytest.approx([0.0, 0.1078], abs=1e-4)
    assert high[:2].tolist() == pytest.approx([0.0876, 0.6032], abs=1e-4)
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_rates_count_escapes_and_overkill_not_confusions_between_defects():
    y_true = ["ok", "ok", "ok", "ok", "pit", "pit", "scratch", "scratch"]
    y_pred = ["ok", "ok", "ok", "pit", "scratch", "ok", "pit", "scratch"]
    point = operating_point(y_true, y_pred, background="ok")
    # One pit passed as good; one good part rejected; a pit called a scratch is no escape.
    assert (point.escapes, point.n_defective, point.overkills, point.n_defect_free) == (1, 4, 1, 4)
    assert point.escape_rate == point.overkill_rate == 0.25
    assert point.escape_interval == pytest.approx(tuple(wilson_interval(1, 4)))
    assert "escape rate 0.2500" in str(point) and "(1 of 4 defective images)" in str(point)


def test_an_indicator_matrix_is_defective_where_any_defect_column_is_set():
    # columns: background, crack, spot
    y_true = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 0, 0]])
    y_pred = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    point = operating_point(y_true, y_pred, background=0)
    assert (point.escapes, point.n_defective, point.overkills, point.n_defect_free) == (1, 2, 1, 2)


def test_without_defect_free_images_overkill_is_undefined():
    point = operating_point(["pit", "scratch"], ["pit", "ok"], background="ok")
    assert point.escape_rate == 0.5
    assert np.isnan(point.overkill_rate) and np.isnan(point.overkill_interval[0])


@pytest.mark.parametrize("y_true, y_pred, background, message", [
    (["ok", "pit"], ["ok", "pit"], "OK", "background='OK' is the label of no image"),
    (np.eye(3), np.eye(3), 3, "an integer in 0 .. 2"),
    (np.eye(3), np.eye(3), "background", "an integer in 0 .. 2"),
    (["ok", "pit"], ["ok"], "ok", "same number of images"),
])
def test_bad_input_is_named(y_true, y_pred, background, message):
    with pytest.raises(ValueError, match=message):
        operating_point(y_true, y_pred, background=background)


def test_defect_report_gives_the_operating_point_when_told_the_background():
    y_true = ["ok", "ok", "pit", "scratch"]
    y_pred = ["ok", "pit", "ok", "scratch"]
    assert defect_report(y_true, y_pred).operating_point is None
    report = defect_report(y_true, y_pred, background="ok")
    assert report.operating_point.escape_rate == report.operating_point.overkill_rate == 0.5
    assert "Operating point: escape rate 0.5000" in report.to_markdown()
    assert report.to_dict()["operating_point"]["escapes"] == 1
    # An indicator's background by its name among the target names, or its column.
    named = defect_report(np.eye(3, dtype=int), np.eye(3, dtype=int)[[0, 0, 2]],
                          target_names=["ok", "pit", "scratch"], background="ok")
    assert named.operating_point.escapes == 1
    with pytest.raises(ValueError, match="none of the target names"):
        defect_report(np.eye(3, dtype=int), np.eye(3, dtype=int), background="free")
