"""Image files and arrays to uint8 tensors (C, H, W) at the size a network takes.

JPEG files are decoded by TorchCodec (libjpeg-turbo, resized in C) when installed, by PIL
otherwise; other formats by PIL. A damaged or unreadable file is refused by name.
"""

import functools

import numpy as np
import torch


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
