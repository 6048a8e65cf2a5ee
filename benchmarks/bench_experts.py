"""Speed of the experts against their bare models, and of the ensemble, side by side in one run.

Six tables, each measured in this one process on one device:

1. Classifiers (``ImageClassifier``): the first ``predict_proba`` after ``fit`` apart from the
   steady state (best of three, after that first call), from uint8 arrays in host memory and
   from image files (JPEG, read by DataLoader workers), against the bare timm backbone on
   ready device tensors (already resized and normalised; same weights, batch size, channels-last
   layout and bf16 autocast on a GPU), and against skmoe's previous prediction loop (no side
   stream, no pinned memory, probabilities copied back batch by batch) with the largest
   difference of their probabilities; with ``compile=True`` too; peak memory of the steady
   call. Targets: steady >= 0.9x bare, first call within 2x of steady.
2. Detectors (YOLO, Faster R-CNN and its cascade): ``predict_proba`` (first and steady) against
   the bare model's own prediction on ready inputs (ultralytics' ``predict`` on BGR arrays; the
   torchvision model on float device tensors), same weights, batch size and score threshold.
3. Decoding JPEG files: PIL and skmoe's reader (TorchCodec where installed) in DataLoader
   workers, against TorchCodec's ``decode_jpeg`` on whole batches (on the GPU when there is
   one; torchvision's where TorchCodec is missing).
4. The ensemble: ``MultiExpertVotingClassifier.predict`` over the classifiers of table 1 (frozen)
   against the sequential bound 1 / sum of the experts' per-image times, one expert at a time
   and with the experts in threads (each predicting on a CUDA stream of its own on a GPU); and
   ``skmoe predict`` (``predict_images``, the ensemble loaded from a model folder, the CSV
   written) on the JPEG files against the bound of its experts on the same files. Target:
   >= 0.9x.
5. Hard gating: ``TwoStagePipeline`` on a set that is 70% defect-free, soft (the classifier sees
   every image) against hard (only the images the gate passes).
6. Segmentation experts (``SegmentationExpert``, a U-Net on the first backbone): first call and
   steady ``predict_proba`` against the bare U-Net on ready device tensors.

    python benchmarks/bench_experts.py --device cuda          # the GPU tables (issue 13)
    python benchmarks/bench_experts.py --device cuda --backbones resnet18 --no-compile
    python benchmarks/bench_experts.py --quick                # tiny models: 2 minutes on a CPU
"""

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from joblib import parallel_config  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402

from skmoe import (  # noqa: E402
    MultiExpertVotingClassifier,
    TwoStagePipeline,
    load_model,
    save_model,
)
from skmoe.datasets import make_steel_defects  # noqa: E402
from skmoe.experiment._training import _peak_memory_mib, _reset_peak_memory  # noqa: E402
from skmoe.experts import (  # noqa: E402
    ImageClassifier,
    SegmentationExpert,
    TorchvisionDetector,
    YOLODetector,
)
from skmoe.experts._decoding import _jpeg_decoder, read_image  # noqa: E402
from skmoe.experts._decoding import _read_with_pil as read_with_pil  # noqa: E402
from skmoe.predict import predict_images  # noqa: E402
from skmoe.utils._images import check_image_input  # noqa: E402

FULL = {
    # The first is the two-stage gate, the last its classifier: the cheaper one first.
    "backbones": ["resnet18", "resnet101", "efficientnet_b3", "convnext_small", "vgg19"],
    # (height, width), images, batch size
    "sizes": [((224, 224), 4096, 256), ((256, 1600), 512, 32)],
    "detectors": [("yolo", "yolov8n.yaml"), ("yolo", "yolo11n.yaml"),
                  ("torchvision", "fasterrcnn_resnet50_fpn"),
                  ("torchvision", "cascadercnn_resnet50_fpn")],
    "detector_images": ((256, 1600), 128, 8),
    "rcnn_kwargs": None,  # torchvision's builder defaults
    "workers": 8,
    "gate_training_images": 600,
    "runs": 3,
}
QUICK = {
    # The first is the two-stage gate, the last its classifier: the cheaper one first.
    "backbones": ["mobilenetv3_small_050", "resnet10t"],
    "sizes": [((64, 64), 64, 32), ((32, 160), 32, 16)],
    "detectors": [("yolo", "yolov8n.yaml"), ("torchvision", "fasterrcnn_mobilenet_v3_large_fpn"),
                  ("torchvision", "cascadercnn_mobilenet_v3_large_fpn")],
    "detector_images": ((64, 160), 16, 8),
    # Fewer regions per image than torchvision's 1000 (test) and 512 (training): the R-CNNs'
    # box heads, run on each region, otherwise take most of the quick mode on a CPU.
    "rcnn_kwargs": dict(rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=50,
                        box_batch_size_per_image=32),
    "workers": 2,
    "gate_training_images": 100,
    "runs": 1,
}


