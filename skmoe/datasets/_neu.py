"""NEU surface defect database (Song & Yan, 2013): the detection (DET) and classification (CLS)
layouts."""

import re
import xml.etree.ElementTree as ET

import numpy as np

from ..utils._images import image_sizes
from ._common import IMAGE_SUFFIXES, check_dataset_boxes, check_root, make_bunch

NEU_CLASSES = ("crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale",
               "scratches")
# NEU-CLS names files by a class abbreviation: Cr_1.bmp, In_12.bmp, PS_3.bmp, ...
_CLS_PREFIXES = {"cr": "crazing", "in": "inclusion", "pa": "patches", "ps": "pitted_surface",
                 "rs": "rolled-in_scale", "sc": "scratches"}

_LAYOUTS = (
    "NEU-DET (images/<class>_<n>.jpg with annotations/<class>_<n>.xml), or NEU-CLS (one folder "
    "per class, or files named by class prefix: Cr_1.bmp, In_1.bmp, Pa_, PS_, RS_, Sc_)"
)

DESCR = """NEU surface defect database (hot-rolled steel strip), 6 classes x 300 images.

Classes: crazing, inclusion, patches, pitted_surface, rolled-in_scale, scratches; there is no
defect-free class. The image-level label is the class in the file name. NEU-DET adds Pascal VOC
boxes (4,189 in all); quirks of the original kept as they are: 188 boxes carry a class other than
the file name's (images with several defect types; the boxes keep their own class), and 174 XML
files give <filename> without ".jpg" (annotations are matched to images by file stem).
Boxes are converted from VOC's 1-based inclusive pixel corners to torchvision's convention
(0-based, far edges exclusive): x1 = xmin - 1, x2 = xmax.
Cite: K. Song and Y. Yan, Applied Surface Science 285 (2013) 858-864."""


def load_neu(root, *, split_file=None, subset=None, check_images=True):
    """Load NEU-DET (images, labels, boxes) or NEU-CLS (images, labels).

    Parameters
    ----------
    root : str or Path
        Dataset folder, in the NEU-DET or NEU-CLS layout (detected).
    split_file : str or Path, default=None
        CSV with ``image`` and ``split`` columns (paths relative to ``root``), e.g. the
        canonical ``split.csv``; adds ``split`` to the result.
    subset : str, default=None
        Keep only this split (e.g. ``"train"``); needs ``split_file``.
    check_images : bool, default=True
        Read every image header (fails early on a file that is not an image; checks boxes
        against the image size).

    Returns
    -------
    Bunch
        ``images``, ``target`` (class names), ``target_names``, ``boxes`` (NEU-DET; None for
        NEU-CLS), ``background_class`` (None), ``DESCR``, and ``split`` with ``split_file``.

    See Also
    --------
    load_magnetic_tile, load_severstal, load_image_folder : the other layouts, one Bunch.

    Examples
    --------
    >>> from skmoe.datasets import load_neu
    >>> neu = load_neu("data/neu-det", split_file="split.csv")  # doctest: +SKIP
    >>> len(neu.images), neu.target_names[:2], neu.boxes[0]  # doctest: +SKIP
    (1800, ['crazing', 'inclusion'], array([[  0,   1,   1, 193, 194]]))
    """
    root = check_root(root, _LAYOUTS)
    if (root / "annotations").is_dir() and (root / "images").is_dir():
        images, labels, boxes = _neu_det(root, check_images)
    else:
        images, labels = _neu_cls(root)
        boxes = None
        if check_images:
            image_sizes(images)
    return make_bunch(root, images, labels, NEU_CLASSES, boxes=boxes, background_class=None,
                      descr=DESCR, split_file=split_file, subset=subset)


def _neu_det(root, check_images):
    images = sorted(p for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ValueError(f"No images in {root / 'images'}. Expected {_LAYOUTS}.")
    labels = [_class_from_name(p.stem, root) for p in images]
    boxes = [_read_voc(root / "annotations" / f"{p.stem}.xml") for p in images]
    if check_images:
        check_dataset_boxes(images, boxes, image_sizes(images), len(NEU_CLASSES))
    return images, labels, boxes


def _class_from_name(stem, root):
    name = re.sub(r"_\d+$", "", stem)
    if name not in NEU_CLASSES:
        raise ValueError(f"{stem!r} in {root} does not start with a NEU class {NEU_CLASSES}.")
    return name


def _read_voc(path):
    """Boxes of one Pascal VOC file as (class index, x1, y1, x2, y2), far edges exclusive."""
    if not path.exists():
        raise FileNotFoundError(f"Annotation {path} is missing (each NEU-DET image has one).")
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        raise ValueError(f"Annotation {path} is not valid XML: {exc}") from exc
    boxes = []
    for obj in tree.getroot().iter("object"):
        name = obj.findtext("name", "").strip()
        if name not in NEU_CLASSES:
            raise ValueError(f"{path} has an object of unknown class {name!r}.")
        try:
            xmin, ymin, xmax, ymax = (int(float(obj.findtext(f"bndbox/{k}")))
                                      for k in ("xmin", "ymin", "xmax", "ymax"))
        except (TypeError, ValueError, OverflowError) as exc:  # missing, text, NaN, inf
            raise ValueError(f"{path} has a {name!r} object whose bndbox lacks a finite number "
                             "for xmin, ymin, xmax or ymax; fix or remove that object.") from exc
        # VOC numbers pixels from 1 and includes the last one: pixel xmax is column xmax - 1,
        # whose far edge is xmax.
        boxes.append((NEU_CLASSES.index(name), xmin - 1, ymin - 1, xmax, ymax))
    return np.array(boxes, dtype=np.int64).reshape(-1, 5)


def _neu_cls(root):
    folders = [d for d in sorted(root.iterdir()) if d.is_dir()]
    if folders:
        unknown = [d.name for d in folders if d.name not in NEU_CLASSES]
        if unknown:
            raise ValueError(
                f"Folders {unknown} in {root} are not NEU classes. Expected {_LAYOUTS}."
            )
        pairs = [(p, d.name) for d in folders for p in sorted(d.iterdir())
                 if p.suffix.lower() in IMAGE_SUFFIXES]
    else:
        pairs = []
        for path in sorted(root.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            prefix = path.stem.split("_")[0].lower()
            if prefix not in _CLS_PREFIXES:
                raise ValueError(f"{path.name} has no NEU-CLS class prefix. Expected {_LAYOUTS}.")
            pairs.append((path, _CLS_PREFIXES[prefix]))
    if not pairs:
        raise ValueError(f"No images found in {root}. Expected {_LAYOUTS}.")
    images, labels = zip(*pairs)
    return list(images), list(labels)
