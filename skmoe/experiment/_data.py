"""The job's data: a dataset from the config, split into train, validation and test images."""

import inspect

import numpy as np
from sklearn.utils import Bunch

from .. import datasets
from ..model_selection import train_val_test_split
from ._config import DATASET, ConfigError, closest_match

_LOADER_FUNCTIONS = {
    "neu": datasets.load_neu,
    "magnetic-tile": datasets.load_magnetic_tile,
    "severstal": datasets.load_severstal,
    "folder": datasets.load_image_folder,
}
# The synthetic images of `make_steel_defects`, generated once per job (not per seed).
_SYNTHETIC = {"n_samples": 1000, "image_size": 64, "max_defects_per_image": 1, "random_state": 0}
SPLIT_NAMES = ("train", "val", "test")


def load_dataset(spec, *, masks=False):
    """The dataset the config's ``[dataset]`` names, as a loader's Bunch.

    Keys other than loader, root, split and split_file are passed to the loader (e.g.
    ``annotations`` for Severstal, ``n_samples`` for synthetic images). With ``masks`` (a
    segmentation expert is in the job) the Bunch holds ``masks`` too.
    """
    options = {key: value for key, value in spec.items() if key not in DATASET}
    loader = spec["loader"]
    if loader == "synthetic":
        _check_options(options, _SYNTHETIC, "make_steel_defects")
        try:
            X, y, boxes, *pixels = datasets.make_steel_defects(
                **{**_SYNTHETIC, **options}, return_boxes=True, return_masks=masks)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[dataset] (synthetic): {exc}") from None
        return Bunch(images=X, target=y, target_names=list(datasets.STEEL_CLASSES), boxes=boxes,
                     background_class="background", DESCR="Synthetic steel images.",
                     **({"masks": pixels[0]} if masks else {}))
    function = _LOADER_FUNCTIONS[loader]
    _check_options(options, inspect.signature(function).parameters, function.__name__)
    if spec["split"] == "file":
        options["split_file"] = spec["split_file"]
    if masks:
        if "return_masks" not in inspect.signature(function).parameters:
            raise ConfigError(f"a segmenter expert trains on masks, and the {loader!r} dataset "
                              "has none (masks: magnetic-tile, severstal, synthetic).")
        options["return_masks"] = True
    try:
        return function(spec["root"], **options)
    except (FileNotFoundError, NotADirectoryError) as exc:
        if "split_file" in options and "split_file=" in str(exc):
            # The loader's hint (split_file=None) cannot be written in TOML.
            raise ConfigError(
                f"dataset {loader!r}: dataset.split_file={options['split_file']!r} is not a "
                f"file in {spec['root']}: give the path of a CSV with 'image' and 'split' "
                "columns, or set dataset.split = 'random' (a stratified 8:1:1 split per "
                "seed).") from None
        raise ConfigError(f"dataset {loader!r}: {exc}") from None
    except ValueError as exc:
        raise ConfigError(f"dataset {loader!r}: {exc}") from None


def _check_options(options, known, loader):
    known = [key for key in known if key not in ("root", "split_file", "subset")]
    for key in options:
        if key not in known:
            raise ConfigError(f"[dataset] key {key!r} is not an option of {loader}: the options "
                              f"are {', '.join(known)}{closest_match(key, known)}.")


def split_dataset(bunch, spec, seed):
    """Train, validation and test rows of the dataset, by name.

    ``split = "file"`` takes the canonical split file's rows (the same for every seed);
    ``split = "random"`` draws a stratified 8:1:1 split with the seed.
    """
    n_images = len(bunch.images)
    if spec["split"] == "file":
        found = sorted(set(bunch.split))
        if found != sorted(SPLIT_NAMES):
            raise ConfigError(f"dataset.split_file {spec['split_file']!r} names the splits "
                              f"{found}; it needs exactly {list(SPLIT_NAMES)} (or set "
                              "dataset.split = 'random').")
        return {name: np.flatnonzero(bunch.split == name) for name in SPLIT_NAMES}
    rows = np.arange(n_images)
    train, val, test = train_val_test_split(rows, stratify=bunch.target, random_state=seed)
    return dict(zip(SPLIT_NAMES, (train, val, test)))


def background_label(bunch):
    """The label (or indicator column) of the defect-free class, or None when there is none."""
    name = bunch.get("background_class")
    if name is None:
        return None
    return name if np.ndim(bunch.target) == 1 else list(bunch.target_names).index(name)