# --- timing ------------------------------------------------------------------------------

def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def images_per_second(call, n, device):
    """n / seconds of one ``call()``, waiting for the device to finish."""
    sync(device)
    start = time.perf_counter()
    call()
    sync(device)
    return n / (time.perf_counter() - start)


def best_of(runs, call, n, device):
    return max(images_per_second(call, n, device) for _ in range(runs))


def peak_mib(call):
    """Peak memory (GPU allocated, else process resident) while ``call()`` runs."""
    _reset_peak_memory()
    call()
    return _peak_memory_mib()["mib"]


# --- inputs ------------------------------------------------------------------------------

def random_images(n, shape, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, *shape, channels), dtype=np.uint8)


def write_jpegs(images, folder):
    """The images as JPEG files in ``folder``; their paths."""
    from PIL import Image

    paths = []
    for i, image in enumerate(images):
        paths.append(str(Path(folder) / f"{i:05d}.jpg"))
        Image.fromarray(image.squeeze()).save(paths[-1], quality=90)
    return paths


# --- 1. classifiers ----------------------------------------------------------------------

def bare_backbone_rate(model, images, device, runs):
    """The timm backbone alone on ready device tensors: resized, normalised, channels-last."""
    network = model.net_.module_
    with torch.inference_mode():
        x = torch.from_numpy(images).permute(0, 3, 1, 2).to(device)
        x = network.preprocess(x).contiguous(memory_format=torch.channels_last)
    backbone, batch_size = network.backbone.to(device).eval(), model.batch_size

    def forward():
        with torch.inference_mode(), torch.autocast(device_type=device.split(":")[0],
                                                    dtype=torch.bfloat16,
                                                    enabled=device.startswith("cuda")):
            for i in range(0, len(x), batch_size):
                torch.softmax(backbone(x[i:i + batch_size]).float(), dim=1)

    forward()  # warm-up: the bare side gets no first-call cost
    return best_of(runs, forward, len(x), device)


def previous_loop(model, images, device):
    """Probabilities by skmoe's prediction loop before ``batches_on_device``: batches copied
    from pageable memory on the compute stream, each batch's probabilities copied back at
    once (the host waits for the GPU at every batch). The baseline of the loop's own gain."""
    network = model._inference_network(device)
    batches = model._batches(check_image_input(images), np.arange(len(images)))
    outputs = []
    with torch.inference_mode():
        for x, _ in torch.utils.data.DataLoader(batches, batch_size=None):
            outputs.append(torch.softmax(network(x.to(device, non_blocking=True)), dim=1).cpu())
    return torch.cat(outputs).numpy()


def measure_classifier(backbone, images, paths, batch_size, *, device, workers, compile_, runs):
    """One row of table 1 on ``images`` (uint8 arrays) and ``paths`` (the same images as JPEG
    files), and the fitted expert (for the ensemble tables)."""
    n, shape = len(images), images.shape[1:3]
    labels = np.arange(n) % 5
    model = ImageClassifier(backbone, image_size=shape, batch_size=batch_size, max_epochs=1,
                            validation_fraction=0, device=device, random_state=0)
    model.fit(images[:2 * batch_size], labels[:2 * batch_size])  # weights do not matter here
    row = {"backbone": backbone, "size": f"{shape[0]}x{shape[1]}", "device": model.device_}
    proba = {}  # each loop's last probabilities, kept from the timed calls

    def ours():
        proba["ours"] = model.predict_proba(images)

    def previous():
        proba["previous"] = previous_loop(model, images, device)

    row["first"] = images_per_second(ours, n, device)
    row["steady"] = best_of(runs, ours, n, device)
    row["peak_mib"] = peak_mib(ours)
    row["previous"] = best_of(runs, previous, n, device)
    # The same probabilities as the previous loop: on a GPU, a batch used before its copy on
    # the side stream had ended would show here.
    row["difference"] = np.abs(proba["ours"] - proba["previous"]).max()
    from_files = pickle.loads(pickle.dumps(model)).set_params(num_workers=workers)
    from_files.predict_proba(paths[:batch_size])  # warm-up
    row["paths"] = best_of(1, lambda: from_files.predict_proba(paths), n, device)
    row["bare"] = bare_backbone_rate(model, images, device, runs)
    row["compiled"] = row["compile_first"] = float("nan")
    if compile_:
        compiled = pickle.loads(pickle.dumps(model)).set_params(compile=compile_)
        row["compile_first"] = images_per_second(lambda: compiled.predict_proba(images), n,
                                                 device)
        row["compiled"] = best_of(runs, lambda: compiled.predict_proba(images), n, device)
    return row, model


