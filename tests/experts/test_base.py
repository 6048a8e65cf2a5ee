"""The image-expert base: the shared fit start, devices, image sizes, validation split, predict."""

import pickle

import numpy as np
import pytest

from skmoe.datasets import make_steel_defects
from skmoe.experts import BaseImageExpert
from skmoe.experts._base import (
    image_shape,
    inference_device,
    network_pickled_on_cpu,
    resolve_device,
)

pytest.importorskip("torch")


class _Brightness(BaseImageExpert):
    """The smallest expert on the base: a class's mean brightness."""

    _parameter_constraints = {**BaseImageExpert._parameter_constraints,
                              **BaseImageExpert._validation_constraint}

    def __init__(self, validation_fraction=0.0, device="cpu", random_state=None):
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state

    def fit(self, X, y):
        source, indicator = self._start_fit(X, y)
        self.split_ = self._validation_split(indicator)
        brightness = source.array.reshape(len(indicator), -1).mean(axis=1)
        self.means_ = np.array([brightness[column == 1].mean() for column in indicator.T])
        return self

    def predict_proba(self, X):
        brightness = np.asarray(X, dtype=float).reshape(len(X), -1).mean(axis=1)
        scores = np.exp(-np.abs(brightness[:, None] - self.means_))
        return scores / scores.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def steel():
    return make_steel_defects(60, image_size=24, class_weights=[1] * 5, random_state=0)


def test_fit_start_sets_classes_and_device_and_predict_follows(steel):
    X, y = steel
    expert = _Brightness().fit(X, y)
    assert expert.classes_.tolist() == sorted(set(y)) and not expert.multilabel_
    assert expert.device_ == "cpu"
    assert set(expert.predict(X)) <= set(expert.classes_)


def test_validation_split_is_stratified_and_seeded(steel):
    X, y = steel
    train, val = _Brightness(validation_fraction=0.2, random_state=0).fit(X, y).split_
    assert len(val) == 12 and not set(train) & set(val)
    assert sorted(set(y[val])) == sorted(set(y))  # every class held out
    again = _Brightness(validation_fraction=0.2, random_state=0).fit(X, y).split_
    np.testing.assert_array_equal(val, again[1])
    assert _Brightness().fit(X, y).split_[1].size == 0  # 0: no validation


def test_a_validation_split_that_leaves_nothing_is_refused(steel):
    X, y = steel
    with pytest.raises(ValueError, match="validation_fraction=0.99 leaves"):
        _Brightness(validation_fraction=0.99).fit(X[:5], y[:5])


def test_image_shape_and_devices():
    import torch

    assert image_shape(64) == (64, 64)
    assert image_shape((32, 48)) == (32, 48)
    with pytest.raises(ValueError, match="integer >= 8"):
        image_shape((32, 4))
    assert inference_device("cpu") == "cpu"
    # A model trained on a GPU predicts on the CPU of a machine without one.
    assert inference_device("cuda") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu0")


def test_network_pickled_on_cpu_moves_only_that_attribute():
    import torch

    state = {"network_": torch.nn.Linear(2, 2), "classes_": np.arange(2)}
    pickled = network_pickled_on_cpu(dict(state), "network_")
    assert next(pickled["network_"].parameters()).device.type == "cpu"
    assert pickle.loads(pickle.dumps(pickled))["classes_"].tolist() == [0, 1]
