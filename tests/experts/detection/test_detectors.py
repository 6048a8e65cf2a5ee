"""DetectoRS as a TorchvisionDetector: SAC backbone, RFP neck, cascade heads, end to end."""

import pickle

import numpy as np
import pytest

from skmoe import load_model, save_model
from skmoe.datasets import make_steel_defects
from skmoe.experts import TorchvisionDetector

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from skmoe.experts.detection._cascade import CascadeRoIHeads  # noqa: E402
from skmoe.experts.detection._detectors import build_detectors  # noqa: E402
from skmoe.experts.detection._rfp import RecursiveFeaturePyramid  # noqa: E402
from skmoe.experts.detection._sac import SwitchableAtrousConv2d  # noqa: E402

BUILD = dict(min_size=64, max_size=64, model_kwargs=None)


@pytest.fixture(scope="module")
def fitted():
    X, y, boxes = make_steel_defects(16, image_size=64, class_weights=[1] * 5,
                                     return_boxes=True, random_state=0)
    detector = TorchvisionDetector("detectors_resnet18", max_epochs=1, batch_size=4,
                                   device="cpu", random_state=0).fit(X, y, boxes=boxes)
    return detector, X


def test_the_parts_are_sac_under_rfp_with_cascade_heads():
    model = build_detectors("detectors_resnet50", 3, **BUILD)
    assert isinstance(model.backbone, RecursiveFeaturePyramid) and model.backbone.steps == 2
    assert isinstance(model.roi_heads, CascadeRoIHeads)
    for backbone in model.backbone.backbones:
        sacs = [m for m in backbone.modules() if isinstance(m, SwitchableAtrousConv2d)]
        assert len(sacs) == 4 + 6 + 3  # every bottleneck of stages 2-4
    one_step = build_detectors("detectors_resnet18", 3, **{**BUILD, "model_kwargs": {
        "rfp_steps": 1, "deformable_sac": True, "box_detections_per_img": 7}})
    assert one_step.backbone.steps == 1
    assert one_step.roi_heads.stages[-1].detections_per_img == 7  # torchvision's argument
    assert all(m.deformable for m in one_step.modules()
               if isinstance(m, SwitchableAtrousConv2d))


def test_every_step_starts_from_the_resnet_weights(tmp_path):
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18()
    torch.save(resnet.state_dict(), tmp_path / "resnet18.pth")
    model = build_detectors("detectors_resnet18", 3, resnet_checkpoint_path=tmp_path /
                            "resnet18.pth", **BUILD)
    for backbone in model.backbone.backbones:
        torch.testing.assert_close(backbone.stem[0].weight, resnet.conv1.weight)
        torch.testing.assert_close(backbone.stages[2][0].conv2.weight,
                                   resnet.layer3[0].conv2.weight)  # the SAC's shared weight
    torch.save(torchvision.models.resnet34().state_dict(), tmp_path / "resnet34.pth")
    with pytest.raises(ValueError, match="is not a torchvision resnet18 state dict"):
        build_detectors("detectors_resnet18", 3, resnet_checkpoint_path=tmp_path /
                        "resnet34.pth", **BUILD)


def test_it_trains_scores_images_and_keeps_boxes(fitted):
    detector, X = fitted
    proba = detector.predict_proba(X[:4])
    assert proba.shape == (4, 5) and np.isfinite(proba).all()
    boxes = detector.predict_boxes(X[:4])
    assert len(boxes) == 4 and all(b.shape[1] == 6 for b in boxes)
    assert np.isfinite(detector.history_[:, "train_loss"]).all()


def test_it_pickles_and_saves_as_a_model_folder(fitted, tmp_path):
    detector, X = fitted
    expected = detector.predict_proba(X[:4])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(detector)).predict_proba(X[:4]),
                                  expected)
    loaded = load_model(save_model(detector, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(X[:4]), expected)


@pytest.mark.parametrize("deformable", [False, True])
def test_it_runs_under_bf16_autocast(deformable):
    """As the other detectors on a GPU (checked here with the CPU's bf16 autocast)."""
    torch.manual_seed(0)
    model = build_detectors("detectors_resnet18", 3, **{
        **BUILD, "model_kwargs": {"deformable_sac": deformable}}).eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        (found,) = model([torch.rand(3, 64, 64)])
    assert found["boxes"].shape[1] == 4 and torch.isfinite(found["scores"]).all()
