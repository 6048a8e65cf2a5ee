"""Throughput of the experts against their bare models, side by side in one run.

Classifiers: for each backbone, ``ImageClassifier.predict_proba`` on uint8 images (resizing,
scaling, normalisation, softmax and batching included) against the bare backbone's forward pass
on the same images already normalised as float tensors, same weights, same batch size, both
under ``torch.inference_mode``, both in channels-last layout; and training images/s of one epoch
of ``fit``. On a GPU both sides use bf16 autocast, the bare side with pinned memory too.

Detectors: ``predict_proba`` (image-level scores, from uint8 grayscale images) against the bare
model's own prediction on the same images already in the form it takes (ultralytics'
``predict`` on BGR arrays; the torchvision model called on float tensors), same weights, same
batch size, same score threshold.

    python benchmarks/bench_experts.py            # resnet18, efficientnet_b0 at 224 px,
                                                  # yolov8n and Faster R-CNN at 320 px
    python benchmarks/bench_experts.py --quick    # seconds: tiny models, few images
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from timm.data import resolve_model_data_config  # noqa: E402

from skmoe.datasets import make_steel_defects  # noqa: E402
from skmoe.experts import ImageClassifier, TorchvisionDetector, YOLODetector  # noqa: E402


def bare_forward_rate(backbone, images, batch_size, device):
    """Images per second of the backbone alone on pre-normalised float batches."""
    config = resolve_model_data_config(backbone)
    mean = torch.tensor(config["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(config["std"]).view(1, 3, 1, 1)
    tensors = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 - mean) / std
    tensors = tensors.contiguous(memory_format=torch.channels_last)
    backbone = backbone.to(memory_format=torch.channels_last)
    on_gpu = device.startswith("cuda")
    if on_gpu:
        tensors = tensors.pin_memory()
    backbone = backbone.to(device).eval()
    with torch.inference_mode(), torch.autocast(device_type=device.split(":")[0],
                                                dtype=torch.bfloat16, enabled=on_gpu):
        backbone(tensors[:batch_size].to(device))  # warm-up
        _sync(device)
        start = time.perf_counter()
        for i in range(0, len(tensors), batch_size):
            batch = tensors[i:i + batch_size].to(device, non_blocking=True)
            torch.softmax(backbone(batch).float(), dim=1).cpu()
        _sync(device)
    return len(tensors) / (time.perf_counter() - start)


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(backbone, n_images, image_size, batch_size):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n_images, image_size, image_size, 3), dtype=np.uint8)
    labels = np.arange(n_images) % 5
    model = ImageClassifier(backbone, image_size=image_size, batch_size=batch_size,
                            max_epochs=1, validation_fraction=0, random_state=0)
    start = time.perf_counter()
    model.fit(images, labels)
    train_rate = n_images / (time.perf_counter() - start)
    device = model.device_

    model.predict_proba(images[:batch_size])  # warm-up
    start = time.perf_counter()
    model.predict_proba(images)
    skmoe_rate = n_images / (time.perf_counter() - start)
    bare_rate = bare_forward_rate(model.net_.module_.backbone, images, batch_size, device)
    return device, skmoe_rate, bare_rate, train_rate


def measure_detector(kind, model_name, n_images, image_size, batch_size):
    """(device, predict_proba img/s, bare predict img/s, train img/s) of one detector."""
    X, y, boxes = make_steel_defects(n_images, image_size=image_size, return_boxes=True,
                                     class_weights=[1, 1, 1, 1, 1], random_state=0)
    if kind == "yolo":
        detector = YOLODetector(model_name, image_size=image_size, batch_size=batch_size,
                                max_epochs=1, validation_fraction=0, random_state=0)
    else:
        detector = TorchvisionDetector(model_name, batch_size=batch_size, max_epochs=1,
                                       random_state=0)
    start = time.perf_counter()
    detector.fit(X, y, boxes=boxes)
    train_rate = n_images / (time.perf_counter() - start)

    detector.predict_proba(X[:batch_size])  # warm-up (loads the model once)
    bare = bare_yolo_rate if kind == "yolo" else bare_torchvision_rate
    # Best of three, alternating the two sides, so that neither gains from the other's warm-up.
    ours, theirs = [], []
    for _ in range(3):
        start = time.perf_counter()
        detector.predict_proba(X)
        ours.append(n_images / (time.perf_counter() - start))
        theirs.append(bare(detector, X, batch_size))
    return detector.device_, max(ours), max(theirs), train_rate


def bare_yolo_rate(detector, X, batch_size):
    """ultralytics' own predict on ready BGR arrays."""
    model = detector._loaded_model()
    images = [np.ascontiguousarray(np.repeat(image[..., None], 3, axis=-1)) for image in X]
    device = "cpu" if detector.device_ == "cpu" else "0"
    start = time.perf_counter()
    for i in range(0, len(images), batch_size):
        model.predict(images[i:i + batch_size], imgsz=detector.image_size,
                      conf=detector.min_score, device=device, batch=batch_size, verbose=False)
    return len(images) / (time.perf_counter() - start)


def bare_torchvision_rate(detector, X, batch_size):
    """The torchvision model called on ready float tensors under inference_mode."""
    device = detector.device_
    network = detector.network_.to(device).eval()
    tensors = torch.from_numpy(X).float().div(255)[:, None].expand(-1, 3, -1, -1)
    on_gpu = device.startswith("cuda")
    with torch.inference_mode(), torch.autocast(device_type=device.split(":")[0],
                                                dtype=torch.bfloat16, enabled=on_gpu):
        start = time.perf_counter()
        for i in range(0, len(tensors), batch_size):
            for out in network(list(tensors[i:i + batch_size].to(device))):
                out["scores"].cpu()
        _sync(device)
    return len(tensors) / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        runs, n_images, image_size, batch_size = ["resnet10t"], 64, 64, 32
        detectors = [("yolo", "yolov8n.yaml", 32, 64, 16),
                     ("torchvision", "fasterrcnn_mobilenet_v3_large_320_fpn", 16, 64, 8)]
    else:
        runs, n_images, image_size, batch_size = ["resnet18", "efficientnet_b0"], 256, 224, 32
        detectors = [("yolo", "yolov8n.yaml", 128, 320, 16),
                     ("yolo", "yolo11n.yaml", 128, 320, 16),
                     ("torchvision", "fasterrcnn_resnet50_fpn", 32, 320, 4),
                     ("torchvision", "retinanet_resnet50_fpn", 32, 320, 4)]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, CUDA: "
          f"{torch.cuda.is_available()}\n")
    print("| backbone | size | device | predict_proba img/s | bare forward img/s | ratio | "
          "train img/s |")
    print("|---|---|---|---:|---:|---:|---:|")
    worst = np.inf
    for backbone in runs:
        device, ours, bare, train = measure(backbone, n_images, image_size, batch_size)
        worst = min(worst, ours / bare)
        print(f"| {backbone} | {image_size} | {device} | {ours:.1f} | {bare:.1f} | "
              f"{ours / bare:.2f}x | {train:.1f} |")

    print("\n| detector | size | device | predict_proba img/s | bare predict img/s | ratio | "
          "train img/s |")
    print("|---|---|---|---:|---:|---:|---:|")
    for kind, model_name, n, size, batch in detectors:
        device, ours, bare, train = measure_detector(kind, model_name, n, size, batch)
        worst = min(worst, ours / bare)
        print(f"| {model_name} | {size} | {device} | {ours:.1f} | {bare:.1f} | "
              f"{ours / bare:.2f}x | {train:.1f} |")
    print(f"\npredict_proba at least 0.8x of the bare model: {'yes' if worst >= 0.8 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
