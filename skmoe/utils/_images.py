"""Image inputs: arrays of images or sequences of file paths, checked before any model runs."""

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ImageSource:
    """Images as a model receives them: an array in memory, or paths read lazily in batches.

    Attributes
    ----------
    array : ndarray of shape (n, H, W, C) or None
        Images in memory (uint8, or float in [0, 1]), channels last.
    paths : list of str or None
        Image files, read when a batch needs them.
    n_channels : int or None
        Channels of the array images (None for paths: chosen by the model).
    """

    array: np.ndarray | None
    paths: list | None
    n_channels: int | None

    def __len__(self):
        return len(self.array) if self.array is not None else len(self.paths)


def check_image_input(X, *, name="X"):
    """Validate images given as an array (n, H, W) / (n, H, W, C) or a sequence of file paths.

    Raises a clear error for an empty input, a wrong number of dimensions, non-finite values,
    or paths that do not exist (naming the first).

    Returns
    -------
    ImageSource
    """
    if isinstance(X, (str, PathLike)):
        raise TypeError(f"{name} is a single path; pass a sequence of image paths.")
    if isinstance(X, np.ndarray) and X.dtype.kind in "uif":
        return _check_array(X, name)
    items = list(X)
    if not items:
        raise ValueError(f"{name} is empty: give at least one image.")
    if all(isinstance(item, (str, PathLike)) for item in items):
        paths = [str(item) for item in items]
        missing = [p for p in paths if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} image paths in {name} do not exist, e.g. {missing[0]!r}."
            )
        return ImageSource(None, paths, None)
    try:
        array = np.asarray(items)
    except ValueError:  # numpy's "inhomogeneous shape": images of several sizes or channels
        shapes = list(dict.fromkeys(np.shape(np.asarray(item)) for item in items))
        raise ValueError(
            f"{name} holds images of {len(shapes)} different shapes, e.g. {shapes[0]} and "
            f"{shapes[1]}: give images of one size and one channel count (resize or convert "
            "them), or their file paths (the model reads and resizes those)."
        ) from None
    return _check_array(array, name)


def _check_array(X, name):
    if len(X) == 0:
        raise ValueError(f"{name} is empty: give at least one image.")
    if X.ndim == 3:
        X = X[..., None]
    if X.ndim != 4 or X.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"{name} must be images of shape (n, H, W) or (n, H, W, C) with C in 1, 3, 4, or a "
            f"sequence of image paths; got an array of shape {X.shape}."
        )
    if X.shape[-1] == 4:  # RGBA: the alpha channel carries no defect information
        X = X[..., :3]
    if X.dtype.kind == "f":
        if not np.isfinite(X).all():
            raise ValueError(f"{name} contains NaN or infinite pixel values.")
        low, high = X.min(), X.max()
        if low < 0 or high > 1:
            raise ValueError(f"{name} holds float pixels from {low:g} to {high:g}; float images "
                             "must lie in [0, 1]. Divide 0-255 images by 255, or pass them as "
                             "uint8.")
    elif X.dtype.kind not in "uib":
        raise ValueError(f"{name} has dtype {X.dtype}; give images as uint8 (0-255) or float "
                         "(0-1) arrays, or a sequence of image paths.")
    return ImageSource(X, None, X.shape[-1])


def image_sizes(paths):
    """(height, width) of every image, read from the file headers only.

    Raises a ValueError naming the first file that is not an image.
    """
    from PIL import Image, UnidentifiedImageError

    sizes = np.empty((len(paths), 2), dtype=np.int64)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                sizes[i] = image.height, image.width
        except (UnidentifiedImageError, OSError, ImportError) as exc:
        # ImportError: once ultralytics is imported, PIL.Image.open tries to import pi_heif
        # for a file PIL cannot identify.
            raise ValueError(f"{str(path)!r} is not an image that can be read: {exc}") from exc
    return sizes


def source_sizes(source):
    """(height, width) of every image of an ImageSource."""
    if source.array is not None:
        return np.tile(source.array.shape[1:3], (len(source), 1))
    return image_sizes(source.paths)


def take_images(source, rows):
    """The ImageSource of the images at ``rows`` (integer indices)."""
    if source.array is not None:
        return ImageSource(source.array[rows], None, source.n_channels)
    return ImageSource(None, [source.paths[i] for i in rows], None)


def as_uint8(images):
    """Images as uint8 (0-255): float images in [0, 1] are scaled and rounded, uint8 kept."""
    if images.dtype.kind == "f":
        return np.round(images * 255).astype(np.uint8)
    return images.astype(np.uint8, copy=False)
