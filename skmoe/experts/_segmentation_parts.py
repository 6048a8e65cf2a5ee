"""Torch pieces of SegmentationExpert: the U-Net, the image-and-mask data, the loss, training.

Imported only when a SegmentationExpert fits or predicts, so ``import skmoe`` stays free of
torch.
"""

import math
from functools import partial

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._decoding import load_image
from ._expert_net import train_expert_net
from ._inference import predict_in_batches, ready_for_inference

DEFECT_PRIOR = 0.01  # initial pixel probability of every defect class


class UNet(nn.Module):
    """A U-Net decoder on a timm encoder (``features_only``): one logit map per defect class.

    Each decoder step upsamples the deeper features to the next skip connection's size,
    concatenates them and applies two 3x3 convolutions; the last map is upsampled to the input
    size. ``preprocess`` (resize and normalise, see ``Preprocess``) runs first, on the device.
    """

    def __init__(self, encoder, preprocess, n_outputs, *, mixed_precision=False):
        super().__init__()
        self.preprocess = preprocess
        self.encoder = encoder
        self.mixed_precision = mixed_precision
        channels = encoder.feature_info.channels()
        blocks, deeper = [], channels[-1]
        for skip in reversed(channels[:-1]):
            width = max(16, skip)
            blocks.append(_double_conv(deeper + skip, width))
            deeper = width
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Conv2d(deeper, n_outputs, kernel_size=1)
        # Start every pixel at a 1% defect probability (RetinaNet's prior) instead of 50%:
        # defect pixels are rare, and from 50% the first steps only learn "no defect anywhere",
        # a plateau the Dice term then has to climb out of.
        nn.init.constant_(self.head.bias, -math.log((1 - DEFECT_PRIOR) / DEFECT_PRIOR))

    def forward(self, images):
        x = self.preprocess(images)
        size = x.shape[-2:]
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16,
                            enabled=self.mixed_precision and x.device.type == "cuda"):
            features = self.encoder(x)
            y = features[-1]
            for block, skip in zip(self.decoder, reversed(features[:-1])):
                y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
                y = block(torch.cat([y, skip], dim=1))
            logits = self.head(y)
        return F.interpolate(logits.float(), size=size, mode="bilinear", align_corners=False)


def _double_conv(n_in, n_out):
    return nn.Sequential(
        nn.Conv2d(n_in, n_out, 3, padding=1, bias=False), nn.BatchNorm2d(n_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(n_out, n_out, 3, padding=1, bias=False), nn.BatchNorm2d(n_out),
        nn.ReLU(inplace=True),
    )


def resize_masks(masks, shape):
    """Boolean masks (..., H, W) as floats at ``shape``: shrinking keeps a pixel where any pixel
    it covers was set, so that defects a pixel wide survive (nearest-neighbour sampling would
    drop them); growing repeats pixels."""
    x = torch.as_tensor(np.asarray(masks), dtype=torch.float32)
    height, width = x.shape[-2:]
    if (height, width) == tuple(shape):
        return x
    flat = x.reshape(-1, 1, height, width)
    flat = F.adaptive_max_pool2d(flat, (min(height, shape[0]), min(width, shape[1])))
    if tuple(flat.shape[-2:]) != tuple(shape):
        flat = F.interpolate(flat, size=tuple(shape), mode="nearest")
    return flat.reshape(*x.shape[:-2], *shape)


class MaskDataset(torch.utils.data.Dataset):
    """Images (uint8 tensors) with their defect masks at the network's size."""

    def __init__(self, source, masks, *, shape, n_channels, channels):
        self.source = source
        self.masks = masks
        self.shape = shape
        self.n_channels = n_channels
        self.channels = channels  # the mask channels the network predicts (the defects)

    def __len__(self):
        return len(self.source)

    def __getitem__(self, i):
        # Files are read at the network's size; arrays come at their own (one size for all),
        # which the network's preprocessing resizes on the device.
        image = load_image(self.source, i, self.shape, self.n_channels)
        return image, resize_masks(np.asarray(self.masks[i])[self.channels], self.shape)


def segmentation_loss(logits, masks):
    """Pixel binary cross-entropy plus the soft Dice loss of each defect class.

    Defects cover a tiny share of the pixels: cross-entropy alone is content to predict none,
    the Dice term counts each class's overlap whatever its size. Classes absent from the whole
    batch have no overlap to count and are left out of the Dice term.
    """
    bce = F.binary_cross_entropy_with_logits(logits, masks)
    proba = torch.sigmoid(logits)
    intersection = (proba * masks).sum(dim=(0, 2, 3))
    total = proba.sum(dim=(0, 2, 3)) + masks.sum(dim=(0, 2, 3))
    present = masks.sum(dim=(0, 2, 3)) > 0
    if not present.any():
        return bce
    dice = 1 - (2 * intersection[present] + 1) / (total[present] + 1)
    return bce + dice.mean()


def flip_pairs(images, masks):
    """The same random horizontal and vertical flips of each image and its masks."""
    n = images.shape[0]
    for dim in (-1, -2):
        flip = torch.rand(n, 1, 1, 1, device=images.device) < 0.5
        images = torch.where(flip, images.flip(dim), images)
        masks = torch.where(flip, masks.flip(dim), masks)
    return images, masks


class SegmentationLoss(nn.Module):
    """:func:`segmentation_loss` as the criterion of a skorch net."""

    def forward(self, logits, masks):
        return segmentation_loss(logits, masks)


def train(network, dataset, *, expert, lr, weight_decay, max_epochs, batch_size, augment):
    """AdamW with cosine annealing of the rate over every step, through the experts' skorch
    loop; returns (network, history).

    Adam, not SGD: the decoder starts from random weights and the defect pixels are rare, so
    the loss's gradients are tiny and uneven across layers. On Magnetic-tile with an ImageNet
    encoder, SGD at lr 0.01 (160 px, 6 epochs) called every tile defect-free; AdamW at 0.001
    (128 px, 6 epochs) reached 0.31 test macro F1.
    """
    steps = max_epochs * math.ceil(len(dataset) / batch_size)
    return train_expert_net(
        network, dataset, expert=expert, criterion=SegmentationLoss,
        optimizer=torch.optim.AdamW, optimizer__weight_decay=weight_decay, lr=lr,
        max_epochs=max_epochs, batch_size=batch_size,
        scheduler=partial(torch.optim.lr_scheduler.CosineAnnealingLR, T_max=steps),
        batch_transform=flip_pairs if augment else None,
        divergence_advice="lower lr.",
    )


def image_scores(network, batches, *, device, num_workers, pixel_score):
    """Per image and defect class, one score from its pixel probabilities: the largest
    (``pixel_score="max"``) or the ``pixel_score`` quantile, for every batch of ``batches``
    (an ``ImageBatches``), by the experts' shared prediction loop."""

    def scores(logits):
        pixels = torch.sigmoid(logits).flatten(start_dim=2)
        if pixel_score == "max":
            return pixels.amax(dim=2)
        # kthvalue, unlike torch.quantile, takes maps of any size
        k = min(pixels.shape[2], max(1, math.ceil(pixel_score * pixels.shape[2])))
        return pixels.kthvalue(k, dim=2).values

    return predict_in_batches(ready_for_inference(network, device), batches, device=device,
                              num_workers=num_workers, output=scores)
