"""Run-length encoding of masks in the Kaggle (Severstal) convention.

An encoding is a string of "start length" pairs; starts are 1-indexed positions in the mask
flattened column by column (top to bottom, then left to right). Decoding and encoding are
vectorised: no Python loop over runs or pixels.
"""

import numpy as np


def rle_decode(rle, shape=(256, 1600)):
    """Decode a run-length string into a boolean mask.

    Parameters
    ----------
    rle : str
        Space-separated "start length" pairs, 1-indexed, column-major. An empty string (or NaN
        from a CSV reader) is an empty mask.
    shape : (int, int), default=(256, 1600)
        Mask height and width (Severstal images are 256 x 1600).

    Returns
    -------
    mask : ndarray of shape ``shape``, dtype bool

    Examples
    --------
    >>> from skmoe.datasets import rle_decode
    >>> rle_decode("1 2 6 1", shape=(3, 3)).astype(int)
    array([[1, 0, 0],
           [1, 0, 0],
           [0, 1, 0]])
    """
    height, width = shape
    n_pixels = height * width
    values = _parse(rle)
    if values.size % 2:
        raise ValueError(
            f"Malformed RLE: {values.size} numbers, but runs come as 'start length' pairs "
            f"(an even count). Start of the string: {str(rle)[:60]!r}"
        )
    starts, lengths = values[0::2] - 1, values[1::2]
    if starts.size and (starts.min() < 0 or lengths.min() < 1):
        raise ValueError("Malformed RLE: starts must be >= 1 and lengths >= 1.")
    ends = starts + lengths
    if ends.size and ends.max() > n_pixels:
        raise ValueError(
            f"Malformed RLE: a run ends at pixel {ends.max()}, past the {n_pixels} pixels of a "
            f"{height}x{width} image. Check the image shape."
        )
    # Encoders (Kaggle's, rle_encode) write runs in pixel order, apart: anything else is a
    # string cut or joined wrongly, whose pixels would be a guess.
    if starts.size > 1 and (starts[1:] < ends[:-1]).any():
        k = int(np.flatnonzero(starts[1:] < ends[:-1])[0]) + 1
        raise ValueError(
            f"Malformed RLE: run {k + 1} starts at pixel {starts[k] + 1}, before run {k} ends "
            f"(pixel {ends[k - 1]}); runs must be in pixel order and must not overlap. Start "
            f"of the string: {str(rle)[:60]!r}")
    # +1 where a run starts, -1 where it ends; a running sum is then > 0 inside runs.
    edges = np.zeros(n_pixels + 1, dtype=np.int32)
    np.add.at(edges, starts, 1)
    np.add.at(edges, ends, -1)
    return (np.cumsum(edges[:-1]) > 0).reshape(width, height).T


def rle_encode(mask):
    """Encode a boolean mask as a run-length string (1-indexed, column-major).

    Parameters
    ----------
    mask : array-like of shape (height, width)
        Non-zero pixels are inside the mask.

    Returns
    -------
    rle : str
        "start length" pairs; an empty string for an empty mask.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.datasets import rle_encode
    >>> rle_encode(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]]))
    '1 2 6 1'
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be one 2-D (height, width) array; got shape {mask.shape}. "
                         "Encode each class's mask separately.")
    pixels = mask.T.ravel() != 0
    padded = np.concatenate([[False], pixels, [False]])
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = changes[0::2], changes[1::2]
    runs = np.column_stack([starts + 1, ends - starts]).ravel()
    return " ".join(map(str, runs.tolist()))


def _parse(rle):
    if rle is None or (isinstance(rle, float) and np.isnan(rle)):
        return np.zeros(0, dtype=np.int64)
    text = str(rle).strip()
    if not text:
        return np.zeros(0, dtype=np.int64)
    try:
        return np.array(text.split(), dtype=np.int64)
    except ValueError as exc:
        raise ValueError(f"Malformed RLE: non-integer values in {text[:60]!r}.") from exc
    except OverflowError as exc:
        raise ValueError(f"Malformed RLE: a number too large for a pixel index in "
                         f"{text[:60]!r}.") from exc
