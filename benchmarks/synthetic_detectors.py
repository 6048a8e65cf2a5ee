"""Detectors as image-level experts on synthetic steel: per-class AUCs, and a tuned vote.

Trains a YOLODetector and a TorchvisionDetector (RetinaNet) on boxes of ``make_steel_defects``
images (balanced classes), and an ImageClassifier on the same images; prints each expert's
image-level ROC AUC per class on held-out images, then freezes the three experts, tunes a
MultiExpertVotingClassifier on a validation set and reports macro F1 on the test set, for each
expert alone and for the vote, side by side.

    python benchmarks/synthetic_detectors.py            # 400 training images, a few minutes
    python benchmarks/synthetic_detectors.py --quick    # a smoke run of seconds
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.metrics import f1_score, roc_auc_score  # noqa: E402

from skmoe import MultiExpertVotingClassifier  # noqa: E402
from skmoe.datasets import STEEL_CLASSES, make_steel_defects  # noqa: E402
from skmoe.experts import ImageClassifier, TorchvisionDetector, YOLODetector  # noqa: E402

SIZE = 64


def make_experts(quick):
    classes = dict(random_state=0)
    epochs = (1, 1, 1) if quick else (30, 10, 20)
    return {
        "yolov8n": YOLODetector(image_size=SIZE, max_epochs=epochs[0], validation_fraction=0,
                                train_kwargs={"warmup_epochs": 0}, **classes),
        "retinanet": TorchvisionDetector("retinanet_resnet50_fpn", batch_size=8,
                                         max_epochs=epochs[1], **classes),
        "resnet10t": ImageClassifier("resnet10t", image_size=SIZE, max_epochs=epochs[2],
                                     augment=True, random_state=0),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sets, one epoch each")
    args = parser.parse_args(argv)
    n_train, n_val, n_test = (48, 30, 30) if args.quick else (400, 150, 200)
    data = [make_steel_defects(n, image_size=SIZE, class_weights=[1, 1, 1, 1, 1],
                               return_boxes=True, random_state=seed)
            for seed, n in enumerate((n_train, n_val, n_test))]
    (X, y, boxes), (X_val, y_val, _), (X_test, y_test, _) = data

    experts = make_experts(args.quick)
    print(f"{n_train} training images of {SIZE} px, balanced classes; AUC on {n_test} test "
          "images\n")
    print("| expert | fit (s) | " + " | ".join(sorted(STEEL_CLASSES)) + " |")
    print("|---|---:|" + "---:|" * len(STEEL_CLASSES))
    for name, expert in experts.items():
        start = time.perf_counter()
        if isinstance(expert, ImageClassifier):
            expert.fit(X, y)
        else:
            expert.fit(X, y, boxes=boxes)
        seconds = time.perf_counter() - start
        proba = expert.predict_proba(X_test)
        aucs = [roc_auc_score(y_test == c, proba[:, j]) for j, c in enumerate(expert.classes_)]
        print(f"| {name} | {seconds:.0f} | " + " | ".join(f"{a:.3f}" for a in aucs) + " |")

    ensemble = MultiExpertVotingClassifier(
        [(name, FrozenEstimator(expert)) for name, expert in experts.items()]
    ).fit(X_val, y_val)
    print(f"\nVote tuned on {n_val} validation images: thresholds "
          f"{np.round(ensemble.thresholds_, 3).tolist()}, weights "
          f"{np.round(ensemble.weights_, 2).tolist()}\n")
    print("| model | test macro F1 |")
    print("|---|---:|")
    for name, model in [*experts.items(), ("vote", ensemble)]:
        print(f"| {name} | {f1_score(y_test, model.predict(X_test), average='macro'):.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
