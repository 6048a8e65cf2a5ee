"""EarlyStoppingAfter: a balanced score, chosen only from min_epochs on, ties to the latest."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skmoe.experts._early_stopping import (  # noqa: E402
    EarlyStoppingAfter,
    balanced_validation_score,
)


class _Net:
    """What the callback reads of a skorch net: its history, module and verbosity."""

    def __init__(self):
        self.history = skorch.history.History()
        self.module_ = torch.nn.Linear(1, 1, bias=False)
        self.verbose = 0


def _train(scores, **params):
    """Feed ``scores`` epoch by epoch, the weight set to the epoch number; return the epoch
    training stopped at and the weight left at the end."""
    net, callback = _Net(), EarlyStoppingAfter(**params)
    callback.on_train_begin(net)
    for epoch, score in enumerate(scores, start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_score", score)
        net.module_.weight.data.fill_(epoch)
        try:
            callback.on_epoch_end(net)
        except KeyboardInterrupt:  # skorch's way to stop
            break
    callback.on_train_end(net)
    return epoch, net.module_.weight.item()


def test_an_early_lucky_epoch_is_neither_kept_nor_stops_training():
    """Epoch 1's high score comes before min_epochs: the best later epoch is kept."""
    stopped, kept = _train([0.9, 0.1, 0.2, 0.5, 0.4, 0.3, 0.8], patience=2, min_epochs=4)
    assert (stopped, kept) == (6, 4)


def test_equal_scores_keep_the_latest_epoch():
    """Of equal best scores the later weights are kept; ties still use up patience."""
    stopped, kept = _train([0.5, 0.7, 0.7, 0.7, 0.6, 0.9], patience=3, min_epochs=1)
    assert (stopped, kept) == (5, 4)


def test_fewer_epochs_than_min_epochs_keep_the_last():
    stopped, kept = _train([0.9, 0.2, 0.1], patience=1, min_epochs=5)
    assert (stopped, kept) == (3, 3)


def test_restored_weights_are_not_pickled_twice():
    callback = EarlyStoppingAfter(patience=1, min_epochs=1)
    callback.best_model_weights_ = {"weight": torch.ones(3)}
    assert callback.__getstate__()["best_model_weights_"] is None


@pytest.mark.parametrize("multilabel, y, outputs, expected", [
    # Balanced accuracy: recall 1 on class 0, 0.5 on class 1 (accuracy would be 0.75).
    (False, [0, 0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], 0.75),
    (False, [0, 0, 0, 1], [[0.9, 0.1]] * 4, 0.5),  # one class for all: chance, not 0.75
    # Macro F1 at 0.5: column 0 perfect, column 1 never predicted.
    (True, [[1, 1], [0, 0]], [[0.9, 0.2], [0.1, 0.1]], 0.5),
])
def test_validation_score_is_balanced(multilabel, y, outputs, expected):
    scoring = balanced_validation_score(multilabel)

    class Predicting:
        def predict(self, X):
            return np.asarray(outputs)

    assert scoring.name == "valid_score" and not scoring.lower_is_better
    assert scoring.scoring(Predicting(), None, np.asarray(y)) == pytest.approx(expected)
