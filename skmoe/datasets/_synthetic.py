"""Synthetic steel-surface images with long-tailed defect classes and boxes.

The images imitate hot-rolled steel strip: a grey surface with horizontal rolling streaks and
sensor noise, on which defects of four distinct shapes are drawn. The default class profile is
Severstal's: about half the images are defect-free and the rarest defect class is about 2%.
Everything is vectorised over images except the drawing of each defect, which touches only the
defect's own box, so thousands of small images take well under a second.
"""

from numbers import Integral

import numpy as np
from scipy.ndimage import uniform_filter1d
from sklearn.utils import check_random_state

#: Class names of :func:`make_steel_defects`, sorted as a classifier orders them (``classes_``):
#: the order of the indicator columns and of the class indices in boxes. The first is the
#: defect-free class.
STEEL_CLASSES = ("background", "crazing", "patches", "pits", "scratches")

#: Severstal-like long tail, per class of STEEL_CLASSES: half the images defect-free, then
#: patches 26%, scratches 14%, crazing 8% and pits, the rarest, 2%.
DEFAULT_CLASS_WEIGHTS = (0.50, 0.08, 0.26, 0.02, 0.14)

# Chance that a defective image gets one more defect, when several per image are allowed.
_EXTRA_DEFECT_RATE = 0.35


def make_steel_defects(
    n_samples=1000,
    *,
    image_size=64,
    class_weights=None,
    max_defects_per_image=1,
    defect_size=None,
    noise=0.04,
    return_boxes=False,
    return_masks=False,
    random_state=None,
):
    """Generate grayscale steel-like images with defects, labels and boxes.

    Classes (:data:`STEEL_CLASSES`): ``"background"`` (defect-free), ``"crazing"`` (clusters of
    thin vertical cracks), ``"patches"`` (irregular dark blobs), ``"pits"`` (small scattered dark
    dots) and ``"scratches"`` (long thin bright lines at an angle).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    image_size : int or (int, int), default=64
        Image height and width in pixels (one int for square images).
    class_weights : sequence of 5 floats, default=None
        Relative frequency of each class in :data:`STEEL_CLASSES` order, as the main label of an
        image. Default :data:`DEFAULT_CLASS_WEIGHTS`: 50% defect-free, rarest defect 2%.
    max_defects_per_image : int, default=1
        With 1, every image has one label and ``y`` is 1-D. With more, a defective image gets
        up to this many defects of distinct classes and ``y`` is an indicator matrix whose
        columns follow :data:`STEEL_CLASSES` (column 0 = defect-free).
    defect_size : (int, int), default=None
        Range of the side of a defect's box in pixels. Default: 15% to 50% of the shorter image
        side. Scratches are drawn longer, across most of the image.
    noise : float, default=0.04
        Standard deviation of the pixel noise, on a 0-1 intensity scale.
    return_boxes : bool, default=False
        Also return one (m_i, 5) array per image of (class index, x1, y1, x2, y2) boxes in
        pixels, far edges exclusive (as in torchvision); the class index is a column of the
        classifier's ``classes_`` (the position in :data:`STEEL_CLASSES`). Defect-free images
        have no boxes.
    return_masks : bool, default=False
        Also return the defects' pixels: a boolean array (n_samples, 5, height, width) whose
        channel c marks the pixels of class c (in :data:`STEEL_CLASSES` order; the
        defect-free channel is empty), the layout segmentation experts take.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible data.

    Returns
    -------
    X : ndarray of shape (n_samples, height, width), dtype uint8
        Images.
    y : ndarray of shape (n_samples,) of str, or (n_samples, 5) of int
        Labels (``max_defects_per_image=1``) or indicator matrix.
    boxes : list of ndarray of shape (m_i, 5), only when ``return_boxes=True``
    masks : ndarray of shape (n_samples, 5, height, width), only when ``return_masks=True``

    Examples
    --------
    >>> from skmoe.datasets import make_steel_defects
    >>> X, y, boxes = make_steel_defects(200, image_size=32, return_boxes=True, random_state=0)
    >>> X.shape, X.dtype
    ((200, 32, 32), dtype('uint8'))
    >>> sorted(set(y.tolist()))
    ['background', 'crazing', 'patches', 'pits', 'scratches']
    """
    height, width = _check_image_size(image_size)
    weights = _check_class_weights(class_weights)
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if not isinstance(max_defects_per_image, Integral) or not (
        1 <= max_defects_per_image <= len(STEEL_CLASSES) - 1
    ):
        raise ValueError(
            f"max_defects_per_image must be an integer from 1 to {len(STEEL_CLASSES) - 1}; "
            f"got {max_defects_per_image!r}."
        )
    size_range = _check_defect_size(defect_size, height, width)
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}.")
    rng = check_random_state(random_state)

    images = _steel_texture(n_samples, height, width, noise, rng)
    indicator = _draw_labels(n_samples, weights, max_defects_per_image, rng)
    boxes = []
    masks = np.zeros((n_samples, len(STEEL_CLASSES), height, width), dtype=bool) \
        if return_masks else None
    for i, (image, labels) in enumerate(zip(images, indicator)):
        image_boxes = [
            (class_index, *_DRAW[class_index](image, size_range, rng,
                                              None if masks is None else masks[i, class_index]))
            for class_index in np.flatnonzero(labels[1:]) + 1
        ]
        boxes.append(np.array(image_boxes, dtype=np.int64).reshape(-1, 5))
    X = np.clip(images * 255.0, 0, 255).astype(np.uint8)

    if max_defects_per_image == 1:
        y = np.asarray(STEEL_CLASSES)[indicator.argmax(axis=1)]
    else:
        y = indicator.astype(np.int64)
    return (X, y) + ((boxes,) if return_boxes else ()) + ((masks,) if return_masks else ())