def print_classifier_table(rows):
    print("| backbone | size | device | first call img/s | steady img/s | first/steady | "
          "previous loop img/s | steady/previous | max abs difference | "
          "from JPEG files img/s | bare img/s | steady/bare | compiled img/s | "
          "compiled/bare | compile's first call img/s | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backbone']} | {r['size']} | {r['device']} | {r['first']:.1f} | "
              f"{r['steady']:.1f} | {r['first'] / r['steady']:.2f} | {r['previous']:.1f} | "
              f"{r['steady'] / r['previous']:.2f}x | {r['difference']:.1e} | {r['paths']:.1f} | "
              f"{r['bare']:.1f} | {r['steady'] / r['bare']:.2f}x | {r['compiled']:.1f} | "
              f"{r['compiled'] / r['bare']:.2f}x | {r['compile_first']:.1f} | "
              f"{r['peak_mib']:.0f} |")


# --- 6. segmentation experts -------------------------------------------------------------

def measure_segmenter(backbone, shape, n, batch_size, *, device, runs):
    """One row of table 6: predict_proba against the bare U-Net (no preprocessing, no
    scoring beyond the per-class maximum) on ready device tensors."""
    X, y, masks = make_steel_defects(n, image_size=shape, class_weights=[1] * 5,
                                     return_masks=True, random_state=0)
    model = SegmentationExpert(backbone, image_size=shape, batch_size=batch_size, max_epochs=1,
                               device=device, random_state=0)
    model.fit(X[:2 * batch_size], y[:2 * batch_size], masks=masks[:2 * batch_size])
    row = {"backbone": backbone, "size": f"{shape[0]}x{shape[1]}", "device": model.device_}
    row["first"] = images_per_second(lambda: model.predict_proba(X), n, device)
    row["steady"] = best_of(runs, lambda: model.predict_proba(X), n, device)
    row["peak_mib"] = peak_mib(lambda: model.predict_proba(X))
    network = model.network_.to(device).eval()
    with torch.inference_mode():
        ready = network.preprocess(torch.from_numpy(X)[:, None].to(device))
    preprocess, network.preprocess = network.preprocess, torch.nn.Identity()
    try:
        def forward():
            with torch.inference_mode():
                for i in range(0, n, batch_size):
                    torch.sigmoid(network(ready[i:i + batch_size])).flatten(2).amax(dim=2)

        forward()
        row["bare"] = best_of(runs, forward, n, device)
    finally:
        network.preprocess = preprocess
    return row


def print_segmenter_table(rows):
    print("| segmenter (U-Net encoder) | size | device | first call img/s | steady img/s | "
          "first/steady | bare img/s | steady/bare | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backbone']} | {r['size']} | {r['device']} | {r['first']:.1f} | "
              f"{r['steady']:.1f} | {r['first'] / r['steady']:.2f} | {r['bare']:.1f} | "
              f"{r['steady'] / r['bare']:.2f}x | {r['peak_mib']:.0f} |")


# --- 2. detectors ------------------------------------------------------------------------

def bare_yolo_rate(detector, X, batch_size, runs):
    """ultralytics' own predict on ready BGR arrays."""
    model = detector._loaded_model()
    images = [np.ascontiguousarray(np.repeat(image[..., None], 3, axis=-1)) for image in X]
    device = "cpu" if detector.device_ == "cpu" else "0"

    def predict():
        for i in range(0, len(images), batch_size):
            model.predict(images[i:i + batch_size], imgsz=detector.image_size,
                          conf=detector.min_score, device=device, batch=batch_size,
                          verbose=False)

    predict()
    return best_of(runs, predict, len(images), detector.device_)


