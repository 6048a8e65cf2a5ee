import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmoe.metrics import defect_report


def _brute_force(Y_true, Y_pred):
    """Per-class precision, recall, F1, accuracy by counting, straight from the definitions."""
    rows = []
    for c in range(Y_true.shape[1]):
        t, p = Y_true[:, c], Y_pred[:, c]
        tp = sum(1 for a, b in zip(t, p) if a and b)
        fp = sum(1 for a, b in zip(t, p) if not a and b)
        fn = sum(1 for a, b in zip(t, p) if a and not b)
        tn = len(t) - tp - fp - fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((precision, recall, f1, (tp + tn) / len(t)))
    exact = np.mean([all(a == b) for a, b in zip(Y_true, Y_pred)])
    return np.array(rows), exact


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_samples=st.integers(1, 30), n_classes=st.integers(1, 5))
def test_multilabel_report_matches_brute_force(data, n_samples, n_classes):
    """Every per-class number and the exact-match accuracy equal their definitions."""
    shape = (n_samples, n_classes)
    Y_true = data.draw(arrays(np.int64, shape, elements=st.integers(0, 1)))
    Y_pred = data.draw(arrays(np.int64, shape, elements=st.integers(0, 1)))
    report = defect_report(Y_true, Y_pred)
    expected, exact = _brute_force(Y_true, Y_pred)
    got = np.column_stack([report.precision, report.recall, report.f1, report.accuracy])
    np.testing.assert_allclose(got, expected)
    assert report.overall_accuracy == pytest.approx(exact)
    assert report.macro.f1 == pytest.approx(expected[:, 2].mean())


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd")), min_size=1,
                    max_size=40)
)
def test_single_label_report_matches_one_vs_rest_brute_force(labels):
    """Single-label reports score each class one-vs-rest; exact match is plain accuracy."""
    y_true, y_pred = (np.array(v) for v in zip(*labels))
    report = defect_report(y_true, y_pred)
    classes = np.unique(np.concatenate([y_true, y_pred]))
    expected, exact = _brute_force(y_true[:, None] == classes, y_pred[:, None] == classes)
    np.testing.assert_allclose(report.precision, expected[:, 0])
    np.testing.assert_allclose(report.recall, expected[:, 1])
    np.testing.assert_allclose(report.accuracy, expected[:, 3])
    assert report.overall_accuracy == pytest.approx(exact)
    assert report.target_names == tuple(classes)


def test_names_in_another_order_are_matched_to_their_labels():
    """A loader's names in its own order (defect-free first) still land on their labels."""
    y_true = ["MT_Blowhole"] * 2 + ["MT_Free"] * 5 + ["MT_Crack"] * 3
    report = defect_report(y_true, y_true, target_names=["MT_Free", "MT_Blowhole", "MT_Crack"])
    assert report.target_names == ("MT_Blowhole", "MT_Crack", "MT_Free")
    assert report.support.tolist() == [2, 3, 5]


def test_markdown_has_classes_as_columns():
    """The table has one column per class plus Macro, and the exact-match line."""
    report = defect_report(["ok", "pit", "ok"], ["ok", "pit", "pit"], target_names=["OK", "Pit"])
    table = report.to_markdown(digits=2)
    assert table.splitlines()[0] == "|  | OK | Pit | Macro |"
    assert "| Recall | 0.50 | 1.00 | 0.75 |" in table
    assert "Overall (exact-match) accuracy: 0.67" in table
    assert str(report) == report.to_markdown()


def test_to_dict_is_plain_data():
    """to_dict gives per-class floats, the macro averages and the exact-match accuracy."""
    report = defect_report([[1, 0], [0, 1]], [[1, 0], [1, 1]])
    data = report.to_dict()
    assert data["per_class"]["class 1"]["recall"] == 1.0
    assert data["macro"]["precision"] == pytest.approx(0.75)
    assert data["overall_accuracy"] == 0.5


def test_dataframe_columns_name_the_classes():
    """An indicator DataFrame's columns become the class names."""
    y = pd.DataFrame({"background": [1, 0, 0], "scratch": [0, 1, 1]})
    report = defect_report(y, y.to_numpy())
    assert report.target_names == ("background", "scratch")


def test_probabilities_with_threshold():
    """Float probabilities are accepted once a threshold says where a class counts."""
    report = defect_report([[1, 0], [0, 1]], np.array([[0.9, 0.2], [0.4, 0.6]]), threshold=0.5)
    assert report.overall_accuracy == 1.0


def test_plot_draws_bars():
    """plot() draws three bars per class on the given axes."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = defect_report(["a", "b", "c"], ["a", "b", "b"])
    ax = report.plot()
    assert len(ax.patches) == 9
    plt.close("all")


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, err_msg",
    [
        ([[1, 0]], np.array([[np.nan, 0.1]]), {}, "NaN"),
        ([[1, 0]], np.array([[1.5, 0.1]]), {"threshold": 0.5}, r"\[0, 1\]"),
        ([[1, 0]], np.array([[-0.5, 0.1]]), {"threshold": 0.5}, r"\[0, 1\]"),
        ([[1, 0]], np.array([[0.7, 0.1]]), {}, "pass threshold"),
        ([1, 0], [1], {}, "same shape"),
        ([], [], {}, "empty"),
        (["a", "b"], ["a", "b"], {"target_names": ["x"]}, "target_names has 1 names"),
        (["a", "b", "c"], ["a", "b", "c"], {"target_names": ["b", "x", "y"]},
         r"name labels \['b'\] at other positions"),
    ],
)
def test_bad_input(y_true, y_pred, kwargs, err_msg):
    """Bad metric input raises a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=err_msg):
        defect_report(y_true, y_pred, **kwargs)
