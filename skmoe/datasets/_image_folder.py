"""Any "one folder per class" image collection."""

import warnings
from collections import Counter

from ..utils._images import image_sizes
from ._common import IMAGE_SUFFIXES, check_root, make_bunch

_LAYOUT = "one sub-folder per class, holding that class's images (.jpg, .png, .bmp, .tif)"


def load_image_folder(root, *, background_class=None, split_file=None, subset=None,
                      check_images=True):
    """Load images from one sub-folder per class (users' own data).

    Parameters
    ----------
    root : str or Path
        Folder whose sub-folders are the classes.
    background_class : str, default=None
        Name of the folder of defect-free images, if there is one.
    split_file, subset : see :func:`skmoe.datasets.load_neu`.
    check_images : bool, default=True
        Read every image header, failing early on a file that is not an image.

    Returns
    -------
    Bunch
        ``images``, ``target`` (folder names), ``target_names`` (sorted, as a classifier's
        ``classes_``), ``boxes`` (None: folders carry no boxes), ``background_class``,
        ``DESCR``, and ``split`` with ``split_file``.

    See Also
    --------
    summarize : the class counts of what a loader returns.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skmoe.datasets import load_image_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> for name, count in [("ok", 3), ("scratch", 2)]:
    ...     (root / name).mkdir()
    ...     for i in range(count):
    ...         Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / name / f"{i}.png")
    >>> bunch = load_image_folder(root, background_class="ok")
    >>> bunch.target.tolist(), bunch.target_names, bunch.background_class
    (['ok', 'ok', 'ok', 'scratch', 'scratch'], ['ok', 'scratch'], 'ok')
    """
    root = check_root(root, _LAYOUT)
    folders = sorted(d.name for d in root.iterdir() if d.is_dir())
    if not folders:
        raise ValueError(f"{root} has no sub-folders. Expected {_LAYOUT}.")
    if background_class is not None and background_class not in folders:
        raise ValueError(f"background_class={background_class!r} is not a folder of {root}: "
                         f"{folders}.")
    images, labels, skipped = [], [], Counter()
    for name in folders:
        for path in sorted((root / name).iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                images.append(path)
                labels.append(name)
            elif path.is_file() and not path.name.startswith("."):
                skipped[path.suffix.lower() or path.name] += 1
    if skipped:
        warnings.warn(f"Left out {sum(skipped.values())} files of {root} that are not images "
                      f"of a supported format ({', '.join(IMAGE_SUFFIXES)}): "
                      + ", ".join(f"{n} {kind}" for kind, n in skipped.most_common())
                      + ". Convert them (e.g. to .png) to use them.", UserWarning, stacklevel=2)
    if not images:
        raise ValueError(f"No images in the sub-folders of {root}. Expected {_LAYOUT}.")
    found = sorted(set(labels))
    if len(found) < 2:
        raise ValueError(f"{root} holds images of one class only ({found[0]!r}); a classifier "
                         f"needs two or more. Expected {_LAYOUT}.")
    if check_images:
        image_sizes(images)
    target_names = sorted(set(labels))
    descr = f"Images from {root}, one folder per class: {', '.join(target_names)}."
    return make_bunch(root, images, labels, target_names, boxes=None,
                      background_class=background_class, descr=descr, split_file=split_file,
                      subset=subset)
