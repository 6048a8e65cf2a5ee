"""Early stopping on a balanced validation score, after a minimum number of epochs.

Imported only by the experts that train with skorch, so ``import skmoe`` stays free of it.

Why not skorch's default (the validation loss from the first epoch on): on the small internal
validation splits of long-tailed data, the loss of a network trained at a high learning rate
spikes from one epoch to the next, and an early epoch with a lucky loss can be kept although it
calls nearly every image one class. A rounding difference between two machines then decides
which epoch that is (issue 27: the demo's two-stage expert kept its first epoch on one machine
and not on another). A balanced score (balanced accuracy, or macro F1 for an indicator ``y``)
measures what the user is after on a long tail, and waiting ``min_epochs`` before choosing lets
the network leave its first, noisy epochs behind.
"""

import numpy as np
from skorch.callbacks import Callback, EpochScoring


def balanced_validation_score(multilabel):
    """An skorch ``EpochScoring`` of the validation split: balanced accuracy of the arg-max
    label (single-label), or macro F1 of every label at 0.5 (indicator ``y``), recorded in the
    history as ``valid_score``. It reads the validation pass's cached outputs: no second
    forward pass."""
    return EpochScoring(_macro_f1 if multilabel else _balanced_accuracy,
                        lower_is_better=False, name="valid_score")


class EarlyStoppingAfter(Callback):
    """Early stopping on ``valid_score`` that neither stops nor keeps an epoch before
    ``min_epochs``; the best epoch's weights are restored when training ends.

    From epoch ``min_epochs`` on, the best epoch is the one with the highest score; of equal
    scores the latest (trained longer, at a lower learning rate: a small validation split ties
    often). Training stops after ``patience`` epochs without a higher score. skorch's own
    ``EarlyStopping`` watches from the first epoch and keeps the earliest of equal scores.
    """

    def __init__(self, *, patience, min_epochs, sink=print):
        self.patience = patience
        self.min_epochs = min_epochs
        self.sink = sink

    def on_train_begin(self, net, **kwargs):
        self.best_score_ = -np.inf
        self.best_epoch_ = None
        self.best_model_weights_ = None
        self.misses_ = 0

    def on_epoch_end(self, net, **kwargs):
        epoch, score = net.history[-1, "epoch"], net.history[-1, "valid_score"]
        if epoch < self.min_epochs:
            return
        if score >= self.best_score_:
            self.best_epoch_ = epoch
            self.best_model_weights_ = {name: value.detach().clone()
                                        for name, value in net.module_.state_dict().items()}
        self.misses_ = 0 if score > self.best_score_ else self.misses_ + 1
        self.best_score_ = max(self.best_score_, score)
        if self.misses_ == self.patience:
            self._say(net, f"Stopping: valid_score has not risen in {self.patience} epochs.")
            raise KeyboardInterrupt  # how a skorch callback ends training

    def on_train_end(self, net, **kwargs):
        if self.best_model_weights_ is not None and self.best_epoch_ != net.history[-1, "epoch"]:
            net.module_.load_state_dict(self.best_model_weights_)
            self._say(net, f"Restored the weights of epoch {self.best_epoch_} (best "
                           f"valid_score {self.best_score_:.4f}).")

    def __getstate__(self):
        # The restored weights are the module's own: not pickled twice.
        return {**self.__dict__, "best_model_weights_": None}

    def _say(self, net, text):
        if net.verbose:
            self.sink(text)


def _balanced_accuracy(net, X, y):
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(np.asarray(y), np.argmax(net.predict(X), axis=1)))


def _macro_f1(net, X, y):
    from sklearn.metrics import f1_score

    return float(f1_score(np.asarray(y) >= 0.5, net.predict(X) >= 0.5, average="macro",
                          zero_division=0))
