"""Bad input to defect_report: each a clear error, and label names always matched to labels."""

import numpy as np
import pytest

from skmoe.metrics import defect_report

from ._table import case, check_case

INDICATOR = np.eye(3, dtype=int)

CASES = [
    case("lengths differ", lambda: defect_report(["a", "b"], ["a"]),
         ValueError, "y_true and y_pred must have the same shape; got \\(2,\\) and \\(1,\\)"),
    case("layouts differ", lambda: defect_report(INDICATOR, np.array([0, 1, 2])),
         ValueError, "must have the same shape; got \\(3, 3\\) and \\(3,\\)"),
    case("empty", lambda: defect_report([], []),
         ValueError, "y_true is empty: the report needs at least one image"),
    case("too few names", lambda: defect_report(["a", "b"], ["a", "b"], target_names=["x"]),
         ValueError, "target_names has 1 names but there are 2 classes \\(\\['a', 'b'\\]\\)"),
    case("probabilities without threshold",
         lambda: defect_report(INDICATOR, np.full((3, 3), 0.7)),
         ValueError, "y_pred holds probabilities, not labels; pass threshold=0.5"),
    case("predictions missing", lambda: defect_report(["a", "b"], None),
         ValueError, "y_pred is None: give one label .* per image"),
    case("text against numbers", lambda: defect_report(["a", "b"], [0, 1]),
         ValueError, "y_true holds text and y_pred numbers: both must use the same labels"),
    case("threshold above 1",
         lambda: defect_report(INDICATOR, np.full((3, 3), 0.7), threshold=2),
         ValueError, "threshold must lie in \\[0, 1\\]; got 2"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)


def test_names_in_another_order_are_matched_to_the_labels():
    """Magnetic-tile's names listed defect-free first still head the right columns."""
    y = np.array(["MT_Blowhole"] * 2 + ["MT_Free"] * 5)
    report = defect_report(y, y, target_names=["MT_Free", "MT_Blowhole"])
    support = dict(zip(report.target_names, report.support))
    assert support == {"MT_Blowhole": 2, "MT_Free": 5}


def test_a_label_that_never_occurs_is_named():
    with pytest.warns(UserWarning, match=r"labels \['scrach'\] occur in neither y_true nor"):
        report = defect_report(["ok", "scratch"], ["ok", "ok"], labels=["ok", "scratch", "scrach"])
    assert report.support.tolist() == [1, 1, 0]