def bare_torchvision_rate(detector, X, batch_size, runs):
    """The torchvision model called on ready float tensors on its device."""
    device = detector.device_
    network = detector.network_.to(device).eval()
    tensors = torch.from_numpy(X).to(device).float().div(255)[:, None].expand(-1, 3, -1, -1)

    def predict():
        with torch.inference_mode(), torch.autocast(device_type=device.split(":")[0],
                                                    dtype=torch.bfloat16,
                                                    enabled=device.startswith("cuda")):
            for i in range(0, len(tensors), batch_size):
                for out in network(list(tensors[i:i + batch_size])):
                    out["scores"].cpu()

    predict()
    return best_of(runs, predict, len(tensors), device)


def measure_detector(kind, name, shape, n, batch_size, *, device, runs, rcnn_kwargs):
    X, y, boxes = make_steel_defects(n, image_size=shape, return_boxes=True,
                                     class_weights=[1, 1, 1, 1, 1], random_state=0)
    if kind == "yolo":
        detector = YOLODetector(name, image_size=max(shape), batch_size=batch_size,
                                max_epochs=1, validation_fraction=0, device=device,
                                random_state=0)
        bare = bare_yolo_rate
    else:
        detector = TorchvisionDetector(name, min_size=shape[0], max_size=max(shape),
                                       batch_size=batch_size, max_epochs=1,
                                       model_kwargs=rcnn_kwargs, device=device, random_state=0)
        bare = bare_torchvision_rate
    detector.fit(X, y, boxes=boxes)
    row = {"detector": name, "size": f"{shape[0]}x{shape[1]}", "device": detector.device_}
    row["first"] = images_per_second(lambda: detector.predict_proba(X), n, device)
    row["steady"] = best_of(runs, lambda: detector.predict_proba(X), n, device)
    row["peak_mib"] = peak_mib(lambda: detector.predict_proba(X))
    row["bare"] = bare(detector, X, batch_size, runs)
    return row


def print_detector_table(rows):
    print("| detector | size | device | first call img/s | steady img/s | first/steady | "
          "bare img/s | steady/bare | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['detector']} | {r['size']} | {r['device']} | {r['first']:.1f} | "
              f"{r['steady']:.1f} | {r['first'] / r['steady']:.2f} | {r['bare']:.1f} | "
              f"{r['steady'] / r['bare']:.2f}x | {r['peak_mib']:.0f} |")


# --- 3. decoding -------------------------------------------------------------------------

class _Files(torch.utils.data.Dataset):
    """Files read one by one by ``read(path)``, each a (C, H, W) uint8 tensor."""

    def __init__(self, paths, read):
        self.paths, self.read = paths, read

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.read(self.paths[i])


def _read_with_pil(path):
    return read_with_pil(path, None, 3)


def _read_as_skmoe(path):
    return read_image(path, None, 3)


def decode_rates(paths, *, device, workers, batch_size):
    """{decoder: images/s}: PIL and skmoe's reader in DataLoader workers, and a whole batch
    of JPEG files decoded on ``device`` by TorchCodec (torchvision's deprecated decoder where
    TorchCodec is missing)."""
    decode_jpeg = _jpeg_decoder()
    reader = "PIL" if decode_jpeg is None else "TorchCodec"
    name = "TorchCodec's decode_jpeg"
    if decode_jpeg is None:
        from torchvision.io import decode_jpeg

        name = "torchvision.io.decode_jpeg"

    def in_workers(read):
        def run():
            loader = torch.utils.data.DataLoader(_Files(paths, read), batch_size=batch_size,
                                                 num_workers=workers)
            for batch in loader:
                batch.to(device)
        return run

    def batched_on_device():
        for i in range(0, len(paths), batch_size):
            data = [torch.from_numpy(np.fromfile(p, dtype=np.uint8))
                    for p in paths[i:i + batch_size]]
            decode_jpeg(data, device=device)

    n = len(paths)
    batched_on_device()  # warm-up (nvjpeg's first call)
    return {f"PIL, {workers} DataLoader worker(s)": best_of(2, in_workers(_read_with_pil), n,
                                                             device),
            f"skmoe's reader ({reader}), {workers} DataLoader worker(s)":
                best_of(2, in_workers(_read_as_skmoe), n, device),
            f"{name} on {device}, batches of {batch_size}": best_of(2, batched_on_device, n,
                                                                    device)}


# --- 4. the ensemble and 5. hard gating --------------------------------------------------

