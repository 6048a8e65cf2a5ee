"""SegmentationExpert: a U-Net on a timm encoder, trained on defect masks, scored per image."""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..utils._global_state import keeps_global_state
from ..utils._images import check_image_input, source_sizes
from ..utils._labels import background_column, defect_columns, with_background_column
from ..utils._messages import warn_at_caller
from ..utils._optional import import_optional
from ..utils._sklearn_compat import Interval, StrOptions
from ._base import BaseImageExpert, image_shape

# More marked channels than this share naming a class their image's label lacks means the
# channels most likely follow another order than classes_ (as for a detector's boxes).
MISMATCH_WARNING_SHARE = 0.5


class SegmentationExpert(BaseImageExpert):
    """Pixel-level expert: a U-Net on a timm encoder trained on per-class defect masks.

    The network predicts, for every pixel, the probability of each defect class. An image's
    score for a class is the largest of its pixel probabilities (``pixel_score="max"``) or a
    high quantile of them (e.g. ``0.999``: one stray pixel then does not decide); the
    defect-free column is one minus the highest defect score, as for the detectors. A
    segmentation network sees defects a few pixels wide that a whole-image classifier at the
    same resolution misses: it is told where they are.

    Training: binary cross-entropy per pixel plus the soft Dice loss of each defect class
    (defects cover a tiny share of the pixels), AdamW with cosine annealing, for
    ``max_epochs`` (no held-out part: the last epoch is kept, where the cosine schedule has
    brought the learning rate to zero, rather than an epoch chosen by a noisy score on a few
    held-out images). Masks go in as ``fit(X, y, masks=...)``: per image a
    boolean array (n_classes, H, W) whose channel c marks the pixels of class c of
    ``classes_`` (the defect-free channel empty), the layout ``load_magnetic_tile``,
    ``load_severstal`` and ``make_steel_defects`` give with ``return_masks=True``. In a
    meta-estimator, request them with ``set_fit_request(masks=True)``.

    Parameters
    ----------
    backbone : str, default="resnet18"
        The timm encoder (``timm.create_model(..., features_only=True)``), e.g.
        ``"tf_efficientnet_lite0"``, ``"resnet34"``, ``"convnext_small"``.
    checkpoint_path : str or Path, default=None
        A local torch state dict of the encoder's classification model (e.g. ImageNet
        weights); its classifier head is ignored. Nothing is downloaded.
    image_size : int or (int, int), default=256
        Side, or (height, width), of the images the network sees; masks are shrunk to it
        keeping every defect pixel.
    in_chans : int, default=None
        Input channels; by default those of the images (1 for grayscale arrays, 3 for paths).
    batch_size : int, default=16
    lr : float, default=0.001
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW's decoupled weight decay.
    max_epochs : int, default=40
    augment : bool, default=False
        The same random horizontal and vertical flips of each image and its masks.
    pixel_score : "max" or float in (0, 1), default="max"
        How an image's score for a class comes from its pixel probabilities: the largest, or
        this quantile. It applies at prediction only: choose it on validation images after
        ``fit`` with ``set_params``, no retraining. A quantile q ignores defects covering less
        than a share 1 - q of the image (0.99 at 160 x 160 px: 256 pixels), so "max" is the
        default, safe for the thinnest defects. On Magnetic-tile (160 px, 10 epochs) 0.99 was
        better: validation / test macro F1 0.403 / 0.365 against 0.362 / 0.346 for "max".
    background_class : "auto", label or None, default="auto"
        The defect-free class. "auto": the one class whose mask channel is empty in every
        image. None: every class is a defect class.
    device, mixed_precision, num_workers, random_state
        As in :class:`~skmoe.experts.BaseImageExpert`.
    verbose : int, default=0
        > 0 prints a line per epoch (loss, learning rate, seconds); >= 2 adds a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    multilabel_ : bool
    background_index_ : int or None
        Column of the defect-free class in ``classes_``.
    n_channels_ : int
    network_ : torch.nn.Module
        The trained U-Net (preprocessing included); it outputs one logit map per defect class.
    history_ : skorch.history.History
        Per-epoch training loss, learning rate and duration.
    device_ : str

    See Also
    --------
    ImageClassifier : the whole-image CNN expert.
    TorchvisionDetector : an expert trained on boxes instead of masks.

    Examples
    --------
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import SegmentationExpert
    >>> X, y, masks = make_steel_defects(60, image_size=32, class_weights=[1] * 5,
    ...                                  return_masks=True, random_state=0)
    >>> expert = SegmentationExpert("resnet10t", image_size=32, max_epochs=1, random_state=0)
    >>> expert.fit(X, y, masks=masks).predict_proba(X[:2]).shape
    (2, 5)
    """

    _networks = ("network_",)
    _parameter_constraints = {
        **BaseImageExpert._parameter_constraints,
        "backbone": [str],
        "checkpoint_path": [str, os.PathLike, None],
        "image_size": [Interval(Integral, 8, None, closed="left"), tuple, list],
        "in_chans": [None, Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "augment": ["boolean"],
        "pixel_score": [StrOptions({"max"}), Interval(Real, 0, 1, closed="neither")],
        "background_class": [StrOptions({"auto"}), str, Real, None],
    }

    def __init__(
        self,
        backbone="resnet18",
        *,
        checkpoint_path=None,
        image_size=256,
        in_chans=None,
        batch_size=16,
        lr=0.001,
        weight_decay=1e-4,
        max_epochs=40,
        augment=False,
        pixel_score="max",
        background_class="auto",
        device="auto",
        mixed_precision=True,
        num_workers=0,
        random_state=None,
        verbose=0,
    ):
        self.backbone = backbone
        self.checkpoint_path = checkpoint_path
        self.image_size = image_size
        self.in_chans = in_chans
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.augment = augment
        self.pixel_score = pixel_score
        self.background_class = background_class
        self.device = device
        self.mixed_precision = mixed_precision
        self.num_workers = num_workers
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, masks=None):
        """Train the network on the defect masks of the images.

        Parameters
        ----------
        X : array of images or sequence of image paths
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Image labels: they fix ``classes_`` (the columns of ``predict_proba``).
        masks : sequence of array-like of shape (n_classes, H, W)
            Per image, boolean masks of the classes of ``classes_``, at the image's size.

        Returns
        -------
        self
        """
        return super().fit(X, y, masks=masks)

    def _fit(self, source, indicator, masks):
        from . import _segmentation_parts as parts

        shape = image_shape(self.image_size)
        self.n_channels_ = self.in_chans or source.n_channels or 3
        masks = check_masks(masks, source_sizes(source), len(self.classes_))
        self.background_index_ = self._background_index(masks, indicator)
        defects = self._defect_columns()
        self._check_masks_against_labels(masks, indicator, defects)
        dataset = parts.MaskDataset(source, masks, shape=shape, n_channels=self.n_channels_,
                                    channels=defects)
        self.network_, self.history_ = parts.train(
            self._build_network(shape, len(defects)), dataset, expert=self,
            lr=self.lr, weight_decay=self.weight_decay, max_epochs=self.max_epochs,
            batch_size=self.batch_size, augment=self.augment)

    def _predict_proba(self, source, device):
        """Per class, the image's score from its pixel probabilities (see ``pixel_score``);
        the defect-free column, when there is one, is one minus the highest defect score.
        Columns are independent scores, not a distribution over classes."""
        from . import _segmentation_parts as parts
        from ._torch_parts import ImageBatches

        batches = ImageBatches(np.arange(len(source)), source=source,
                               shape=image_shape(self.image_size), n_channels=self.n_channels_,
                               batch_size=self.batch_size)
        scores = parts.image_scores(self.network_, batches, device=device,
                                    num_workers=self.num_workers, pixel_score=self.pixel_score)
        return with_background_column(scores, len(self.classes_), self.background_index_)

    @keeps_global_state
    def predict_masks(self, X):
        """Pixel probabilities of each class, at the network's input size.

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        masks : ndarray of shape (n_samples, n_classes, height, width), float32
            Per class of ``classes_``, the probability that a pixel shows it, on the
            ``image_size`` grid the images were resized to (resize a map to its image to
            overlay it); the defect-free class's map is one minus the highest defect map.
        """
        import torch

        from ._inference import predict_in_batches, ready_for_inference
        from ._torch_parts import ImageBatches

        check_is_fitted(self)
        source = check_image_input(X)
        device = self._prediction_device()
        batches = ImageBatches(np.arange(len(source)), source=source,
                               shape=image_shape(self.image_size), n_channels=self.n_channels_,
                               batch_size=self.batch_size)
        defects = predict_in_batches(ready_for_inference(self.network_, device), batches,
                                     device=device, num_workers=self.num_workers,
                                     output=torch.sigmoid).astype(np.float32)
        masks = np.zeros((len(defects), len(self.classes_), *defects.shape[2:]), np.float32)
        masks[:, self._defect_columns()] = defects
        if self.background_index_ is not None:
            masks[:, self.background_index_] = 1 - defects.max(axis=1)
        return masks

    # --- building blocks -------------------------------------------------------------------

    def _defect_columns(self):
        return defect_columns(len(self.classes_), self.background_index_)

    def _network_architecture(self, attribute):
        return self._build_network(image_shape(self.image_size), len(self._defect_columns()))

    def _check_masks_against_labels(self, masks, indicator, defects):
        """Refuse masks without a defect pixel; warn when they disagree with the labels."""
        marked = np.array([m.reshape(len(self.classes_), -1).any(axis=1) for m in masks])
        if not marked[:, defects].any():
            raise ValueError(f"None of the {len(masks)} masks marks a defect pixel: the "
                             "segmenter learns from the pixels of the defects. Check that the "
                             "masks were loaded (e.g. return_masks=True) and are not all empty.")
        disagreeing = (indicator[marked] == 0).mean()
        if disagreeing > MISMATCH_WARNING_SHARE:
            warn_at_caller(
                f"{disagreeing:.0%} of the marked mask channels are classes their image's label "
                f"does not have. Mask channels must follow classes_ {self.classes_.tolist()} "
                "(the sorted labels of 1-D y): reorder the channels of masks made in another "
                "class order.")

    def _background_index(self, masks, indicator):
        """Column of the defect-free class: given, or ("auto") the one class whose channel is
        empty in every mask and which labels some image."""
        marked = np.zeros(len(self.classes_), dtype=bool)
        for image_masks in masks:
            marked |= image_masks.reshape(len(self.classes_), -1).any(axis=1)
        if self.background_class is None:
            return None
        if isinstance(self.background_class, str) and self.background_class == "auto":
            candidates = np.flatnonzero(~marked & indicator.any(axis=0))
            return int(candidates[0]) if len(candidates) == 1 else None
        index = background_column(self.classes_, self.background_class,
                                  multilabel=self.multilabel_)
        if marked[index]:
            raise ValueError(f"Masks mark pixels of the defect-free class "
                             f"{self.background_class!r}: its channel must be empty.")
        return index

    def _build_network(self, shape, n_outputs):
        timm = import_optional("timm", needed_by="SegmentationExpert")
        from timm.data import resolve_model_data_config

        from ._checkpoints import load_checkpoint
        from ._segmentation_parts import UNet
        from ._torch_parts import Preprocess

        if not timm.is_model(self.backbone):
            raise ValueError(f"Unknown timm backbone {self.backbone!r}; see timm.list_models().")
        encoder = timm.create_model(self.backbone, features_only=True, pretrained=False,
                                    in_chans=self.n_channels_)
        if self.checkpoint_path is not None:
            load_checkpoint(encoder, self.checkpoint_path, self.n_channels_)
        data_config = resolve_model_data_config(encoder)
        preprocess = Preprocess(shape, self.n_channels_, False, mean=data_config["mean"],
                                std=data_config["std"])
        return UNet(encoder, preprocess, n_outputs,
                    mixed_precision=self._autocast(self.device_))


