"""The one training loop of skmoe's torch experts: a skorch ``NeuralNet`` and its settings.

The CNN expert, the segmenter and the torchvision detectors all train through skorch, so that
they share one loop, one history shape (per epoch: ``epoch``, ``train_loss``, ``lr``, ``dur``)
and one progress style (skorch's epoch table with ``verbose``, a batch progress bar with
``verbose >= 2``). What differs between them is a network, a criterion and, for the
detectors, a forward pass that takes the targets: :class:`ExpertNet` is the ``NeuralNet`` for
the last two. Imported only when such an expert fits, so ``import skmoe`` stays free of torch.
"""

import re
import sys

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, GradientNormClipping, LRScheduler, ProgressBar
from skorch.utils import to_device

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class ExpertNet(NeuralNet):
    """A skorch ``NeuralNet`` trained on a dataset of (input, target) batches.

    Beside skorch's parameters:

    Parameters
    ----------
    forward_takes_targets : bool, default=False
        Whether the module's training forward pass takes the targets (torchvision's
        detectors: they return their losses, which the criterion sums).
    batch_transform : callable or None, default=None
        Applied to each (input, target) training batch on the device, returning the pair:
        e.g. uint8 images to floats, or the same random flips of images and masks.
    mixed_precision : bool, default=False
        bf16 autocast of the forward pass and the loss on CUDA.
    divergence_advice : str, default="lower lr."
        What to do, said when the loss becomes infinite or NaN.
    """

    def __init__(self, *args, forward_takes_targets=False, batch_transform=None,
                 mixed_precision=False, divergence_advice="lower lr.", **kwargs):
        super().__init__(*args, **kwargs)
        self.forward_takes_targets = forward_takes_targets
        self.batch_transform = batch_transform
        self.mixed_precision = mixed_precision
        self.divergence_advice = divergence_advice

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        inputs, targets = (to_device(part, self.device) for part in batch)
        if self.batch_transform is not None:
            inputs, targets = self.batch_transform(inputs, targets)
        with torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16,
                            enabled=self.mixed_precision):
            y_pred = (self.module_(inputs, targets) if self.forward_takes_targets
                      else self.module_(inputs))
            loss = self.get_loss(y_pred, targets, X=inputs, training=True)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"The training loss of {type(self.module_).__name__} became "
                                     f"infinite or NaN; {self.divergence_advice}")
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # The targets are on the device already, and a detector's are dicts skorch's
        # to_tensor would copy again.
        return self.criterion_(y_pred, y_true)


class SummedLosses(torch.nn.Module):
    """The criterion of a network that returns its own losses (a torchvision detector in
    training mode returns a dict of them): their sum."""

    def forward(self, losses, targets=None):
        return sum(losses.values())


class RecordLearningRate(Callback):
    """Write the first parameter group's learning rate at the end of each epoch into the
    history's ``lr`` column (after the epoch's scheduler steps)."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])


def training_arguments(expert, *, verbose, seeded_shuffle=True):
    """The ``NeuralNet`` arguments every expert shares: device, shuffled loading, workers,
    progress output; ``expert`` gives ``device_``, ``num_workers`` and ``random_state``."""
    on_gpu = expert.device_.startswith("cuda")
    arguments = dict(
        device=expert.device_,
        iterator_train__shuffle=True,
        iterator_train__num_workers=expert.num_workers,
        iterator_train__pin_memory=on_gpu,
        verbose=verbose,
        # skorch calls a sink other than print whatever verbose is: only when asked.
        callbacks__print_log__sink=print_epoch_line if verbose else print,
    )
    if seeded_shuffle and expert.random_state is not None:
        arguments["iterator_train__generator"] = torch.Generator().manual_seed(
            expert.random_state)
    return arguments


def shared_callbacks(verbose, *, scheduler=None, clip_norm=None):
    """The callbacks every expert's net has: the ``lr`` column, a per-batch learning-rate
    ``scheduler`` (a function of the optimizer, e.g. a ``torch.optim.lr_scheduler`` class
    with its arguments bound), gradient clipping and, with ``verbose >= 2``, a progress bar."""
    callbacks = [("record_lr", RecordLearningRate())]
    if scheduler is not None:
        callbacks.append(("lr_scheduler", LRScheduler(scheduler, step_every="batch",
                                                      event_name=None)))
    if clip_norm is not None:
        callbacks.append(("gradient_clipping", GradientNormClipping(clip_norm)))
    if verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks


def train_expert_net(module, dataset, *, expert, criterion, optimizer, lr, max_epochs,
                     batch_size, scheduler=None, clip_norm=None, collate_fn=None,
                     **net_arguments):
    """Train ``module`` on ``dataset`` by an :class:`ExpertNet`; return (module, history).

    ``expert`` gives the device, workers, seed and ``verbose``; ``net_arguments`` go to the
    net (``optimizer__weight_decay``, ``forward_takes_targets``, ...). The net itself is not
    kept: only the trained module and its history, as an expert predicts with its own loop.
    """
    net = ExpertNet(
        module, criterion=criterion, optimizer=optimizer, lr=lr, max_epochs=max_epochs,
        batch_size=batch_size, train_split=None,
        callbacks=shared_callbacks(expert.verbose, scheduler=scheduler, clip_norm=clip_norm),
        **({"iterator_train__collate_fn": collate_fn} if collate_fn is not None else {}),
        **training_arguments(expert, verbose=expert.verbose), **net_arguments,
    )
    net.fit(dataset, y=None)
    return net.module_, net.history


def print_epoch_line(text):
    """skorch's epoch table, without its colour codes where output goes to a file or pipe."""
    if not sys.stdout.isatty():
        text = _ANSI_CODE.sub("", text)
    print(text, flush=True)
