import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skmoe.utils import import_optional, predict_class_proba


def test_multioutput_proba_becomes_one_column_per_label():
    """A multi-output classifier's list of (n, 2) arrays becomes (n, n_labels)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = (rng.random_sample((60, 4)) < 0.4).astype(int)
    Y[:, 3] = 0  # a label never present: its probability must be 0
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, Y)
    proba = predict_class_proba(forest, X)
    assert proba.shape == (60, 4)
    np.testing.assert_allclose(proba[:, 0], forest.predict_proba(X)[0][:, 1])
    np.testing.assert_array_equal(proba[:, 3], 0)


def test_single_output_proba_is_unchanged():
    """A multi-class classifier's predict_proba is returned as is."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    model = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(predict_class_proba(model, X), model.predict_proba(X))


def test_import_optional_names_the_extra():
    """A missing optional dependency names the skmoe extra to install."""
    with pytest.raises(ImportError, match=r"skmoe\[yolo\]"):
        import_optional("ultralytics.does_not_exist_here", needed_by="YOLODetector")
