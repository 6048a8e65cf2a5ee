"""Recursive Feature Pyramid: the parts of the paper's section 3, each checked on its own."""

import copy

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from torchvision.models.detection.backbone_utils import BackboneWithFPN  # noqa: E402
from torchvision.ops import FeaturePyramidNetwork  # noqa: E402
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool  # noqa: E402

from skmoe.experts.detection._rfp import ASPP, RecursiveFeaturePyramid  # noqa: E402

CHANNELS = 32


def resnet():
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10)


def fpn():
    torch.manual_seed(1)
    return FeaturePyramidNetwork([64, 128, 256, 512], CHANNELS, extra_blocks=LastLevelMaxPool())


def nudged(rfp, seed=2):
    """The RFP with its feedback and fusion no longer at their start (as after training)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, parameter in rfp.named_parameters():
            if "feedback" in name or "fusion" in name:
                parameter.normal_(0, 0.05)
    return rfp


def test_one_step_is_the_plain_backbone_with_fpn():
    net, plain = resnet(), resnet()
    rfp = RecursiveFeaturePyramid(net, fpn(), CHANNELS, steps=1).eval()
    reference = BackboneWithFPN(plain, {f"layer{i}": str(i - 1) for i in range(1, 5)},
                                [64, 128, 256, 512], CHANNELS, extra_blocks=LastLevelMaxPool())
    reference.fpn = fpn()
    reference.eval()
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        mine, theirs = rfp(x), reference(x)
    assert list(mine) == list(theirs) == ["0", "1", "2", "3", "pool"]
    for name in mine:
        torch.testing.assert_close(mine[name], theirs[name])


def test_two_steps_start_as_one_and_differ_once_trained():
    x = torch.randn(1, 3, 64, 64)
    one = RecursiveFeaturePyramid(resnet(), fpn(), CHANNELS, steps=1).eval()
    two = RecursiveFeaturePyramid(resnet(), fpn(), CHANNELS, steps=2).eval()
    with torch.no_grad():
        first, second = one(x), two(x)
        for name in first:
            torch.testing.assert_close(second[name], first[name])
        trained = nudged(copy.deepcopy(two))(x)
    assert any((trained[name] - first[name]).abs().max() > 1e-3 for name in first)


@pytest.mark.parametrize("size", [(64, 64), (96, 160), (33, 47)])
def test_shapes_at_several_sizes_and_gradients_reach_every_parameter(size):
    rfp = nudged(RecursiveFeaturePyramid(resnet(), fpn(), CHANNELS, steps=2)).train()
    x = torch.randn(2, 3, *size)
    pyramid = rfp(x)
    plain = RecursiveFeaturePyramid(resnet(), fpn(), CHANNELS, steps=1)(x)
    assert {k: v.shape for k, v in pyramid.items()} == {k: v.shape for k, v in plain.items()}
    sum(level.square().mean() for level in pyramid.values()).backward()
    missing = [name for name, p in rfp.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


def test_aspp_keeps_size_and_channels():
    aspp = ASPP(CHANNELS)
    x = torch.randn(2, CHANNELS, 9, 13)
    assert aspp(x).shape == x.shape


def test_steps_below_one_are_refused():
    with pytest.raises(ValueError, match="at least one step"):
        RecursiveFeaturePyramid(resnet(), fpn(), CHANNELS, steps=0)
