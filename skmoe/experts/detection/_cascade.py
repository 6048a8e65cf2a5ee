"""Cascade R-CNN box heads on torchvision's Faster R-CNN (Cai and Vasconcelos, CVPR 2018).

Three box heads run in sequence: each classifies and refines the boxes the one before it
refined, and each is trained with a stricter IoU for a positive (0.5, 0.6, 0.7). A single head
trained at IoU 0.5 learns to accept loose boxes; the later heads see proposals that are already
close and learn to tell close from exact. Imported only when a TorchvisionDetector with a
``cascadercnn_*`` architecture is built.
"""

import copy

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models.detection.roi_heads import RoIHeads, fastrcnn_loss
from torchvision.ops import boxes as box_ops

# Per stage, the paper's (IoU for a positive, box-coder weights, loss weight). The coder weights
# grow because refined boxes lie closer to their objects: the deltas a later stage regresses
# are smaller, and larger weights scale them back to about unit spread.
STAGES = (
    (0.5, (10.0, 10.0, 5.0, 5.0), 1.0),
    (0.6, (20.0, 20.0, 10.0, 10.0), 0.5),
    (0.7, (30.0, 30.0, 15.0, 15.0), 0.25),
)


class ClassAgnosticPredictor(nn.Module):
    """Class logits and one box refinement per proposal, the same for every class.

    A cascade stage moves each proposal once, whatever its class (as in the paper and
    detectron2). The four deltas are repeated for every class so that torchvision's Fast R-CNN
    loss and post-processing, which expect one set per class, take them unchanged.
    """

    def __init__(self, in_features, n_classes):
        super().__init__()
        self.cls_score = nn.Linear(in_features, n_classes)
        self.bbox_pred = nn.Linear(in_features, 4)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x).repeat(1, self.cls_score.out_features)


class CascadeRoIHeads(nn.Module):
    """Drop-in replacement of a Faster R-CNN's ``roi_heads`` by three cascaded stages.

    Each stage is a torchvision ``RoIHeads`` with its own box head (a freshly initialised copy
    of the Faster R-CNN's), a class-agnostic predictor, IoU threshold and box coder; the RoI
    pooling, the sampling (512 proposals a stage, a quarter positive, ground truth added) and
    the test settings are the Faster R-CNN's.

    Training sums the stages' Fast R-CNN losses, weighted 1, 0.5 and 0.25; the boxes a stage
    refines are detached before the next stage samples from them. At test time a box's class
    scores are the mean of the three stages' (each on the boxes it was given), and its
    coordinates are the last stage's refinement.
    """

    def __init__(self, roi_heads, n_classes):
        super().__init__()
        in_features = roi_heads.box_predictor.cls_score.in_features
        sampler = roi_heads.fg_bg_sampler
        self.stages = nn.ModuleList(
            RoIHeads(roi_heads.box_roi_pool, fresh_copy(roi_heads.box_head),
                     ClassAgnosticPredictor(in_features, n_classes),
                     fg_iou_thresh=iou, bg_iou_thresh=iou,
                     batch_size_per_image=sampler.batch_size_per_image,
                     positive_fraction=sampler.positive_fraction, bbox_reg_weights=weights,
                     score_thresh=roi_heads.score_thresh, nms_thresh=roi_heads.nms_thresh,
                     detections_per_img=roi_heads.detections_per_img)
            for iou, weights, _ in STAGES
        )
        self.loss_weights = tuple(weight for *_, weight in STAGES)

    @property
    def score_thresh(self):
        """Boxes scoring below this are dropped from the detections (as in ``RoIHeads``)."""
        return self.stages[-1].score_thresh

    @score_thresh.setter
    def score_thresh(self, value):
        self.stages[-1].score_thresh = value

    def forward(self, features, proposals, image_shapes, targets=None):
        """``RoIHeads``' contract: (detections, {}) in eval mode, ([], losses) in training."""
        if self.training:
            return [], self._losses(features, proposals, image_shapes, targets)
        return self._detections(features, proposals, image_shapes), {}

    def _losses(self, features, proposals, image_shapes, targets):
        losses = {}
        last = len(self.stages) - 1
        for k, (stage, weight) in enumerate(zip(self.stages, self.loss_weights)):
            proposals, _, labels, regression_targets = stage.select_training_samples(
                proposals, targets)
            class_logits, deltas = _run(stage, features, proposals, image_shapes)
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, deltas, labels,
                                                          regression_targets)
            losses[f"loss_classifier_stage{k + 1}"] = weight * loss_classifier
            losses[f"loss_box_reg_stage{k + 1}"] = weight * loss_box_reg
            if k < last:
                proposals = _refine(stage, deltas, proposals, image_shapes)
        return losses

    def _detections(self, features, proposals, image_shapes):
        probabilities = []
        last = len(self.stages) - 1
        for k, stage in enumerate(self.stages):
            class_logits, deltas = _run(stage, features, proposals, image_shapes)
            probabilities.append(F.softmax(class_logits.float(), dim=-1))
            if k < last:
                proposals = _refine(stage, deltas, proposals, image_shapes)
        mean = torch.stack(probabilities).mean(dim=0)
        # torchvision's post-processing takes logits and applies a softmax: the log of a
        # distribution comes back from it unchanged.
        boxes, scores, labels = self.stages[-1].postprocess_detections(
            mean.log(), deltas, proposals, image_shapes)
        return [{"boxes": b, "labels": c, "scores": s} for b, c, s in zip(boxes, labels, scores)]


def _run(stage, features, proposals, image_shapes):
    """A stage's class logits and (class-repeated) box deltas for the given proposals."""
    pooled = stage.box_roi_pool(features, proposals, image_shapes)
    return stage.box_predictor(stage.box_head(pooled))


def _refine(stage, deltas, proposals, image_shapes):
    """The proposals moved by a stage's deltas, clipped to their images, without gradient."""
    moved = stage.box_coder.decode(deltas[:, :4].detach().float(), proposals)[:, 0]
    return [box_ops.clip_boxes_to_image(boxes, shape)
            for boxes, shape in zip(moved.split([len(p) for p in proposals]), image_shapes)]


def fresh_copy(module):
    """A copy of ``module`` with newly initialised weights (each layer's own initialisation)."""
    module = copy.deepcopy(module)
    for layer in module.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    return module
