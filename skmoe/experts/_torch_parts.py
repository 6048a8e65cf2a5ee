"""The torch objects a fitted image expert holds: its datasets, preprocessing and network.

They stay in this one module because pickles of fitted experts name it. Image files are read by
:mod:`._decoding`, weights loaded by :mod:`._checkpoints`. Imported only by the expert classes
when they fit or predict, so ``import skmoe`` stays free of torch.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._decoding import load_image, read_image


class ImageDataset(torch.utils.data.Dataset):
    """Images by index, as uint8 tensors (C, H, W); paths are read and resized here.

    skorch gives the dataset the sample indices as ``X``, so that batching works on indices
    while images stay where they are (in memory or on disk).
    """

    def __init__(self, X, y=None, *, source, shape, n_channels):
        self.indices = np.asarray(X).ravel()
        self.y = y
        self.source = source
        self.shape = shape
        self.n_channels = n_channels

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        image = load_image(self.source, int(self.indices[i]), self.shape, self.n_channels)
        target = torch.zeros(0) if self.y is None else torch.as_tensor(self.y[i])
        return image, target


class ImageBatches(torch.utils.data.Dataset):
    """Whole batches of images: item b is the images at ``X[b * batch_size:(b + 1) *
    batch_size]`` stacked as one uint8 tensor (n, C, H, W), with their targets.

    Read through a DataLoader with ``batch_size=None``, it leaves no per-image Python work on
    the inference path for arrays in memory (a batch of consecutive images is a view, not a
    copy): per-image indexing and collating halved the throughput of a resnet18 on a GPU.
    """

    def __init__(self, X, y=None, *, source, shape, n_channels, batch_size):
        self.indices = np.asarray(X).ravel()
        self.y = y
        self.source = source
        self.shape = shape
        self.n_channels = n_channels
        self.batch_size = batch_size

    def __len__(self):
        return -(-len(self.indices) // self.batch_size)

    def __getitem__(self, b):
        part = slice(b * self.batch_size, (b + 1) * self.batch_size)
        rows = self.indices[part]
        if self.source.array is not None:
            consecutive = rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all()
            batch = self.source.array[rows[0]:rows[-1] + 1] if consecutive \
                else self.source.array[rows]
            images = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2)
        else:
            images = torch.stack([read_image(self.source.paths[i], self.shape, self.n_channels)
                                  for i in rows])
        target = torch.zeros(0) if self.y is None else torch.as_tensor(self.y[part])
        return images, target


class Preprocess(nn.Module):
    """Batched resize, scaling, normalisation and (when training) augmentation.

    Doing this on whole batches, on the model's device, keeps per-image Python work off the
    hot path. ``mean`` and ``std`` are the backbone's own (timm's data config); one channel
    uses their average. Grayscale images into a 3-channel network are repeated over channels.
    ``shape`` is the (height, width) the network sees.
    """

    def __init__(self, shape, n_channels, augment, *, mean, std):
        super().__init__()
        self.shape = tuple(shape)
        self.n_channels = n_channels
        self.augment = augment
        mean, std = np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32)
        if n_channels == 1:
            mean, std = mean.mean(keepdims=True), std.mean(keepdims=True)
        self.register_buffer("mean", torch.from_numpy(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.from_numpy(std).view(1, -1, 1, 1))

    def forward(self, images):
        x = images.float()
        if images.dtype == torch.uint8:
            x = x / 255.0
        if x.shape[1] != self.n_channels:  # grayscale into an RGB model
            x = x.expand(-1, self.n_channels, -1, -1)
        if tuple(x.shape[-2:]) != self.shape:
            x = F.interpolate(x, size=self.shape, mode="bilinear",
                              align_corners=False, antialias=True)
        if self.training and self.augment:
            x = augment_batch(x)
        return (x - self.mean) / self.std


def augment_batch(x):
    """Random flips, small rotations and brightness/contrast changes, per image, batched."""
    n = x.shape[0]
    device = x.device
    flip_h = torch.rand(n, 1, 1, 1, device=device) < 0.5
    x = torch.where(flip_h, x.flip(-1), x)
    flip_v = torch.rand(n, 1, 1, 1, device=device) < 0.5
    x = torch.where(flip_v, x.flip(-2), x)
    angle = (torch.rand(n, device=device) - 0.5) * (2 * np.pi / 18)  # +-10 degrees
    cos, sin = torch.cos(angle), torch.sin(angle)
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
    brightness = 1 + (torch.rand(n, 1, 1, 1, device=device) - 0.5) * 0.4
    contrast = 1 + (torch.rand(n, 1, 1, 1, device=device) - 0.5) * 0.4
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * contrast + mean * brightness).clamp(0, 1)


class ImageNetwork(nn.Module):
    """Preprocessing followed by a timm backbone; bf16 autocast on CUDA when asked.

    With ``frozen_batch_norm``, the backbone's batch-norm layers stay in eval mode while the
    network trains: they normalise by their pretrained statistics, which are not updated (their
    affine weights still learn), so that training mode computes the features eval mode does.
    """

    def __init__(self, backbone, preprocess, *, mixed_precision=False, channels_last=False,
                 frozen_batch_norm=False):
        super().__init__()
        self.preprocess = preprocess
        self.backbone = backbone
        self.mixed_precision = mixed_precision
        self.channels_last = channels_last
        self.frozen_batch_norm = frozen_batch_norm

    def train(self, mode=True):
        super().train(mode)
        if mode and getattr(self, "frozen_batch_norm", False):  # older pickles lack it
            for module in self.backbone.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(self, images, pre_logits=False):
        """The logits, or with ``pre_logits`` the pooled features the classifier head takes."""
        x = self.preprocess(images)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16,
                            enabled=self.mixed_precision and x.device.type == "cuda"):
            if pre_logits:
                output = self.backbone.forward_head(self.backbone.forward_features(x),
                                                    pre_logits=True)
            else:
                output = self.backbone(x)
        return output.float()
