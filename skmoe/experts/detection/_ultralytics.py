"""How skmoe talks to ultralytics: an offline import, the dataset layout it reads, its globals.

ultralytics changes process-wide state (print options, torch's thread count, deterministic
algorithms: undone by ``skmoe.utils._global_state``) and reaches for the network on its own
(fonts, hub events); what keeps the rest of it contained lives here.
"""

import contextlib
import csv
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from ...utils._images import as_uint8
from ...utils._optional import import_optional

_FONTS = ("Arial.ttf", "Arial.Unicode.ttf")
# Temporary folders are named skmoe-yolo-<pid>-<random>: a later fit can tell the folders of a
# process that died (a killed fit) from those of one still running.
_TEMPORARY_PREFIX = "skmoe-yolo-"


def import_ultralytics(*, needed_by):
    """Import ultralytics offline, with its plotting fonts present so it never fetches them.

    ``YOLO_OFFLINE=1`` is set unless the user chose a value: skmoe trains from model YAMLs or
    local checkpoints and needs no download. On import ultralytics sets ``OMP_NUM_THREADS=1``
    when unset and changes numpy's print options for the whole process; both are undone, so
    the rest of the process keeps its threads and prints arrays as before.
    """
    first_import = "ultralytics" not in sys.modules
    if first_import:
        os.environ.setdefault("YOLO_OFFLINE", "1")
    omp_was_set = "OMP_NUM_THREADS" in os.environ
    print_options = np.get_printoptions()
    try:
        module = import_optional("ultralytics", needed_by=needed_by)
    finally:
        np.set_printoptions(**print_options)
        if first_import and not omp_was_set:
            os.environ.pop("OMP_NUM_THREADS", None)
    _provide_fonts()
    return module


def temporary_folder():
    """A temporary folder for one fit or load, removed when done.

    A process killed mid-fit cannot remove its folder (the dataset copy and the run: tens of
    MB); such folders, left by processes that no longer run, are removed first.
    """
    remove_orphaned_folders()
    return tempfile.TemporaryDirectory(prefix=f"{_TEMPORARY_PREFIX}{os.getpid()}-")


