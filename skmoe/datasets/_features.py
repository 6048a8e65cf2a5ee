"""Image statistics as features: a cheap baseline expert input for scikit-learn classifiers."""

import numpy as np


def image_statistics(images):
    """Intensity and gradient statistics of every grayscale image, one row per image.

    A stand-in for a CNN's features where speed matters more than accuracy (examples, quick
    baselines): mean, standard deviation, the 0/1/5/95/99/100th intensity percentiles, the
    mean absolute vertical and horizontal gradients, and the spread of the row means.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
        uint8 (0-255) or float images.

    Returns
    -------
    features : ndarray of shape (n_images, 11), float32 on a 0-1 intensity scale for uint8

    Examples
    --------
    >>> from skmoe.datasets import image_statistics, make_steel_defects
    >>> X, y = make_steel_defects(20, image_size=32, random_state=0)
    >>> image_statistics(X).shape
    (20, 11)
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"images must be an array of shape (n_images, height, width); got "
                         f"shape {x.shape}.")
    x = x / 255 if np.asarray(images).dtype == np.uint8 else x
    flat = x.reshape(len(x), -1)
    return np.column_stack([
        flat.mean(axis=1), flat.std(axis=1),
        *np.percentile(flat, [0, 1, 5, 95, 99, 100], axis=1),
        np.abs(np.diff(x, axis=1)).mean(axis=(1, 2)), np.abs(np.diff(x, axis=2)).mean(axis=(1, 2)),
        x.mean(axis=2).std(axis=1),
    ]).astype(np.float32)
