"""Fine-tuning a pretrained backbone against the linear probe of the same backbone and size.

Each variant is fitted on the training images and scored on the validation images, where a
recipe is chosen, and on the test images, which are only reported. The probe is
``make_feature_expert`` (frozen features, standardised, ``LogisticRegression(C=0.1,
class_weight="balanced")``); the fine-tuned variants are ``ImageClassifier`` on the same
ImageNet weights, class-balanced loss, early stopping on balanced accuracy over 10% of the
training images held out (best epoch restored), test-time left-right flips:

- ``lpft``: the head starts from the probe (``head_init="probe"``), batch norm keeps its
  ImageNet statistics, the backbone learns at a tenth of the head's rate, one epoch of warm-up,
  then cosine (LP-FT);
- ``ft``: a random head, one learning rate for all, cosine (plain fine-tuning).

    python benchmarks/fine_tune_vs_probe.py --data $SKMOE_DATA --dataset magnetic-tile \\
        --backbone lite0 --image-size 224 --max-epochs 4 --variants probe lpft ft
    python benchmarks/fine_tune_vs_probe.py --quick --data $SKMOE_DATA   # a smoke run
"""

import argparse
import time
from pathlib import Path

import numpy as np
from feature_probe import LOADERS, WEIGHTS, canonical_splits, checkpoint_of

from skmoe.experts import ImageClassifier, make_feature_expert
from skmoe.metrics import defect_report

RECIPES = {
    "lpft": dict(head_init="probe", freeze_batch_norm=True, backbone_lr_scale=0.1,
                 warmup_epochs=1),
    "ft": dict(head_init="random", backbone_lr_scale=1.0, warmup_epochs=0),
}


def build(variant, backbone, checkpoint, image_size, max_epochs, lr, cache):
    if variant == "probe":
        return make_feature_expert(backbone, checkpoint_path=checkpoint, image_size=image_size,
                                   memory=cache, device="cpu", random_state=0)
    return ImageClassifier(backbone, checkpoint_path=checkpoint, image_size=image_size,
                           max_epochs=max_epochs, min_epochs=1, patience=max_epochs, lr=lr,
                           class_weight="balanced", flips="horizontal", device="cpu",
                           random_state=0, verbose=1, **RECIPES[variant])


def score(expert, splits):
    """(validation macro F1, test macro F1, test accuracy) of a fitted expert."""
    (_, _), (X_val, y_val), (X_test, y_test) = splits
    test_pred = expert.predict(X_test)
    return (defect_report(y_val, expert.predict(X_val)).macro.f1,
            defect_report(y_test, test_pred).macro.f1, float(np.mean(test_pred == y_test)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the datasets' folder")
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="magnetic-tile")
    parser.add_argument("--backbone", choices=sorted(WEIGHTS), default="lite0")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--max-epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=0.001,
                        help="the head's learning rate (the first runs at 0.01 fell to 0.49-0.54)")
    parser.add_argument("--variants", nargs="+", default=["probe", "lpft", "ft"],
                        choices=["probe", *RECIPES])
    parser.add_argument("--cache", default="feature-cache", help="the probe's features cache")
    parser.add_argument("--quick", action="store_true",
                        help="20 images per split at 32 px, one epoch (a smoke run)")
    args = parser.parse_args(argv)
    splits = canonical_splits(args.data, args.dataset, quick=args.quick)
    if args.quick:
        args.image_size, args.max_epochs = 32, 1
    backbone, package = WEIGHTS[args.backbone]
    checkpoint = checkpoint_of(package)
    sizes = ", ".join(f"{len(y)} {name}" for (_, y), name in zip(splits, ("train", "val", "test")))
    print(f"{args.dataset}: {sizes} images; {backbone} at {args.image_size} px, up to "
          f"{args.max_epochs} epochs\n")
    rows = []
    for variant in args.variants:
        start = time.perf_counter()
        expert = build(variant, backbone, checkpoint, args.image_size, args.max_epochs, args.lr,
                       args.cache).fit(*splits[0])
        seconds = time.perf_counter() - start
        epochs = "-" if variant == "probe" else _epochs(expert)
        rows.append((variant, *score(expert, splits), epochs, seconds))
    print("\n| variant | validation macro F1 | test macro F1 | test accuracy | epochs "
          "(kept / trained) | fit seconds |")
    print("|---|---|---|---|---|---|")
    for variant, val, test, accuracy, epochs, seconds in rows:
        print(f"| {variant} | {val:.4f} | {test:.4f} | {accuracy:.4f} | {epochs} | "
              f"{seconds:.0f} |")
    chosen = max(rows, key=lambda row: row[1])
    print(f"\nChosen on validation: {chosen[0]} (test macro F1 {chosen[2]:.4f})")


def _epochs(expert):
    """"kept / trained" epochs: the epoch early stopping restored, of those trained."""
    from skmoe.experts._early_stopping import EarlyStoppingAfter

    trained = len(expert.net_.history)
    stopping = [c for _, c in expert.net_.callbacks_ if isinstance(c, EarlyStoppingAfter)]
    kept = stopping[0].best_epoch_ if stopping and stopping[0].best_epoch_ else trained
    return f"{kept} / {trained}"


if __name__ == "__main__":
    main()
