"""A fit that fails halfway leaves its estimator clearly unfitted and every other expert usable."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline
from skmoe.datasets import make_steel_defects


class Failing(ClassifierMixin, BaseEstimator):
    """A classifier whose fit raises, as an expert crashing mid-training would."""

    def fit(self, X, y):
        raise RuntimeError("out of memory in the middle of training")

    def predict_proba(self, X):
        raise AssertionError("never fitted")


def _fitted_attributes(estimator):
    return [name for name in vars(estimator) if name.endswith("_") and not name.startswith("__")]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


@pytest.mark.parametrize("make", [
    lambda lr: MultiExpertVotingClassifier([("lr", lr), ("failing", Failing())]),
    lambda lr: TwoStagePipeline(lr, Failing(), background_class=0),
])
def test_failing_expert_leaves_the_meta_estimator_unfitted(data, make):
    X, y = data
    frozen = FrozenEstimator(LogisticRegression().fit(X, y))
    proba = frozen.predict_proba(X)
    model = make(LogisticRegression())
    with pytest.raises(RuntimeError, match="out of memory"):
        model.fit(X, y)
    assert _fitted_attributes(model) == []
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict(X)
    # A refit of a fitted model that fails does not leave the old fit half overwritten.
    good = MultiExpertVotingClassifier([("lr", frozen), ("lr2", frozen)]).fit(X, y)
    with pytest.raises(RuntimeError):
        good.set_params(lr2=Failing(), cv=0.3).fit(X, y)
    assert _fitted_attributes(good) == []
    np.testing.assert_array_equal(frozen.predict_proba(X), proba)  # the other expert is intact


def test_cnn_expert_raising_from_a_callback(monkeypatch):
    """A CNN expert that raises mid-training (from a skorch callback): the ensemble is unfitted,
    the CNN expert too, and a frozen expert beside it predicts as before."""
    pytest.importorskip("skorch")
    import skorch

    from skmoe.experts import ImageClassifier

    X, y = make_steel_defects(60, image_size=32, random_state=0)
    tiny = dict(backbone="resnet10t", image_size=32, max_epochs=2, random_state=0)
    ready = FrozenEstimator(ImageClassifier(**tiny).fit(X, y))
    proba = ready.predict_proba(X)

    class Crash(skorch.callbacks.Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("crash inside the training loop")

    original = ImageClassifier._callbacks
    monkeypatch.setattr(ImageClassifier, "_callbacks",
                        lambda self, module: [*original(self, module), Crash()])
    crashing = ImageClassifier(**tiny)
    ensemble = MultiExpertVotingClassifier([("ready", ready), ("crashing", crashing)], cv=0.3)
    with pytest.raises(RuntimeError, match="crash inside"):
        ensemble.fit(X, y)
    assert _fitted_attributes(ensemble) == []
    with pytest.raises(RuntimeError, match="crash inside"):
        crashing.fit(X, y)
    assert _fitted_attributes(crashing) == []
    np.testing.assert_array_equal(ready.predict_proba(X), proba)
