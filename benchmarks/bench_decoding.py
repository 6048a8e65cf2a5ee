"""Reading the real datasets' image files: skmoe's reader against PIL, side by side in one run.

skmoe reads a JPEG file with TorchCodec and resizes it with torchvision when TorchCodec is
installed, and with PIL otherwise (``skmoe.experts._decoding.read_image``). For the files
of NEU-DET, Magnetic-tile and Severstal, at their own size and resized as an expert would see
them, this prints the files read per second by skmoe's PIL path (decode, convert, bilinear
resize: how it read every file before TorchCodec) and by its reader, in one process and one
thread each, and the largest pixel difference between the two.

    SKMOE_DATA=../shared/data python benchmarks/bench_decoding.py
    SKMOE_DATA=../shared/data python benchmarks/bench_decoding.py --quick   # CI: seconds
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from skmoe.experts._decoding import _jpeg_decoder, _read_with_pil, read_image

# (dataset, files under the data root, channels the expert reads, (height, width) or None)
CASES = [
    ("NEU-DET", "neu-det/images/*.jpg", 1, None),
    ("NEU-DET", "neu-det/images/*.jpg", 1, (224, 224)),
    ("NEU-DET", "neu-det/images/*.jpg", 3, (224, 224)),
    ("Magnetic-tile", "magnetic-tile/MT_*/Imgs/*.jpg", 1, (160, 160)),
    ("Magnetic-tile", "magnetic-tile/MT_*/Imgs/*.jpg", 3, (224, 224)),
    ("Severstal", "severstal-sample/**/*.jpg", 3, None),
    ("Severstal", "severstal-sample/**/*.jpg", 1, (128, 800)),
]


def files_per_second(read, paths, shape, n_channels, runs):
    read(paths[0], shape, n_channels)  # warm-up: the first call imports the decoder
    best = 0.0
    for _ in range(runs):
        start = time.perf_counter()
        for path in paths:
            read(path, shape, n_channels)
        best = max(best, len(paths) / (time.perf_counter() - start))
    return best


def largest_difference(paths, shape, n_channels):
    difference = 0
    for path in paths:
        ours = read_image(path, shape, n_channels).permute(1, 2, 0).numpy().astype(int)
        pil = _read_with_pil(path, shape, n_channels).permute(1, 2, 0).numpy()
        difference = max(difference, int(np.abs(ours - pil).max()))
    return difference


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 files per case, one run")
    parser.add_argument("--data", default=os.environ.get("SKMOE_DATA"),
                        help="the shared data folder (default: $SKMOE_DATA)")
    args = parser.parse_args(argv)
    if not args.data or not Path(args.data).is_dir():
        parser.error("give the shared data folder with --data or SKMOE_DATA")
    n_files, runs = (30, 1) if args.quick else (300, 3)
    torch.set_num_threads(1)
    decoder = "TorchCodec" if _jpeg_decoder() is not None else "PIL (TorchCodec not installed)"
    print(f"torch {torch.__version__}, skmoe's JPEG decoder: {decoder}; {n_files} files per "
          f"case, one thread, best of {runs}\n")
    print("| files | channels | read as | PIL files/s | skmoe files/s | skmoe / PIL | "
          "largest pixel difference |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for dataset, pattern, n_channels, shape in CASES:
        paths = sorted(Path(args.data).glob(pattern))[:n_files]
        if not paths:
            raise SystemExit(f"no files match {pattern!r} under {args.data}")
        pil = files_per_second(_read_with_pil, paths, shape, n_channels, runs)
        ours = files_per_second(read_image, paths, shape, n_channels, runs)
        size = "own size" if shape is None else f"{shape[0]}x{shape[1]}"
        print(f"| {dataset} | {n_channels} | {size} | {pil:.0f} | {ours:.0f} | "
              f"{ours / pil:.2f}x | {largest_difference(paths, shape, n_channels)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