def remove_orphaned_folders():
    """Remove the temporary folders of skmoe YOLO fits whose process no longer runs."""
    if os.name != "posix":  # os.kill(pid, 0) only tests for a process on POSIX
        return
    for folder in Path(tempfile.gettempdir()).glob(f"{_TEMPORARY_PREFIX}*-*"):
        pid = folder.name[len(_TEMPORARY_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _provide_fonts():
    """Offline, ultralytics' dataset check would try to download Arial; give it a local font."""
    from ultralytics import utils

    if utils.ONLINE:
        return
    font = Path(_matplotlib_font())
    for name in _FONTS:
        target = Path(utils.USER_CONFIG_DIR) / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(font, target)


def _matplotlib_font():
    from matplotlib import font_manager

    return font_manager.findfont("DejaVu Sans", fallback_to_default=True)


def model_class(ultralytics, model):
    """RT-DETR trains through ultralytics' RTDETR class, every YOLO version through YOLO."""
    return ultralytics.RTDETR if "rtdetr" in Path(str(model)).name.lower() else ultralytics.YOLO


def ultralytics_device(device):
    """A torch device name ("cpu", "cuda", "cuda:1") as ultralytics spells it ("cpu", "0", "1")."""
    return device.partition(":")[2] or "0" if device.startswith("cuda") else device


@contextlib.contextmanager
def quiet_unless(verbose):
    """ultralytics logs (and draws progress bars) at INFO; keep it to warnings unless verbose."""
    logger = logging.getLogger("ultralytics")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def write_yolo_dataset(root, source, boxes, sizes, names, val_rows):
    """Write images and boxes in the layout ultralytics reads; return the data YAML's path.

    ``images/{train,val}/NNNNNN.png`` with ``labels/{train,val}/NNNNNN.txt`` beside them, one
    ``class cx cy w h`` line per box, normalised to the image size. Array images are written as
    PNG; image files are linked (copied where links are not allowed). Without validation rows
    ultralytics still wants a ``val`` entry: it points at the training images (used only for
    the final epoch's metrics).
    """
    is_val = np.zeros(len(source), dtype=bool)
    is_val[val_rows] = True
    for i, (height, width) in enumerate(sizes):
        part = "val" if is_val[i] else "train"
        image_path = _write_image(source, i, root / "images" / part)
        label = root / "labels" / part / f"{image_path.stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(_yolo_lines(boxes[i], width, height))
    yaml = root / "data.yaml"
    val = "images/val" if is_val.any() else "images/train"
    listed = "\n".join(f"  {i}: {_yaml_string(name)}" for i, name in enumerate(names))
    yaml.write_text(f"path: {_yaml_string(str(root))}\ntrain: images/train\nval: {val}\n"
                    f"names:\n{listed}\n")
    return yaml


def _write_image(source, i, folder):
    folder.mkdir(parents=True, exist_ok=True)
    if source.paths is not None:
        original = Path(source.paths[i])
        target = folder / f"{i:06d}{original.suffix.lower()}"
        try:
            target.symlink_to(original.resolve())
        except OSError:
            shutil.copyfile(original, target)
        return target
    from PIL import Image

    image = as_uint8(source.array[i])
    target = folder / f"{i:06d}.png"
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(target)
    return target


def _yolo_lines(boxes, width, height):
    """Boxes as YOLO's label lines: class, then centre and size normalised to the image."""
    import torch
    from torchvision.ops import box_convert

    if not len(boxes):
        return ""
    centre_size = box_convert(torch.as_tensor(boxes[:, 1:]), "xyxy", "cxcywh").numpy()
    cx, cy, w, h = (centre_size / [width, height, width, height]).T
    return "".join(f"{int(c)} {a:.6f} {b:.6f} {d:.6f} {e:.6f}\n"
                   for c, a, b, d, e in zip(boxes[:, 0], cx, cy, w, h))


def _yaml_string(text):
    return "'" + text.replace("'", "''") + "'"


def read_history(results_csv):
    """ultralytics' results.csv as a skorch History, in the columns every expert's history
    shares: ``epoch``, ``train_loss`` (the sum of the ``train/*`` losses), ``lr`` (the first
    parameter group's) and ``dur`` (seconds), beside every ultralytics column (e.g.
    ``"metrics/mAP50(B)"``). Empty when training wrote none."""
    from skorch.history import History

    history = History()
    if not Path(results_csv).is_file():
        return history
    with open(results_csv, newline="") as f:
        rows = [{key.strip(): float(value) for key, value in row.items()}
                for row in csv.DictReader(f)]
    elapsed = 0.0
    for row in rows:
        history.new_epoch()
        history.record("epoch", int(row["epoch"]))
        history.record("train_loss", sum(v for k, v in row.items() if k.startswith("train/")))
        history.record("lr", row.get("lr/pg0", float("nan")))
        # ultralytics' "time" is the seconds since training began
        history.record("dur", row.get("time", float("nan")) - elapsed)
        elapsed = row.get("time", elapsed)
        for key, value in row.items():
            if key not in ("epoch", "time"):
                history.record(key, value)
    return history


# The ultralytics network classes a model folder may rebuild (by name, from this list only).
_NETWORK_CLASSES = ("DetectionModel", "RTDETRDetectionModel")


def checkpoint_network(checkpoint):
    """The network of an ultralytics checkpoint (bytes) and the description that rebuilds it.

    The network is loaded fresh (float32, not fused: prediction fuses a loaded model's
    batch norms in place). The description is plain data: the network class, ultralytics'
    model definition (the YAML as a dict), the class names and the task.
    """
    ultralytics = import_ultralytics(needed_by="YOLODetector")
    from ultralytics.nn.tasks import load_checkpoint

    with temporary_folder() as tmp:
        path = Path(tmp) / "model.pt"
        path.write_bytes(checkpoint)
        network, _ = load_checkpoint(path)
    if type(network).__name__ not in _NETWORK_CLASSES:
        raise TypeError(f"A YOLODetector network of type {type(network).__name__} cannot be "
                        f"saved in a model folder (ultralytics {ultralytics.__version__}); "
                        f"detectors of {', '.join(_NETWORK_CLASSES)} can.")
    names = [network.names[i] for i in range(len(network.names))]
    return network, {"class": type(network).__name__, "definition": network.yaml,
                     "names": names, "task": network.task}


def network_checkpoint(architecture, weights):
    """An ultralytics checkpoint (bytes) of a network rebuilt from its description
    (:func:`checkpoint_network`) and given ``weights``, in the half precision ultralytics
    saves (the weights came from such a checkpoint: nothing is lost)."""
    import copy
    import io

    import torch

    import_ultralytics(needed_by="YOLODetector")
    from ultralytics.nn import tasks

    if architecture["class"] not in _NETWORK_CLASSES:
        raise ValueError(f"The model folder names the ultralytics network "
                         f"{architecture['class']!r}; only {', '.join(_NETWORK_CLASSES)} load.")
    network_class = getattr(tasks, architecture["class"])
    with quiet_unless(False):
        network = network_class(copy.deepcopy(architecture["definition"]), verbose=False)
    network.load_state_dict(weights)
    network.names = dict(enumerate(architecture["names"]))
    network.task = architecture["task"]
    buffer = io.BytesIO()
    torch.save({"model": network.half().eval(), "train_args": {"task": architecture["task"]}},
               buffer)
    return buffer.getvalue()
