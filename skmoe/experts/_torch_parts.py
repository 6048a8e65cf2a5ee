"""Torch pieces of the image experts: datasets, the preprocessing module, checkpoints.

Imported only by the expert classes when they fit or predict, so ``import skmoe`` stays free of
torch.
"""

import functools
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


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


def load_image(source, index, shape, n_channels):
    """Image ``index`` of an ImageSource as a tensor (C, H, W): an array's image as stored
    (uint8, or float in [0, 1]), a file read as uint8 and resized to ``shape`` (height,
    width) unless None."""
    if source.array is not None:
        return torch.from_numpy(np.ascontiguousarray(source.array[index])).permute(2, 0, 1)
    return read_image(source.paths[index], shape, n_channels)


def read_image(path, shape, n_channels):
    """One image file as a uint8 tensor (C, H, W), resized to ``shape`` (height, width)
    unless None.

    JPEG files are decoded by TorchCodec (libjpeg-turbo) when it is installed (the ``torch``
    extra installs it) and resized by torchvision (antialiased bilinear, on uint8); other
    formats, or every file without TorchCodec, by PIL. On this project's datasets
    (``benchmarks/bench_decoding.py``; two runs in ``benchmarks/results/decoding-cpu/``)
    that read 1.7-3.3x as many files per second as PIL at their own size, 1.6-2.0x resized
    to RGB, 1.1-1.5x resized to grayscale, except Magnetic-tile's shrunk to grayscale
    (0.92-0.97x); the same pixels at a file's own size, at most 2 levels apart once
    resized. A colour JPEG read as grayscale is its luma channel as stored, where PIL
    recomputes luma from the decoded RGB (a few levels apart); grayscale JPEGs, such as
    NEU-DET's, read the same either way.
    Grayscale files of 16 bits keep their top 8 bits, float ones in [0, 1] are scaled by 255
    (``_eight_bit``).
    """
    decode_jpeg = _jpeg_decoder()
    if decode_jpeg is not None and _is_jpeg(path):
        try:
            return _read_jpeg(decode_jpeg, path, shape, n_channels)
        except RuntimeError:
            pass  # a damaged file, or a JPEG variant TorchCodec does not read: PIL decides
    return _read_with_pil(path, shape, n_channels)


@functools.cache
def _jpeg_decoder():
    """TorchCodec's ``decode_jpeg``, or None where TorchCodec is missing or does not load
    (its compiled library must match the installed torch)."""
    try:
        from torchcodec.decoders import decode_jpeg
    except (ImportError, OSError, RuntimeError):
        return None
    return decode_jpeg


def _is_jpeg(path):
    try:
        with open(path, "rb") as file:
            return file.read(3) == b"\xff\xd8\xff"
    except OSError as exc:
        raise ValueError(f"{path!r} is not an image that can be read: {exc}") from exc


def _read_jpeg(decode_jpeg, path, shape, n_channels):
    from torchvision.transforms.v2.functional import resize

    image = decode_jpeg(str(path), mode="GRAY" if n_channels == 1 else "RGB")
    if shape is not None and tuple(image.shape[-2:]) != tuple(shape):
        image = resize(image, list(shape), antialias=True)
    return image


def _read_with_pil(path, shape, n_channels):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = _eight_bit(image, path).convert("L" if n_channels == 1 else "RGB")
            if shape is not None:
                height, width = shape
                image = image.resize((width, height), Image.BILINEAR)
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, ImportError) as exc:
        # ImportError: once ultralytics is imported, PIL.Image.open tries to import pi_heif
        # for a file PIL cannot identify.
        raise ValueError(f"{path!r} is not an image that can be read: {exc}") from exc
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


def _eight_bit(image, path):
    """A grayscale PIL image of more than 8 bits per pixel as 8-bit ("L"); others unchanged.

    PIL's own conversion clips such pixels to 255 (a 16-bit image turns white, a float one
    black). 16-bit pixels (line cameras often write them) keep their top 8 bits, as
    torchvision converts them; floats must lie in [0, 1] and are scaled by 255, as float
    arrays are.
    """
    from PIL import Image

    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    array = np.asarray(image)
    low, high = (array.min(), array.max()) if np.isfinite(array).all() else (np.nan, np.nan)
    if image.mode == "F" and 0 <= low and high <= 1:
        return Image.fromarray(np.round(array * 255).astype(np.uint8))
    if image.mode != "F" and 0 <= low and high <= 65535:
        return Image.fromarray((array.astype(np.uint32) >> 8).astype(np.uint8))
    raise ValueError(f"{str(path)!r} holds {'float' if image.mode == 'F' else 'integer'} pixels "
                     f"from {low:g} to {high:g}; skmoe reads 8- and 16-bit images and float "
                     "images in [0, 1]. Convert the file, or pass the images as an array.")


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


