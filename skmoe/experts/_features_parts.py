"""Torch pieces of ImageFeatures: the frozen backbone with its pooling, flips and tiles.

Imported only when ImageFeatures fits or transforms, so ``import skmoe`` stays free of torch.
"""

import torch
from torch import nn


class PooledFeatures(nn.Module):
    """Preprocessing, then a timm backbone without its classifier: one pooled feature vector
    per image, averaged over the image and its flips, and max-pooled over tiles.

    Parameters
    ----------
    preprocess : Preprocess
        Resizes to the whole grid of tiles, scales and normalises.
    backbone : torch.nn.Module
        A timm model built with ``num_classes=0`` (pooled features out).
    flips : tuple of int
        Image axes (-1: left-right, -2: up-down) whose mirror images are averaged in.
    tiles : int
        The image is cut into ``tiles x tiles`` tiles of the backbone's input size, each seen
        at full resolution; a defect a few pixels wide stays a few pixels wide instead of
        vanishing in a downscaled whole. Features are max-pooled over tiles: a defect in one
        tile is what counts.
    """

    def __init__(self, preprocess, backbone, *, flips, tiles, mixed_precision=False):
        super().__init__()
        self.preprocess = preprocess
        self.backbone = backbone
        self.flips = tuple(flips)
        self.tiles = tiles
        self.mixed_precision = mixed_precision

    def forward(self, images):
        x = self.preprocess(images)
        n = x.shape[0]
        if self.tiles > 1:  # (n, C, t*h, t*w) -> (n*t*t, C, h, w), tiles of an image together
            c, height, width = x.shape[1], x.shape[2] // self.tiles, x.shape[3] // self.tiles
            x = (x.reshape(n, c, self.tiles, height, self.tiles, width)
                 .permute(0, 2, 4, 1, 3, 5).reshape(-1, c, height, width))
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16,
                            enabled=self.mixed_precision and x.device.type == "cuda"):
            features = self.backbone(x).float()
            for axis in self.flips:
                features = features + self.backbone(x.flip(axis)).float()
        features = features / (1 + len(self.flips))
        return features.reshape(n, -1, features.shape[-1]).amax(dim=1)
