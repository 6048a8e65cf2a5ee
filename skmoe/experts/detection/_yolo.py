"""YOLODetector: an ultralytics detector (YOLOv8, YOLO11, RT-DETR) as an image-level expert.

ultralytics is AGPL-3.0; it stays an optional extra (``skmoe[yolo]``) imported only here, when a
detector fits or predicts.
"""

import os
from numbers import Integral
from pathlib import Path

import numpy as np

from ...utils._images import as_uint8
from ...utils._sklearn_compat import Interval
from .._base import BaseImageExpert
from ._base import BaseDetector
from ._ultralytics import (
    checkpoint_network,
    import_ultralytics,
    model_class,
    network_checkpoint,
    quiet_unless,
    read_history,
    temporary_folder,
    ultralytics_device,
    write_yolo_dataset,
)


class YOLODetector(BaseDetector):
    """An ultralytics detector trained on boxes, scoring each class by its best box.

    ``fit`` writes the images and boxes as a temporary dataset in the layout ultralytics reads
    and trains ``model`` on it; the trained weights are kept in memory (``checkpoint_``), so the
    fitted estimator pickles and loads anywhere. ``predict_proba`` gives, per class, the highest
    confidence of the class's boxes in the image (0 when none): the image-level expert of the
    multi-expert method. ``predict_boxes`` keeps the boxes.

    Nothing is downloaded: ``model`` is a model definition (``"yolov8n.yaml"``, ``"yolo11s.yaml"``,
    ``"rtdetr-l.yaml"``), trained from scratch, or a local ``.pt`` checkpoint, fine-tuned.
    ultralytics runs offline (``YOLO_OFFLINE=1`` unless you set it) and finds its plotting font
    locally (matplotlib's DejaVu Sans is copied into its config folder when the font is missing).

    Parameters
    ----------
    model : str or Path, default="yolov8n.yaml"
        An ultralytics model YAML (trained from scratch) or a local ``.pt`` file (fine-tuned).
        RT-DETR models (a name containing ``"rtdetr"``) train through ultralytics' RTDETR class.
    image_size : int, default=640
        Side of the square, letterboxed images the network sees (ultralytics' ``imgsz``).
    batch_size : int, default=16
    max_epochs : int, default=100
        The reference method trained 100 epochs.
    patience : int, default=100
        Epochs without improvement of the validation fitness before training stops (needs
        ``validation_fraction > 0``).
    validation_fraction : float, default=0.1
        Held-out share of the training images (stratified per class), validated every epoch;
        the best epoch's weights are kept. "Best" is ultralytics' fitness, the box mAP@0.5:0.95
        of the held-out images averaged over classes: a balanced score that rises as the
        detector learns, not a loss that spikes (with a tiny held-out share, or very few epochs,
        it is still noisy: then train on everything). 0 trains on everything and keeps the
        last epoch.
    background_class : "auto", str, int or None, default="auto"
        Label of the defect-free images (a column index for an indicator ``y``). Its
        probability is one minus the highest defect score. "auto": the one class of ``y``
        that no box names and whose images have no boxes (the defect-free class of every
        loader in :mod:`skmoe.datasets` and of the synthetic data), or none when no class or
        several classes are like that. None: every class is a defect.
    min_score : float, default=0.001
        Boxes scoring below are discarded at prediction; a low value keeps weak detections as
        graded scores for the ensemble's threshold search.
    train_kwargs : dict, default=None
        Further ultralytics training arguments, e.g. ``{"mosaic": 0.5, "lr0": 0.005}``.
    run_dir : str or path-like, default=None
        Where ultralytics writes its training run (``train/``: weights, ``results.csv``, its
        plots), as ``yolo train`` does. None: a temporary folder, deleted after training (the
        trained weights stay in ``checkpoint_``).
    device, mixed_precision, num_workers
        As in :class:`~skmoe.experts.BaseImageExpert` (bf16 through ultralytics'
        ``amp="bf16"``).
    random_state : int, default=None
        Seed of ultralytics (deterministic training) and of the validation split.
    verbose : int, default=0
        > 0 shows ultralytics' training and prediction output.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    multilabel_ : bool
    background_index_ : int or None
        Column of the defect-free class (None: every class is a defect).
    checkpoint_ : bytes
        The trained ultralytics checkpoint; ``Path("best.pt").write_bytes(checkpoint_)`` gives
        a file every ultralytics tool opens.
    history_ : skorch.history.History
        One row per epoch: ``epoch``, ``train_loss``, ``lr`` and ``dur`` as every expert's
        history, beside ultralytics' own results (its losses, and validation metrics when
        validating), e.g. ``history_[:, "metrics/mAP50(B)"]``.
    device_ : str
        Device the model was trained on.

    Examples
    --------
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import YOLODetector
    >>> X, y, boxes = make_steel_defects(64, image_size=64, return_boxes=True, random_state=0)
    >>> detector = YOLODetector(image_size=64, max_epochs=1, validation_fraction=0)
    >>> detector.fit(X, y, boxes=boxes).predict_proba(X[:2]).shape
    (2, 5)
    """

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        **BaseImageExpert._validation_constraint,
        "model": [str, os.PathLike],
        "image_size": [Interval(Integral, 32, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "train_kwargs": [dict, None],
        "run_dir": [str, os.PathLike, None],
    }

    def __init__(
        self,
        model="yolov8n.yaml",
        *,
        image_size=640,
        batch_size=16,
        max_epochs=100,
        patience=100,
        validation_fraction=0.1,
        background_class="auto",
        min_score=0.001,
        device="auto",
        mixed_precision=True,
        num_workers=0,
        train_kwargs=None,
        run_dir=None,
        random_state=None,
        verbose=0,
    ):
        self.model = model
        self.image_size = image_size
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.background_class = background_class
        self.min_score = min_score
        self.device = device
        self.mixed_precision = mixed_precision
        self.num_workers = num_workers
        self.train_kwargs = train_kwargs
        self.run_dir = run_dir
        self.random_state = random_state
        self.verbose = verbose

    def _train(self, source, boxes, sizes, indicator):
        ultralytics = import_ultralytics(needed_by="YOLODetector")
        model_path = self._check_model_path()
        _, val_rows = self._validation_split(indicator)
        names = [str(c) for c in self.classes_]
        with temporary_folder() as tmp, quiet_unless(self.verbose):
            data = write_yolo_dataset(Path(tmp) / "data", source, boxes, sizes, names,
                                      val_rows)
            model = model_class(ultralytics, model_path)(model_path)
            # Absolute: ultralytics puts a relative project under its own runs folder.
            runs = Path(tmp) / "runs" if self.run_dir is None else Path(self.run_dir).resolve()
            model.train(**self._train_arguments(data, runs, len(val_rows) > 0))
            trainer = model.trainer
            best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
            self.checkpoint_ = best.read_bytes()
            self.history_ = read_history(Path(trainer.save_dir) / "results.csv")
        if self.verbose and self.run_dir is None:
            # ultralytics' log above names the run folder; it no longer exists.
            print(f"YOLODetector: the run folder {trainer.save_dir} was temporary and is deleted; "
                  "set run_dir to keep it (the weights stay in checkpoint_, the per-epoch "
                  "metrics in history_).")
        self._loaded = None
        return self

    def _detect(self, source, device):
        model = self._loaded_model()
        device = ultralytics_device(device)
        detections = []
        with quiet_unless(self.verbose):
            for start in range(0, len(source), self.batch_size):
                inputs = _bgr_inputs(source, start, start + self.batch_size)
                results = model.predict(inputs, imgsz=self.image_size, conf=self.min_score,
                                        device=device, batch=len(inputs), verbose=False)
                detections.extend(_as_detections(r) for r in results)
        return detections

    # --- helpers ---------------------------------------------------------------------------

    def _train_arguments(self, data, runs, validate):
        """ultralytics' training arguments: the estimator's parameters, then train_kwargs."""
        arguments = dict(
            data=str(data), epochs=self.max_epochs, imgsz=self.image_size,
            batch=self.batch_size, device=ultralytics_device(self.device_),
            patience=self.patience, val=validate,
            # bf16 autocast on CUDA, as the other experts. ultralytics' fp16 mode would first
            # run its AMP check, which loads (and offline would try to download) yolo26n.pt.
            amp="bf16" if self._autocast(self.device_) else False,
            workers=self.num_workers, seed=self.random_state or 0,
            deterministic=self.random_state is not None, verbose=bool(self.verbose),
            # Plots only where the run is kept: in a temporary folder they cost time for nothing.
            project=str(runs), name="train", exist_ok=True, plots=self.run_dir is not None,
        )
        extra = dict(self.train_kwargs or {})
        taken = sorted(set(extra) & set(arguments))
        if taken:
            raise ValueError(f"train_kwargs sets {taken}, which YOLODetector sets itself (epochs "
                             "from max_epochs, imgsz from image_size, batch from batch_size, seed "
                             "from random_state, ...); set those parameters instead.")
        return {**arguments, **extra}

    def _check_model_path(self):
        model = str(self.model)
        if model.endswith((".yaml", ".yml")):
            return model  # a definition: ultralytics resolves its own model YAMLs by name
        if not Path(model).is_file():
            raise FileNotFoundError(
                f"model={model!r} is neither a model YAML (e.g. 'yolov8n.yaml', trained from "
                "scratch) nor a local checkpoint file. skmoe never downloads weights: fetch the "
                ".pt file yourself and pass its path."
            )
        return model

    def _loaded_model(self):
        """The ultralytics model of ``checkpoint_``, loaded once per process."""
        if getattr(self, "_loaded", None) is None:
            ultralytics = import_ultralytics(needed_by="YOLODetector")
            with temporary_folder() as tmp:
                path = Path(tmp) / "model.pt"
                path.write_bytes(self.checkpoint_)
                self._loaded = model_class(ultralytics, str(self.model))(str(path))
        return self._loaded

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_loaded", None)  # rebuilt from checkpoint_ on first use
        return state

    # --- model folders (skmoe.save_model): the checkpoint, a pickle, saved as weights --------

    _saved_networks = ("checkpoint_",)

    def _network_to_save(self, attribute):
        network, architecture = checkpoint_network(self.checkpoint_)
        return network, None, architecture

    def _restore_networks(self, saved):
        (weights, _, architecture), = saved.values()
        self.checkpoint_ = network_checkpoint(architecture, weights)
        self._loaded = None


def _bgr_inputs(source, start, stop):
    """Images as ultralytics takes them: paths, or uint8 BGR arrays (OpenCV's channel order)."""
    if source.paths is not None:
        return source.paths[start:stop]
    batch = as_uint8(source.array[start:stop])
    batch = np.repeat(batch, 3, axis=-1) if batch.shape[-1] == 1 else batch[..., ::-1]
    return [np.ascontiguousarray(image) for image in batch]


def _as_detections(result):
    """(class, x1, y1, x2, y2, confidence) from one ultralytics Result (its xyxy boxes are
    continuous, far edges exclusive, as skmoe's)."""
    boxes = result.boxes
    return np.column_stack([boxes.cls.cpu().numpy(), boxes.xyxy.cpu().numpy(),
                            boxes.conf.cpu().numpy()]).astype(np.float64).reshape(-1, 6)
