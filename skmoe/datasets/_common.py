"""What every loader shares: the returned Bunch, image checks, canonical splits, summaries."""

import csv
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..experts.detection._boxes import check_boxes

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


def check_root(root, layout):
    """The dataset root as a Path; a missing one raises, saying which layout was expected."""
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"Dataset root {str(root)!r} is a file, not a folder. Give the "
                                 f"folder that holds the dataset: {layout}.")
    if not root.is_dir():
        raise FileNotFoundError(f"Dataset root {str(root)!r} does not exist. Expected {layout}.")
    return root


def make_bunch(root, images, target, target_names, *, boxes, background_class, descr,
               split_file=None, subset=None, **extra):
    """The structure every loader returns, restricted to a canonical split when asked.

    Attributes of the Bunch: ``images`` (absolute paths, as a numpy array of str), ``target``
    (1-D labels or an indicator matrix), ``target_names``, ``boxes`` (one (m_i, 5) array of
    (class index, x1, y1, x2, y2) per image, pixels with exclusive far edges; None where a
    layout has no annotations), ``background_class`` (the defect-free class name, or None),
    ``DESCR``, ``split`` (split name per image, when ``split_file`` is given) and any loader
    extras.
    """
    bunch = Bunch(
        images=np.array([str(p) for p in images]),
        target=np.asarray(target),
        target_names=list(target_names),
        boxes=boxes,
        background_class=background_class,
        DESCR=descr,
        **extra,
    )
    if split_file is not None:
        bunch.split = _read_split(Path(root), split_file, bunch.images)
    if subset is not None:
        if split_file is None:
            raise ValueError("subset needs split_file: the split names come from that file "
                             "(e.g. split_file='split.csv', subset='train').")
        known = sorted(set(bunch.split.tolist()))
        if subset not in known:
            raise ValueError(f"subset={subset!r} is not a split of {split_file}; use one of "
                             f"{known}.")
        bunch = take(bunch, np.flatnonzero(bunch.split == subset))
    return bunch


def take(bunch, rows):
    """The Bunch restricted to the given rows (every per-image field)."""
    n_images = len(bunch.images)
    taken = Bunch(**bunch)
    for key, value in bunch.items():
        if isinstance(value, np.ndarray) and value.ndim and len(value) == n_images:
            taken[key] = value[rows]
        elif isinstance(value, list) and len(value) == n_images and key != "target_names":
            taken[key] = [value[i] for i in rows]
    return taken


def _read_split(root, split_file, images):
    """Split name of every loaded image, from a CSV with ``image`` and ``split`` columns."""
    split_path = Path(split_file)
    if not split_path.is_absolute() and not split_path.exists():
        split_path = root / split_path
    if not split_path.is_file():
        raise FileNotFoundError(
            f"split_file={str(split_file)!r}: no such file ({split_path}). Give the path of a "
            "CSV with 'image' and 'split' columns, absolute or relative to root (e.g. "
            "split_file='split.csv'), or split_file=None for no split."
        )
    try:
        with open(split_path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"split_file {split_path} is not a readable CSV ({exc}); give a CSV "
                         "with 'image' and 'split' columns.") from exc
    if not rows or not {"image", "split"} <= set(rows[0]):
        raise ValueError(f"{split_path} must be a CSV with 'image' and 'split' columns.")
    if any(row["image"] is None or row["split"] is None for row in rows):
        raise ValueError(f"{split_path} has rows without an 'image' or a 'split' value; every "
                         "row must name an image and its split.")
    split_of = {str((root / row["image"]).resolve()): row["split"] for row in rows}
    loaded = {str(Path(image).resolve()) for image in images}
    unknown = [image for image in split_of if image not in loaded]
    if unknown:
        raise ValueError(
            f"{split_path} names {len(unknown)} images that were not loaded (missing files or "
            f"another dataset?), e.g. {unknown[0]!r}."
        )
    splits = np.array([split_of.get(str(Path(image).resolve()), "") for image in images])
    if (splits == "").any():
        warnings.warn(f"{np.count_nonzero(splits == '')} loaded images are not in {split_path}; "
                      "their split is ''.", stacklevel=3)
    return splits


def summarize(bunch):
    """Class counts per split and the long-tail ratio, as a Markdown table.

    Parameters
    ----------
    bunch : Bunch
        A loader's result.

    Returns
    -------
    str

    Examples
    --------
    >>> from skmoe.datasets import load_neu, summarize
    >>> print(summarize(load_neu("data/neu-det", split_file="split.csv")))  # doctest: +SKIP
    | class | all | train | val | test |
    |---|---:|---:|---:|---:|
    | crazing | 300 | 240 | 30 | 30 |
    ...
    """
    target = np.asarray(bunch.target)
    names = list(bunch.target_names)
    indicator = target if target.ndim == 2 else (target[:, None] == np.array(names)[None])
    splits = getattr(bunch, "split", None)
    order = {"train": 0, "val": 1, "test": 2}
    parts = ["all"] if splits is None else \
        ["all", *sorted(set(splits), key=lambda part: (order.get(part, 3), part))]
    lines = ["| class | " + " | ".join(parts) + " |", "|---|" + "---:|" * len(parts)]
    for j, name in enumerate(names):
        counts = [indicator[:, j].sum() if part == "all" else indicator[splits == part, j].sum()
                  for part in parts]
        marker = " (defect-free)" if name == bunch.background_class else ""
        lines.append(f"| {name}{marker} | " + " | ".join(str(int(c)) for c in counts) + " |")
    totals = [len(target) if part == "all" else int((splits == part).sum()) for part in parts]
    lines.append("| images | " + " | ".join(map(str, totals)) + " |")
    counts = indicator.sum(axis=0)
    defect_counts = [c for name, c in zip(names, counts) if name != bunch.background_class]
    if defect_counts and min(defect_counts) > 0:
        lines.append("")
        lines.append(f"Long-tail ratio (largest / smallest defect class): "
                     f"{max(defect_counts) / min(defect_counts):.1f}")
    if getattr(bunch, "boxes", None) is not None:
        lines.append(f"Boxes: {sum(len(b) for b in bunch.boxes)}")
    return "\n".join(lines)



def check_dataset_boxes(paths, boxes, sizes, n_classes):
    """The detectors' own box checks on a loader's boxes; an error names the image file."""
    check_boxes(boxes, sizes, n_classes, checked_by="The loader",
                image_names=[Path(path).name for path in paths])