def _check_image_size(image_size):
    size = (image_size, image_size) if isinstance(image_size, Integral) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, Integral) and s >= 16 for s in size):
        raise ValueError(
            "image_size must be an int or a (height, width) pair of ints >= 16; "
            f"got {image_size!r}."
        )
    return size


def _check_class_weights(class_weights):
    weights = np.asarray(
        DEFAULT_CLASS_WEIGHTS if class_weights is None else class_weights, dtype=float
    )
    if weights.shape != (len(STEEL_CLASSES),) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            f"class_weights must be {len(STEEL_CLASSES)} non-negative numbers, one per class of "
            f"{STEEL_CLASSES}, with a positive sum; got {class_weights!r}."
        )
    return weights / weights.sum()


def _check_defect_size(defect_size, height, width):
    shorter = min(height, width)
    if defect_size is None:
        return max(4, int(0.15 * shorter)), max(5, int(0.5 * shorter))
    low, high = defect_size
    if not 3 <= low <= high:
        raise ValueError(
            f"defect_size must be (low, high) with 3 <= low <= high; got {defect_size}."
        )
    if high > shorter:
        raise ValueError(
            f"defect_size upper bound {high} exceeds the shorter image side {shorter}: boxes would "
            "fall outside the image. Lower defect_size or raise image_size."
        )
    return int(low), int(high)


def _steel_texture(n_samples, height, width, noise, rng):
    """Grey steel with horizontal rolling streaks and pixel noise, intensities in 0-1."""
    brightness = rng.uniform(0.42, 0.58, size=(n_samples, 1, 1)).astype(np.float32)
    streaks = rng.normal(0.0, 1.0, size=(n_samples, height, 1)).astype(np.float32)
    streaks = 0.05 * uniform_filter1d(streaks, size=3, axis=1)
    pixels = rng.normal(0.0, noise, size=(n_samples, height, width)).astype(np.float32)
    return brightness + streaks + pixels


def _draw_labels(n_samples, weights, max_defects, rng):
    """Indicator matrix: a main class per image, plus extra defects when allowed."""
    n_classes = len(weights)
    main = rng.choice(n_classes, size=n_samples, p=weights)
    indicator = np.zeros((n_samples, n_classes), dtype=np.int8)
    indicator[np.arange(n_samples), main] = 1
    if max_defects > 1:
        defect_weights = weights[1:] / weights[1:].sum()
        for i in np.flatnonzero(main > 0):
            n_extra = rng.binomial(max_defects - 1, _EXTRA_DEFECT_RATE)
            if n_extra:
                free = indicator[i, 1:] == 0
                p = defect_weights * free
                extra = rng.choice(n_classes - 1, size=min(n_extra, free.sum()), replace=False,
                                   p=p / p.sum())
                indicator[i, extra + 1] = 1
    return indicator


def _place(image, box_h, box_w, rng):
    """Top-left corner of a box of the given size, uniformly inside the image."""
    height, width = image.shape
    return rng.randint(0, height - box_h + 1), rng.randint(0, width - box_w + 1)