def check_masks(masks, sizes, n_classes):
    """Masks as boolean arrays (n_classes, H, W), one per image at its size; else a clear
    error that says what is wrong and how the loaders give them."""
    if masks is None:
        raise ValueError("SegmentationExpert learns from masks: pass fit(X, y, masks=...), per "
                         "image a boolean array (n_classes, H, W) (the loaders and "
                         "make_steel_defects give them with return_masks=True).")
    if len(masks) != len(sizes):
        raise ValueError(f"masks has {len(masks)} entries but X has {len(sizes)} images; give "
                         "one (n_classes, H, W) array per image.")
    checked = []
    for i, (image_masks, size) in enumerate(zip(masks, sizes)):
        expected = (n_classes, *map(int, size))
        try:
            image_masks = np.asarray(image_masks)
        except ValueError:  # ragged nested lists
            raise ValueError(f"masks[{i}] is not an array of shape {expected}: give one boolean "
                             "array (n_classes, H, W) per image.") from None
        if image_masks.shape != expected:
            raise ValueError(f"masks[{i}] has shape {image_masks.shape}; expected {expected}: "
                             "one channel per class of classes_, at the image's (height, "
                             "width). A class of the dataset that no image of y has is not "
                             "in classes_: drop its channel.")
        if image_masks.dtype != bool:
            if not np.isin(image_masks, (0, 1)).all():
                raise ValueError(f"masks[{i}] holds values other than 0 and 1; give boolean "
                                 "masks.")
            image_masks = image_masks.astype(bool)
        checked.append(image_masks)
    return checked
