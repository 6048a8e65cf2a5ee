"""Severstal steel defect detection (Kaggle 2019): run-length masks of 4 defect classes."""

import csv
import warnings
from pathlib import Path

import numpy as np

from ..experts.detection._boxes import mask_to_boxes
from ..utils._images import image_sizes
from ._common import check_dataset_boxes, check_root, make_bunch
from ._rle import rle_decode

SEVERSTAL_CLASSES = ("background", "class_1", "class_2", "class_3", "class_4")
SEVERSTAL_SHAPE = (256, 1600)
_LAYOUT = ("the Kaggle layout: train.csv (ImageId,ClassId,EncodedPixels, or the older "
           "ImageId_ClassId,EncodedPixels) and a train_images/ folder")

DESCR = """Severstal steel defect detection (Kaggle 2019): 1600x256 grayscale images of steel
sheet, run-length encoded masks of 4 defect classes, several per image possible. The target is
an indicator matrix with an explicit defect-free column ("background") and classes 1-4; an image
without any annotation row is defect-free. Boxes are the connected components of the decoded
masks (8-connectivity), far edges exclusive (as in torchvision); ``rle`` keeps the encodings
for lazy decoding.
The full data (12,568 images, about 1.5 GB) comes from the Kaggle competition page (terms:
non-commercial research under the competition rules)."""


def load_severstal(root, *, annotations="train.csv", images=None, min_area=1, on_missing="warn",
                   return_masks=False, check_images=True, split_file=None, subset=None):
    """Load Severstal images, the defect indicator matrix and boxes from the masks.

    Parameters
    ----------
    root : str or Path
        Folder with the annotations CSV and ``train_images/``.
    annotations : str, default="train.csv"
        The annotations CSV inside ``root`` (e.g. ``"train_partial.csv"`` for the sample).
    images : str, Path or iterable of str, default=None
        Which images to load, as ImageIds or a text file of them (one per line). By default
        every image in ``train_images/``. Give the list of images the CSV covers completely
        when it is partial: an image without rows is taken as defect-free.
    min_area : int, default=1
        Mask components with fewer pixels give no box.
    on_missing : {"warn", "raise"}, default="warn"
        What to do with CSV rows (or listed images) whose image file is absent: skip them with
        a warning that counts them, or raise.
    return_masks : bool, default=False
        Also return ``masks``: per image a boolean array (5, height, width) whose channel c
        marks the pixels of class c of ``target_names`` (channel 0, defect-free, is empty),
        the layout segmentation experts take: 2 MB an image, so for the full data load a
        subset, or decode ``rle`` as needed (:func:`rle_decode`).
    check_images : bool, default=True
        Read image headers for their size (else 256 x 1600 is assumed).
    split_file, subset : see :func:`skmoe.datasets.load_neu`.

    Returns
    -------
    Bunch
        ``images``, ``target`` (indicator, n_images x 5), ``target_names``, ``boxes``,
        ``background_class`` (``"background"``), ``rle`` (per image a dict of class index to
        encoding), ``DESCR``, ``masks`` on request, and ``split`` with ``split_file``.

    Examples
    --------
    >>> from skmoe.datasets import load_severstal
    >>> steel = load_severstal("data/severstal")  # the Kaggle layout  # doctest: +SKIP
    >>> steel.target.shape  # an indicator: background and classes 1-4  # doctest: +SKIP
    (12568, 5)
    """
    if on_missing not in ("warn", "raise"):
        raise ValueError(f"on_missing must be 'warn' or 'raise'; got {on_missing!r}.")
    root = check_root(root, _LAYOUT)
    image_dir = root / "train_images"
    csv_path = root / annotations
    if not image_dir.is_dir() or not csv_path.exists():
        found = sorted(p.name for p in root.glob("*.csv"))
        raise FileNotFoundError(
            f"{root} lacks {'train_images/' if not image_dir.is_dir() else annotations}. "
            f"Expected {_LAYOUT}. CSV files there: {found}."
        )
    encodings = _read_annotations(csv_path)
    on_disk = {p.name for p in image_dir.iterdir() if p.is_file()}
    wanted = sorted(on_disk) if images is None else _image_ids(images, root)
    missing_rows = sum(len(encodings[i]) for i in encodings if i not in on_disk)
    missing_listed = [i for i in wanted if i not in on_disk]
    if missing_rows or missing_listed:
        message = (f"{missing_rows} annotation rows and {len(missing_listed)} listed images refer "
                   f"to images that are not in {image_dir}")
        if on_missing == "raise":
            raise FileNotFoundError(message + ".")
        warnings.warn(message + "; skipped.", stacklevel=2)
    ids = [i for i in wanted if i in on_disk]
    if not ids:
        raise ValueError(f"No images to load from {image_dir}.")

    paths = [image_dir / i for i in ids]
    sizes = image_sizes(paths) if check_images else np.tile(SEVERSTAL_SHAPE, (len(ids), 1))
    target = np.zeros((len(ids), len(SEVERSTAL_CLASSES)), dtype=np.int64)
    boxes, masks, rle = [], [], []
    for row, (image_id, shape) in enumerate(zip(ids, sizes)):
        image_rle = encodings.get(image_id, {})
        target[row, list(image_rle)] = 1
        image_boxes = [np.zeros((0, 5), dtype=np.int64)]
        planes = np.zeros((len(SEVERSTAL_CLASSES), *shape), dtype=bool) if return_masks else None
        for class_index, encoding in sorted(image_rle.items()):
            try:
                mask = rle_decode(encoding, shape=tuple(shape))
            except ValueError as exc:
                raise ValueError(f"{image_id}, class {class_index}: {exc}") from exc
            image_boxes.append(mask_to_boxes(mask, class_index, min_area=min_area))
            if return_masks:
                planes[class_index] = mask
        boxes.append(np.concatenate(image_boxes))
        rle.append(image_rle)
        if return_masks:
            masks.append(planes)
    target[:, 0] = target[:, 1:].sum(axis=1) == 0
    check_dataset_boxes(paths, boxes, sizes, len(SEVERSTAL_CLASSES))
    extra = {"rle": rle, **({"masks": masks} if return_masks else {})}
    return make_bunch(root, paths, target, SEVERSTAL_CLASSES, boxes=boxes,
                      background_class="background", descr=DESCR, split_file=split_file,
                      subset=subset, **extra)


def _read_annotations(path):
    """{ImageId: {class index: rle}} from either Kaggle CSV format; empty encodings dropped."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        rows = list(reader)
    encodings = {}
    if header[:3] == ["ImageId", "ClassId", "EncodedPixels"]:
        items = ((r[0], r[1], r[2] if len(r) > 2 else "") for r in rows)
    elif header[:2] == ["ImageId_ClassId", "EncodedPixels"]:  # 4 rows per image, most empty
        items = ((*r[0].rsplit("_", 1), r[1] if len(r) > 1 else "") for r in rows)
    else:
        raise ValueError(f"{path} has header {header}. Expected {_LAYOUT}.")
    for image_id, class_id, encoding in items:
        if not class_id.strip().isdigit() or not 1 <= int(class_id) <= 4:
            raise ValueError(f"{path}: class {class_id!r} of {image_id} is not 1-4.")
        if encoding.strip():
            encodings.setdefault(image_id, {})[int(class_id)] = encoding.strip()
    return encodings


def _image_ids(images, root):
    if isinstance(images, (str, Path)):
        listing = Path(images) if Path(images).exists() else root / images
        return [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return [str(i) for i in images]