def ensemble_rates(models, rates, images, *, device, runs):
    """(sequential bound, one expert at a time, experts in threads), images/s."""
    experts = [(f"e{k}", FrozenEstimator(model)) for k, model in enumerate(models)]
    labels = np.arange(len(images)) % 5
    ensemble = MultiExpertVotingClassifier(experts, cv="prefit").fit(images[:64], labels[:64])
    bound = 1 / sum(1 / rate for rate in rates)
    n = len(images)
    one_at_a_time = best_of(runs, lambda: ensemble.predict(images), n, device)
    threaded = ensemble.set_params(n_jobs=len(experts))
    with parallel_config(backend="threading"):
        in_threads = best_of(runs, lambda: threaded.predict(images), n, device)
    return bound, one_at_a_time, in_threads


def predict_command_rates(models, paths, *, device, runs):
    """(sequential bound, ``skmoe predict``) on image files, images/s.

    The ensemble of ``models`` is saved as a model folder and loaded, as ``skmoe predict``
    does; the bound is 1 / the sum of its loaded experts' per-image times, each expert's
    ``predict_proba`` on the same files in this run; ``predict_images`` decides the files
    and writes the CSV (the experts' and the vote's scores per image).
    """
    experts = [(f"e{k}", FrozenEstimator(model)) for k, model in enumerate(models)]
    labels = np.arange(len(paths)) % 5
    ensemble = MultiExpertVotingClassifier(experts, cv="prefit").fit(paths[:64], labels[:64])
    n = len(paths)
    with tempfile.TemporaryDirectory(prefix="skmoe-predict-") as folder:
        loaded = load_model(save_model(ensemble, Path(folder) / "model"))
        per_image = sum(1 / best_of(runs, lambda e=expert: e.predict_proba(paths), n, device)
                        for expert in loaded.named_experts_.values())
        outputs = iter(range(runs + 1))

        def command():
            predict_images(loaded, paths, Path(folder) / f"run-{next(outputs)}.csv",
                           progress=False)

        return 1 / per_image, best_of(runs, command, n, device)


def gating_rates(gate_backbone, classifier_backbone, shape, n, batch_size, *, n_train, device,
                 runs):
    """Soft and hard gating on synthetic steel that is 70% defect-free; the share passed."""
    X, y = make_steel_defects(n + n_train, image_size=shape,
                              class_weights=[0.7, 0.1, 0.1, 0.05, 0.05], random_state=0)
    expert = {"image_size": shape, "batch_size": batch_size, "device": device,
              "validation_fraction": 0, "random_state": 0}
    pipeline = TwoStagePipeline(ImageClassifier(gate_backbone, max_epochs=2, **expert),
                                ImageClassifier(classifier_backbone, max_epochs=1, **expert),
                                gating="soft").fit(X[n:], y[n:])
    X = X[:n]
    soft = best_of(runs, lambda: pipeline.predict(X), n, device)
    # The gate's threshold is set where it passes the defective share (30%), as a perfect gate
    # would: the saving measured is that of the pass rate, whatever this short training learnt.
    background = list(pipeline.classes_).index("background")
    defect = 1 - pipeline.predict_proba(X)[:, background]  # the gate's P(defect), soft gating
    threshold = np.quantile(defect, 0.7)
    hard = pipeline.set_params(gating="hard", gate_threshold=float(threshold))
    hard_rate = best_of(runs, lambda: hard.predict(X), n, device)
    # Under hard gating a rejected image gets exactly 1 for the defect-free class.
    passed = float(np.mean(hard.predict_proba(X)[:, background] < 1))
    return soft, hard_rate, passed


