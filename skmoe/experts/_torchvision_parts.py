"""Torch pieces of TorchvisionDetector: the model builder, the box-aware data, the RPN focal loss.

Imported only when a TorchvisionDetector fits or predicts, so ``import skmoe`` stays free of
torch.
"""

import numpy as np
import torch
import torchvision
from torchvision.models.detection.rpn import RegionProposalNetwork
from torchvision.ops import sigmoid_focal_loss

from ._detection import to_extent
from ._torch_parts import read_image

# Detection families whose builders take num_classes, min_size and max_size and whose training
# needs boxes only (Mask / Keypoint R-CNN need masks, SSD a fixed size).
FAMILIES = ("fasterrcnn", "retinanet", "fcos")


def supported_architectures():
    """torchvision detection builders TorchvisionDetector can train."""
    names = torchvision.models.list_models(module=torchvision.models.detection)
    return sorted(n for n in names if n.startswith(FAMILIES))


def build_model(architecture, n_classes, *, min_size, max_size, model_kwargs):
    """An untrained torchvision detector; labels 1..n_classes, 0 is "no object" throughout."""
    if architecture not in supported_architectures():
        raise ValueError(f"architecture={architecture!r} is not a supported torchvision "
                         f"detector; choose one of {supported_architectures()}.")
    return torchvision.models.get_model(
        architecture, weights=None, weights_backbone=None, num_classes=n_classes + 1,
        min_size=min_size, max_size=max_size, **(model_kwargs or {}),
    )


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
        if self.source.array is not None:
            image = self.source.array[i]
            if image.dtype.kind == "f":
                image = np.round(image * 255).astype(np.uint8)
            image = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
        else:
            image = read_image(self.source.paths[i], None, 3)
        image = image.expand(3, -1, -1) if image.shape[0] == 1 else image
        if self.boxes is None:
            return image, None
        boxes = self.boxes[i]
        target = {"boxes": torch.as_tensor(to_extent(boxes[:, 1:]), dtype=torch.float32),
                  "labels": torch.as_tensor(boxes[:, 0] + 1, dtype=torch.int64)}
        if self.augment:
            image, target["boxes"] = augment_sample(image, target["boxes"])
        return image, target


def collate(batch):
    """Detection models take lists: images of different sizes stay separate tensors."""
    return tuple(zip(*batch))


def augment_sample(image, boxes):
    """Flips, a random crop that keeps every box whole, brightness and contrast changes.

    ``image`` is a uint8 tensor (3, H, W), ``boxes`` continuous (x1, y1, x2, y2) corners.
    """
    _, height, width = image.shape
    boxes = boxes.clone()
    if torch.rand(()) < 0.5:
        image = image.flip(-1)
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    if torch.rand(()) < 0.5:
        image = image.flip(-2)
        boxes[:, [1, 3]] = height - boxes[:, [3, 1]]
    if torch.rand(()) < 0.5:
        image, boxes = _crop_around_boxes(image, boxes)
    scale = 1 + (torch.rand(2) - 0.5) * 0.4  # brightness, contrast: +-20 %
    x = image.float()
    x = ((x - x.mean()) * scale[1] + x.mean() * scale[0]).clamp(0, 255)
    return x.to(torch.uint8), boxes


def _crop_around_boxes(image, boxes, min_share=0.6):
    """A random crop of at least ``min_share`` of each side that contains every box."""
    _, height, width = image.shape
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
    x1, y1 = (int(v) for v in lo)
    x2, y2 = (int(v) for v in hi)
    boxes = boxes - torch.tensor([x1, y1, x1, y1], dtype=boxes.dtype)
    return image[:, y1:y2, x1:x2], boxes


def train(model, loader, *, device, lr, weight_decay, max_epochs, mixed_precision, progress):
    """SGD with momentum 0.9, a linear warm-up, and torchvision's step decay at 2/3 and 11/12.

    ``progress`` wraps the range of epochs (a tqdm bar, which shows the last epoch's loss).
    Returns the mean loss of every epoch.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    steps = max_epochs * len(loader)
    warmup = min(500, len(loader))
    milestones = (int(steps * 2 / 3), int(steps * 11 / 12))

    def factor(step):
        decay = 0.1 ** sum(step >= m for m in milestones)
        return decay * min(1.0, (step + 1) / warmup)

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    model.to(device).train()
    losses = []
    epochs = progress(range(max_epochs))
    for _ in epochs:
        total = 0.0
        for images, targets in loader:
            images = [im.to(device, non_blocking=True).float() / 255 for im in images]
            targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                                enabled=mixed_precision):
                loss = sum(model(images, targets).values())
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    "The detector's training loss became infinite or NaN; lower lr (and check "
                    "that the boxes are in pixels, not normalised)."
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, max_norm=10.0)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
        losses.append(total / len(loader))
        epochs.set_postfix(loss=f"{losses[-1]:.4f}")
    return np.array(losses)


def detect(model, loader, *, device, mixed_precision):
    """(label - 1, continuous x1, y1, x2, y2, score) arrays, one per image, in the input order."""
    model.to(device).eval()
    detections = []
    with torch.inference_mode():
        for images, _ in loader:
            images = [im.to(device, non_blocking=True).float() / 255 for im in images]
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

