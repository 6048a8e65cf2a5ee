"""The parts of fine-tuning a pretrained backbone: a head started from a linear probe (LP-FT),
a lower learning rate for the backbone than for its head, warm-up before a cosine decay, and
test-time flips.

Fine-tuning from a random head first distorts the pretrained features: the head's large early
gradients flow into a backbone that already separates the classes (Kumar et al., "Fine-Tuning
can Distort Pretrained Features and Underperform Out-of-Distribution", ICLR 2022). Starting
the head from a logistic regression on the frozen features, and letting the backbone move
slower than the head, keeps what the ImageNet weights know.

Imported only by ``ImageClassifier``'s ``fit`` and ``predict_proba``, so ``import skmoe``
stays free of torch.
"""

import math

import numpy as np
import torch
from torch import nn

PROBE_C = 0.1  # the probe's inverse regularisation: the frozen-feature experts' default


class PreLogits(nn.Module):
    """An ``ImageNetwork``'s pooled features, before its classifier head."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, images):
        return self.network(images, pre_logits=True)


def linear_head(backbone):
    """The backbone's classifier head, which must be one ``nn.Linear`` to start from a probe."""
    head = backbone.get_classifier() if hasattr(backbone, "get_classifier") else None
    if not isinstance(head, nn.Linear):
        raise ValueError(
            f"head_init='probe' needs a backbone whose classifier is one linear layer; "
            f"{type(backbone).__name__}'s is {type(head).__name__}. Use head_init='random'."
        )
    return head


def start_head_from_probe(network, features, target, *, multilabel, class_weight):
    """Set the network's classifier head to a logistic regression on frozen ``features``.

    The regression is fitted on standardised features (as the frozen-feature experts are) and
    folded back into the head's weights, so that the head applied to the raw pooled features
    gives the probe's decision function exactly: ``w / s`` and ``b - (w / s) . m`` for the
    features' mean ``m`` and standard deviation ``s``. A single-label binary probe has one
    decision function, ``f``; the head's two logits are then ``0`` and ``f``, whose softmax is
    the probe's sigmoid. An indicator ``target`` gets one binary regression per class, as its
    per-class sigmoids are.

    Parameters
    ----------
    network : ImageNetwork
    features : ndarray of shape (n_samples, n_features)
        Pooled features of the training images (``PreLogits``).
    target : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Class indices, or the indicator matrix when ``multilabel``.
    multilabel : bool
    class_weight : {"balanced"} or None
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    head = linear_head(network.backbone)
    scaler = StandardScaler().fit(features)
    standardised = scaler.transform(features)

    def probe(labels):
        model = LogisticRegression(C=PROBE_C, class_weight=class_weight, max_iter=2000)
        return model.fit(standardised, labels)

    if multilabel:
        fitted = [probe(target[:, k]) for k in range(target.shape[1])]
        coef = np.vstack([model.coef_ for model in fitted])
        intercept = np.concatenate([model.intercept_ for model in fitted])
    else:
        model = probe(target)
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.array([0.0, intercept[0]])
        if len(model.classes_) != head.out_features:
            raise ValueError(f"the probe saw {len(model.classes_)} of the {head.out_features} "
                             "classes in the training part; every class needs training images.")
    weight = coef / scaler.scale_
    bias = intercept - weight @ scaler.mean_
    with torch.no_grad():
        head.weight.copy_(torch.as_tensor(weight, dtype=head.weight.dtype))
        head.bias.copy_(torch.as_tensor(bias, dtype=head.bias.dtype))


def head_and_backbone_groups(backbone, *, lr, backbone_lr_scale):
    """skorch's ``optimizer__param_groups``: the classifier head at ``lr`` (the default group),
    every other parameter of the backbone at ``lr * backbone_lr_scale``; first match wins."""
    from ._checkpoints import head_names

    head = [(f"backbone.{name}.*", {}) for name in head_names(backbone)]
    return [*head, ("backbone.*", {"lr": lr * backbone_lr_scale})]


def warmup_cosine(epoch, *, warmup_epochs, max_epochs, cosine):
    """The learning rate's factor in ``epoch`` (from 0), for ``torch``'s ``LambdaLR``.

    A linear warm-up over ``warmup_epochs`` (``1 / (w + 1)``, ``2 / (w + 1)``, ...: never 0),
    then, with ``cosine``, a cosine decay to 0 at ``max_epochs``, else constant.
    """
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    if not cosine:
        return 1.0
    progress = (epoch - warmup_epochs) / max(max_epochs - warmup_epochs, 1)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class FlipAveraged(nn.Module):
    """``output`` of a network averaged over the image and its mirror images (test-time
    flips), along ``axes`` (-1: left-right, -2: up-down)."""

    def __init__(self, network, output, axes):
        super().__init__()
        self.network = network
        self.output = output
        self.views = [()] + [(axis,) for axis in axes]

    def forward(self, images):
        outputs = [self.output(self.network(images.flip(view) if view else images))
                   for view in self.views]
        return torch.stack(outputs).mean(dim=0)