def record_epoch(history, epoch, *, loss, lr, seconds):
    """One epoch's row of a training ``history`` (a skorch History), in the columns every
    expert's history shares: epoch (from 1), train_loss, lr, dur."""
    history.new_epoch()
    history.record("epoch", epoch)
    history.record("train_loss", loss)
    history.record("lr", lr)
    history.record("dur", seconds)


def read_state_dict(path):
    """A state dict from a local file (``weights_only``), unwrapped from common containers."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"checkpoint_path={str(path)!r} is not a file. Give the path of a "
                                "local torch state dict (skmoe never downloads weights).")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise ValueError(f"Checkpoint {str(path)!r} could not be read (corrupted, or not a "
                         f"torch state dict): {exc}") from exc
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not state:
        raise ValueError(f"Checkpoint {str(path)!r} holds no state dict.")
    return state


def load_state_dict(model, path):
    """Load a whole model's checkpoint by name; layers whose shapes differ keep their init.

    That is how detection weights trained on other classes (e.g. COCO) start a detector of the
    defect classes: everything but the class-specific predictor is loaded. A checkpoint that
    matches nothing is an error.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not fitting:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit {type(model).__name__}: no "
                         "parameter name and shape in common. Check the architecture.")
    model.load_state_dict(fitting, strict=False)


def load_checkpoint(backbone, path, n_channels):
    """Load a state dict into a timm backbone, leaving its (new) classifier head as built.

    Keys are matched by name; a checkpoint saved under another naming scheme for the same
    architecture (e.g. the ``efficientnet_pytorch`` package's) is matched by order, which is
    accepted only when every tensor shape agrees. A 3-channel stem is adapted to grayscale.
    """
    from timm.models import adapt_input_conv

    state = read_state_dict(path)

    head = {f"{name}.{p}" for name in head_names(backbone) for p in ("weight", "bias")}
    own = {k: v for k, v in backbone.state_dict().items()
           if k not in head and not k.endswith("num_batches_tracked")}
    theirs = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    if not set(own) <= set(theirs):
        theirs = _match_by_order(own, theirs, path)
    stem = next(iter(own))
    loaded = {k: theirs[k] for k in own}
    if loaded[stem].ndim == 4 and loaded[stem].shape[1] != n_channels:
        loaded[stem] = adapt_input_conv(n_channels, loaded[stem])
    mismatched = [k for k in own if loaded[k].shape != own[k].shape]
    if mismatched:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit this backbone: {mismatched[0]} "
                         f"has shape {tuple(loaded[mismatched[0]].shape)}, the model "
                         f"{tuple(own[mismatched[0]].shape)}.")
    backbone.load_state_dict(loaded, strict=False)


def head_names(backbone):
    name = backbone.default_cfg.get("classifier", "fc") if hasattr(backbone, "default_cfg") \
        else "fc"
    return [name] if isinstance(name, str) else list(name)


def _match_by_order(own, theirs, path):
    """Pair tensors of two namings of one architecture in order, if every shape agrees."""
    ours = list(own.items())
    candidates = list(theirs.items())[: len(ours)]

    def same_shape(i, a, b):  # the stem may differ in input channels (adapted afterwards)
        drop = (1,) if i == 0 and a.ndim == 4 else ()
        return [n for d, n in enumerate(a.shape) if d not in drop] == \
            [n for d, n in enumerate(b.shape) if d not in drop]

    if len(candidates) < len(ours) or not all(
        same_shape(i, a, b) for i, ((_, a), (_, b)) in enumerate(zip(ours, candidates))
    ):
        raise ValueError(
            f"Checkpoint {str(path)!r} does not fit this backbone: its parameter names differ "
            "and its tensors do not line up with the model's in order. Check the backbone name."
        )
    return {name: tensor for (name, _), (_, tensor) in zip(ours, candidates)}
