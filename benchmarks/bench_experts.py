"""Throughput of ImageClassifier against the bare timm model, side by side in one run.

For each backbone: ``predict_proba`` on uint8 images (resizing, scaling, normalisation, softmax
and batching included) against the bare backbone's forward pass on the same images already
normalised as float tensors, same weights, same batch size, both under
``torch.inference_mode``, both in channels-last layout; and training images/s of one epoch of
``fit``. On a GPU both sides use bf16 autocast, the bare side with pinned memory too.

    python benchmarks/bench_experts.py            # resnet18 and efficientnet_b0 at 224 px
    python benchmarks/bench_experts.py --quick    # a few seconds: tiny model, few images
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from skmoe.experts import ImageClassifier  # noqa: E402
from skmoe.experts._torch_parts import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402


def bare_forward_rate(backbone, images, batch_size, device):
    """Images per second of the backbone alone on pre-normalised float batches."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        runs, n_images, image_size, batch_size = ["resnet10t"], 64, 64, 32
    else:
        runs, n_images, image_size, batch_size = ["resnet18", "efficientnet_b0"], 256, 224, 32

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
    print(f"\npredict_proba at least 0.8x of the bare forward: {'yes' if worst >= 0.8 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
