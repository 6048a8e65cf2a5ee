import numpy as np
import pandas as pd
import pytest

from skmoe.utils import check_probabilities, from_indicator, to_indicator


def test_to_indicator_one_d_labels():
    """1-D labels become one column per sorted class."""
    indicator, classes, multilabel = to_indicator(["pit", "ok", "pit"])
    assert list(classes) == ["ok", "pit"]
    np.testing.assert_array_equal(indicator, [[0, 1], [1, 0], [0, 1]])
    assert not multilabel


def test_to_indicator_keeps_dataframe_columns():
    """An indicator DataFrame keeps its column names as classes."""
    y = pd.DataFrame({"background": [1, 0], "pit": [0, 1]})
    _, classes, multilabel = to_indicator(y)
    assert list(classes) == ["background", "pit"]
    assert multilabel


def test_to_indicator_rejects_unknown_labels():
    """Labels outside the given classes raise and are named."""
    with pytest.raises(ValueError, match="labels the fitted classes do not know"):
        to_indicator(["a", "z"], classes=["a", "b"])


def test_to_indicator_rejects_continuous_y():
    """A continuous target is not a label layout."""
    with pytest.raises(ValueError, match="Unknown label type 'continuous'"):
        to_indicator([0.5, 1.5, 2.5])


def test_from_indicator_round_trip():
    """Single-label predictions come back as labels, multi-label as the indicator."""
    indicator, classes, _ = to_indicator(["b", "a", "c"])
    assert list(from_indicator(indicator, classes, multilabel=False)) == ["b", "a", "c"]
    assert from_indicator(indicator, classes, multilabel=True).shape == (3, 3)


@pytest.mark.parametrize(
    "proba, err_msg",
    [
        ([0.2, np.nan], "NaN or infinite"),
        ([0.2, np.inf], "NaN or infinite"),
        ([0.2, 1.2], r"must lie in \[0, 1\]"),
        ([-0.1, 0.3], r"must lie in \[0, 1\]"),
    ],
)
def test_check_probabilities_errors(proba, err_msg):
    """Bad probabilities raise a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=err_msg):
        check_probabilities(np.array(proba))


def test_defect_columns_and_the_background_column():
    from skmoe.utils._labels import defect_columns, with_background_column

    assert defect_columns(4, None).tolist() == [0, 1, 2, 3]
    assert defect_columns(4, 2).tolist() == [0, 1, 3]
    defects = np.array([[0.1, 0.7, 0.2], [0.0, 0.0, 0.0]])
    scores = with_background_column(defects, 4, 2)
    np.testing.assert_allclose(scores, [[0.1, 0.7, 0.3, 0.2], [0.0, 0.0, 1.0, 0.0]])
    np.testing.assert_allclose(with_background_column(defects, 3, None), defects)
