"""Cascade R-CNN heads: three stages at rising IoU, refined boxes, averaged scores, training."""

import pickle

import numpy as np
import pytest

from skmoe.datasets import make_steel_defects
from skmoe.experts import TorchvisionDetector

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from skmoe.experts.detection import _torchvision_parts as parts  # noqa: E402
from skmoe.experts.detection._cascade import CascadeRoIHeads  # noqa: E402

ARCHITECTURE = "cascadercnn_mobilenet_v3_large_320_fpn"
N_CLASSES = 3  # with "no object"


def cascade_model():
    torch.manual_seed(0)
    return parts.build_model(ARCHITECTURE, N_CLASSES - 1, min_size=64, max_size=64,
                             model_kwargs=None)


def test_every_faster_rcnn_has_a_cascade():
    names = parts.supported_architectures()
    faster = {n.removeprefix("fasterrcnn_") for n in names if n.startswith("fasterrcnn_")}
    cascade = {n.removeprefix("cascadercnn_") for n in names if n.startswith("cascadercnn_")}
    assert faster and cascade == faster


def test_three_stages_at_rising_iou_with_their_own_heads():
    heads = cascade_model().roi_heads
    assert isinstance(heads, CascadeRoIHeads)
    assert [s.proposal_matcher.high_threshold for s in heads.stages] == [0.5, 0.6, 0.7]
    assert [s.box_coder.weights for s in heads.stages] == [
        (10.0, 10.0, 5.0, 5.0), (20.0, 20.0, 10.0, 10.0), (30.0, 30.0, 15.0, 15.0)]
    assert heads.loss_weights == (1.0, 0.5, 0.25)
    first, second = (s.box_head.fc6.weight for s in heads.stages[:2])
    assert first.data_ptr() != second.data_ptr() and not torch.equal(first, second)


def test_refine_moves_proposals_onto_their_targets():
    from skmoe.experts.detection._cascade import _refine

    stage = cascade_model().roi_heads.stages[1]
    proposals = [torch.tensor([[10.0, 10.0, 30.0, 30.0], [0.0, 0.0, 8.0, 8.0]]),
                 torch.tensor([[5.0, 5.0, 25.0, 45.0]])]
    targets = [torch.tensor([[12.0, 8.0, 33.0, 31.0], [1.0, 1.0, 9.0, 7.0]]),
               torch.tensor([[4.0, 7.0, 60.0, 40.0]])]  # x2 = 60: beyond the image
    deltas = torch.cat(stage.box_coder.encode(targets, proposals)).repeat(1, N_CLASSES)
    moved = _refine(stage, deltas, proposals, image_shapes=[(64, 64), (50, 50)])
    torch.testing.assert_close(moved[0], targets[0])
    torch.testing.assert_close(moved[1], torch.tensor([[4.0, 7.0, 50.0, 40.0]]))  # clipped


def test_scores_are_the_mean_of_the_stages():
    model = cascade_model().eval()
    heads = model.roi_heads
    heads.score_thresh = 0.0
    # Every stage ignores its input: fixed class logits, no box movement.
    for stage, logits in zip(heads.stages, ([0.0, 3.0, 0.0], [0.0, 1.0, 2.0], [2.0, 0.0, 0.0])):
        torch.nn.init.zeros_(stage.box_predictor.cls_score.weight)
        stage.box_predictor.cls_score.bias.data = torch.tensor(logits)
        torch.nn.init.zeros_(stage.box_predictor.bbox_pred.weight)
        torch.nn.init.zeros_(stage.box_predictor.bbox_pred.bias)
    expected = torch.stack([torch.softmax(s.box_predictor.cls_score.bias, 0)
                            for s in heads.stages]).mean(0)
    images = torch.rand(1, 3, 64, 64)
    features = model.backbone(images)
    proposal = torch.tensor([[8.0, 8.0, 40.0, 40.0]])
    with torch.no_grad():
        (found,), losses = heads(features, [proposal], [(64, 64)])
    assert losses == {}
    assert heads.stages[-1].score_thresh == 0.0
    for label in (1, 2):
        score = found["scores"][found["labels"] == label]
        torch.testing.assert_close(score, expected[label].reshape(1))
        torch.testing.assert_close(found["boxes"][found["labels"] == label], proposal)


def test_training_weighs_each_stages_losses():
    model = cascade_model().train()
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64)]
    targets = [{"boxes": torch.tensor([[10.0, 10.0, 30.0, 40.0]]), "labels": torch.tensor([1])},
               {"boxes": torch.zeros((0, 4)), "labels": torch.zeros(0, dtype=torch.int64)}]
    losses = model(images, targets)
    stage_keys = {f"loss_{kind}_stage{k}" for kind in ("classifier", "box_reg") for k in (1, 2, 3)}
    assert stage_keys <= set(losses) and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    for stage in model.roi_heads.stages:
        assert stage.box_predictor.cls_score.weight.grad.abs().sum() > 0


def test_cascade_detector_trains_scores_images_and_pickles():
    X, y, boxes = make_steel_defects(16, image_size=64, class_weights=[1, 1, 1, 1, 0],
                                     defect_size=(20, 40), return_boxes=True, random_state=0)
    detector = TorchvisionDetector(
        ARCHITECTURE, max_epochs=2, batch_size=8, background_class="background",
        model_kwargs=dict(rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=100,
                          box_batch_size_per_image=64), random_state=0,
    ).fit(X, y, boxes=boxes)
    proba = detector.predict_proba(X[:6])
    assert proba.shape == (6, 4) and np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    found = np.concatenate(detector.predict_boxes(X[:6]))
    assert len(found) and (found[:, 5] >= detector.min_score).all()
    assert len(detector.history_) == 2
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_allclose(restored.predict_proba(X[:6]), proba, atol=1e-6)


def test_bf16_autocast_as_on_a_gpu():
    """The cascade under the bf16 autocast a GPU trains and predicts with, run on the CPU (on
    features computed beforehand: bf16 convolutions are slow on a CPU): finite losses, and
    detections."""
    model = cascade_model()
    heads = model.roi_heads
    with torch.no_grad():
        features = {k: v.bfloat16() for k, v in model.backbone(torch.rand(1, 3, 64, 64)).items()}
    proposals = [torch.tensor([[8.0, 8.0, 40.0, 40.0], [12.0, 6.0, 30.0, 44.0]])]
    targets = [{"boxes": torch.tensor([[10.0, 10.0, 30.0, 40.0]]), "labels": torch.tensor([1])}]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, losses = heads.train()(features, proposals, [(64, 64)], targets)
        sum(losses.values()).backward()
        heads.eval().score_thresh = 0.0
        with torch.no_grad():
            (found,), _ = heads(features, proposals, [(64, 64)])
    assert len(losses) == 6 and all(torch.isfinite(v) for v in losses.values())
    assert len(found["boxes"]) and torch.isfinite(found["scores"]).all()