def _paint(image, mask, top, left, delta, painted):
    """Add ``delta`` to the masked pixels (marking them in ``painted`` unless None); return the
    mask's tight box, far edges exclusive."""
    rows, cols = np.nonzero(mask)
    image[top + rows, left + cols] += delta
    if painted is not None:
        painted[top + rows, left + cols] = True
    return left + cols.min(), top + rows.min(), left + cols.max() + 1, top + rows.max() + 1


def _draw_patch(image, size_range, rng, painted):
    """Irregular dark blob: the union of a few overlapping ellipses."""
    side = rng.randint(size_range[0], size_range[1] + 1)
    top, left = _place(image, side, side, rng)
    yy, xx = np.mgrid[0:side, 0:side] / max(side - 1, 1)
    n_blobs = rng.randint(2, 5)
    centers = rng.uniform(0.3, 0.7, size=(n_blobs, 2, 1, 1))
    radii = rng.uniform(0.15, 0.35, size=(n_blobs, 2, 1, 1))
    inside = ((yy - centers[:, 0]) / radii[:, 0]) ** 2 + ((xx - centers[:, 1]) / radii[:, 1]) ** 2
    mask = (inside <= 1).any(axis=0)
    mask[side // 2, side // 2] = True  # never empty
    return _paint(image, mask, top, left, -rng.uniform(0.15, 0.25), painted)


def _draw_scratch(image, size_range, rng, painted):
    """Long thin bright line at an angle, across most of the image."""
    height, width = image.shape
    length = rng.uniform(max(size_range[1], 0.5 * min(height, width)), min(height, width) - 1)
    angle = rng.uniform(-0.6, 0.6) + (np.pi / 2 if rng.random_sample() < 0.5 else 0.0)
    dy, dx = length * np.sin(angle), length * np.cos(angle)
    y0 = rng.uniform(max(0, -dy), min(height - 1, height - 1 - dy))
    x0 = rng.uniform(max(0, -dx), min(width - 1, width - 1 - dx))
    t = np.linspace(0.0, 1.0, int(length) * 2)
    rows = np.clip(np.rint(y0 + t * dy), 0, height - 1).astype(np.intp)
    cols = np.clip(np.rint(x0 + t * dx), 0, width - 1).astype(np.intp)
    mask = np.zeros((height, width), dtype=bool)
    mask[rows, cols] = True
    return _paint(image, mask, 0, 0, rng.uniform(0.25, 0.35), painted)


def _draw_crazing(image, size_range, rng, painted):
    """A cluster of thin, slightly wandering vertical cracks."""
    box_h = rng.randint(size_range[0], size_range[1] + 1)
    box_w = rng.randint(size_range[0], size_range[1] + 1)
    top, left = _place(image, box_h, box_w, rng)
    mask = np.zeros((box_h, box_w), dtype=bool)
    n_lines = rng.randint(3, 7)
    starts = rng.randint(0, box_w, size=n_lines)
    steps = rng.randint(-1, 2, size=(n_lines, box_h)) * (rng.random_sample((n_lines, box_h)) < 0.3)
    cols = np.clip(starts[:, None] + np.cumsum(steps, axis=1), 0, box_w - 1)
    rows = np.broadcast_to(np.arange(box_h), cols.shape)
    mask[rows, cols] = True
    return _paint(image, mask, top, left, -rng.uniform(0.2, 0.3), painted)


def _draw_pits(image, size_range, rng, painted):
    """Small dark dots scattered in a small area."""
    side = rng.randint(size_range[0], size_range[1] + 1)
    top, left = _place(image, side, side, rng)
    yy, xx = np.mgrid[0:side, 0:side]
    n_pits = rng.randint(4, 11)
    centers = rng.uniform(0, side - 1, size=(n_pits, 2, 1, 1))
    radius = max(1.0, side / 12)
    distance2 = (yy - centers[:, 0]) ** 2 + (xx - centers[:, 1]) ** 2
    mask = (distance2 <= radius**2).any(axis=0)
    mask[side // 2, side // 2] |= not mask.any()
    return _paint(image, mask, top, left, -rng.uniform(0.3, 0.4), painted)


# Drawing function of each class index in STEEL_CLASSES (0, background, draws nothing).
_DRAW = {1: _draw_crazing, 2: _draw_patch, 3: _draw_pits, 4: _draw_scratch}
