"""Train one expert on the canonical NEU-DET split and report its test accuracy.

Reads the images lazily from their files (``load_neu`` gives paths), trains on the train split
and prints the per-class report on the test split. The CNN classifier stops early on a held-out
tenth of the training images; the detectors train on the boxes for a bounded number of epochs
and classify an image by its most confident box.

    SKMOE_DATA=../shared/data python benchmarks/neu_expert.py --backbone resnet18 --image-size 64
    SKMOE_DATA=../shared/data python benchmarks/neu_expert.py --expert yolo --model yolov8n.yaml \
        --image-size 128 --epochs 25
    python benchmarks/neu_expert.py --quick      # 2 epochs on a slice, a smoke run
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from skmoe.datasets import load_neu  # noqa: E402
from skmoe.experts import ImageClassifier, TorchvisionDetector, YOLODetector  # noqa: E402
from skmoe.metrics import defect_report  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKMOE_DATA", "../shared/data"))
    parser.add_argument("--expert", choices=["classifier", "yolo", "torchvision"],
                        default="classifier")
    parser.add_argument("--backbone", default="resnet18", help="timm backbone (classifier)")
    parser.add_argument("--model", default=None,
                        help="ultralytics model YAML (yolo) or torchvision architecture")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model-kwargs", type=json.loads, default=None,
                        help="torchvision builder arguments as JSON, e.g. "
                             "'{\"box_batch_size_per_image\": 128}'")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 0.05 classifier, 0.01 torchvision)")
    parser.add_argument("--quick", action="store_true", help="2 epochs on 120 images")
    args = parser.parse_args(argv)

    root = Path(args.data) / "neu-det"
    train = load_neu(root, split_file="split.csv", subset="train")
    test = load_neu(root, split_file="split.csv", subset="test")
    X_train, y_train, boxes = list(train.images), train.target, list(train.boxes)
    if args.quick:
        rows = np.random.default_rng(0).permutation(len(X_train))[:120]
        X_train, y_train = [X_train[i] for i in rows], y_train[rows]
        boxes, args.epochs = [boxes[i] for i in rows], 2

    model = make_model(args)
    start = time.perf_counter()
    if args.expert == "classifier":
        model.fit(X_train, y_train)
    else:
        model.fit(X_train, y_train, boxes=boxes)
    seconds = time.perf_counter() - start
    report = defect_report(test.target, model.predict(list(test.images)))
    print(f"{describe(args, model)} at {args.image_size} px ({seconds:.0f} s on "
          f"{model.device_}), {len(X_train)} training images\n")
    print(report.to_markdown())
    print(f"\nNEU-DET test accuracy: {report.overall_accuracy:.4f}")
    return 0


def make_model(args):
    if args.expert == "classifier":
        return ImageClassifier(args.backbone, image_size=args.image_size, in_chans=1,
                               batch_size=args.batch_size, lr=args.lr or 0.05,
                               max_epochs=args.epochs, patience=8, augment=True, random_state=0)
    if args.expert == "yolo":
        return YOLODetector(args.model or "yolov8n.yaml", image_size=args.image_size,
                            batch_size=args.batch_size, max_epochs=args.epochs,
                            validation_fraction=0, random_state=0)
    return TorchvisionDetector(args.model or "fasterrcnn_resnet50_fpn", min_size=args.image_size,
                               max_size=args.image_size, batch_size=args.batch_size,
                               lr=args.lr or 0.01, max_epochs=args.epochs,
                               model_kwargs=args.model_kwargs,
                               random_state=0, verbose=1)


def describe(args, model):
    if args.expert == "classifier":
        return (f"{args.backbone}, {len(model.net_.history)} epochs (10% of the training "
                "images held out for early stopping)")
    if args.expert == "yolo":
        return f"{model.model}, {len(model.history_)} epochs"
    return f"{model.architecture}, {len(model.history_)} epochs"


if __name__ == "__main__":
    raise SystemExit(main())