# --- main --------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny models and images: about 2 minutes on a CPU (CI runs it)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    parser.add_argument("--backbones", nargs="+", help="timm backbones of table 1")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="leave out compile=True (compiling takes minutes per model)")
    parser.add_argument("--runs", type=int, help="steady-state runs, the best taken (default: 3; "
                        "--quick: 1)")
    args = parser.parse_args(argv)
    plan = dict(QUICK if args.quick else FULL)
    if args.backbones:
        plan["backbones"] = args.backbones
    runs = args.runs or plan["runs"]
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else \
        ("cpu" if args.device == "auto" else args.device)
    # On a CPU the quick mode checks that compiling works, not what it gains: the eager
    # backend traces in seconds where the default (inductor) compiles C++ for a minute.
    compile_ = ({"backend": "eager"} if args.quick else True) if args.compile else False
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__}, device {device} ({name}), {torch.get_num_threads()} "
          f"CPU threads, python {sys.version.split()[0]}\n")

    rows, fitted = [], []
    with tempfile.TemporaryDirectory(prefix="skmoe-bench-") as folder:
        for shape, n, batch_size in plan["sizes"]:
            # The same images for every backbone, written as JPEG files once per size.
            images = random_images(n, shape)
            sub = Path(folder) / f"{shape[0]}x{shape[1]}"
            sub.mkdir()
            paths = write_jpegs(images, sub)
            for backbone in plan["backbones"]:
                row, model = measure_classifier(
                    backbone, images, paths, batch_size, device=device,
                    workers=plan["workers"], compile_=compile_, runs=runs)
                rows.append(row)
                if shape == plan["sizes"][0][0]:
                    fitted.append((model, row["steady"]))
                    first_images, first_paths = images, paths
        print("Table 1. Classifiers: predict_proba against the bare backbone\n")
        print_classifier_table(rows)
        worst = min(r["steady"] / r["bare"] for r in rows)
        slowest_start = min(r["first"] / r["steady"] for r in rows)
        print(f"\nsteady >= 0.9x bare for every classifier: {'yes' if worst >= 0.9 else 'NO'} "
              f"(worst {worst:.2f}x); first call within 2x of steady: "
              f"{'yes' if slowest_start >= 0.5 else 'NO'} (worst {slowest_start:.2f})\n")

        print("Table 3. Decoding the JPEG files of the first size\n")
        print("| decoder | images/s |\n|---|---:|")
        for decoder, rate in decode_rates(first_paths, device=device, workers=plan["workers"],
                                          batch_size=plan["sizes"][0][2]).items():
            print(f"| {decoder} | {rate:.1f} |")
        # Measured while the files exist; printed with table 4.
        file_rates = predict_command_rates([model for model, _ in fitted], first_paths,
                                           device=device, runs=runs)

    shape, n, batch_size = plan["detector_images"]
    detector_rows = [measure_detector(kind, model_name, shape, n, batch_size, device=device,
                                      runs=runs, rcnn_kwargs=plan["rcnn_kwargs"])
                     for kind, model_name in plan["detectors"]]
    print("\nTable 2. Detectors: predict_proba against the bare model's prediction\n")
    print_detector_table(detector_rows)

    models, rates = zip(*fitted)
    bound, sequential, threaded = ensemble_rates(list(models), rates, first_images,
                                                 device=device, runs=runs)
    print(f"\nTable 4. The ensemble of the {len(models)} classifier(s) at "
          f"{plan['sizes'][0][0][0]} px\n")
    print("| predict | images/s | / sequential bound |\n|---|---:|---:|")
    for label, rate in (("sequential bound (1 / sum of the experts' per-image times)", bound),
                        ("one expert at a time", sequential),
                        ("experts in threads (joblib threading)", threaded)):
        print(f"| {label} | {rate:.1f} | {rate / bound:.2f}x |")
    file_bound, command = file_rates
    print("\nFrom the JPEG files, the ensemble loaded from a model folder (skmoe predict)\n")
    print("| predict | images/s | / sequential bound |\n|---|---:|---:|")
    print(f"| sequential bound on files (1 / sum of the experts' per-image times) | "
          f"{file_bound:.1f} | 1.00x |")
    print(f"| skmoe predict (predict_images, CSV written) | {command:.1f} | "
          f"{command / file_bound:.2f}x |")

    gate, classifier = plan["backbones"][0], plan["backbones"][-1]
    shape, n, batch_size = plan["sizes"][0]
    soft, hard, passed = gating_rates(gate, classifier, shape, min(n, 1024), batch_size,
                                      n_train=plan["gate_training_images"], device=device,
                                      runs=runs)
    print(f"\nTable 5. Two-stage ({gate} gate, {classifier} classifier) on a set 70% "
          f"defect-free; gate_threshold set where the gate passes 30%: it passed {passed:.0%}\n")
    print(f"| gating | images/s |\n|---|---:|\n| soft | {soft:.1f} |\n| hard | {hard:.1f} |")
    print(f"\nhard gating runs at {hard / soft:.2f}x the images/s of soft gating")

    segmenter_rows = [measure_segmenter(plan["backbones"][0], shape, n, batch_size,
                                        device=device, runs=runs)
                      for shape, n, batch_size in plan["sizes"]]
    print("\nTable 6. Segmentation experts: predict_proba against the bare U-Net\n")
    print_segmenter_table(segmenter_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
