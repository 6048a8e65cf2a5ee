"""Train one ImageClassifier expert on the canonical NEU-DET split and report its test accuracy.

Reads the images lazily from their files (``load_neu`` gives paths), trains on the train split
with early stopping on the validation split's share of the training data, and prints the
per-class report on the test split.

    SKMOE_DATA=../shared/data python benchmarks/neu_expert.py --backbone resnet18 --image-size 64
    python benchmarks/neu_expert.py --quick      # 2 epochs on a slice, a smoke run
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from skmoe.datasets import load_neu  # noqa: E402
from skmoe.experts import ImageClassifier  # noqa: E402
from skmoe.metrics import defect_report  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKMOE_DATA", "../shared/data"))
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="2 epochs on 120 images")
    args = parser.parse_args(argv)

    root = Path(args.data) / "neu-det"
    train = load_neu(root, split_file="split.csv", subset="train")
    test = load_neu(root, split_file="split.csv", subset="test")
    X_train, y_train = list(train.images), train.target
    epochs = args.epochs
    if args.quick:
        rows = np.random.default_rng(0).permutation(len(X_train))[:120]
        X_train, y_train, epochs = [X_train[i] for i in rows], y_train[rows], 2

    model = ImageClassifier(args.backbone, image_size=args.image_size, in_chans=1,
                            batch_size=args.batch_size, lr=args.lr, max_epochs=epochs,
                            patience=8, augment=True, random_state=0, verbose=0)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    report = defect_report(test.target, model.predict(list(test.images)))
    print(f"{args.backbone} at {args.image_size} px, {len(model.net_.history)} epochs "
          f"({seconds:.0f} s on {model.device_}), {len(X_train)} training images (10% of them "
          "held out for early stopping)\n")
    print(report.to_markdown())
    print(f"\nNEU-DET test accuracy: {report.overall_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
