"""Switchable Atrous Convolution: the parts of the paper's section 4, each checked on its own."""

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from skmoe.experts.detection._sac import (  # noqa: E402
    ATROUS_RATE,
    SwitchableAtrousConv2d,
    convert_to_sac,
)


def trained_sac(stride=1, deformable=False, seed=0):
    """A SAC whose added parts are no longer at their start (as after training)."""
    torch.manual_seed(seed)
    sac = SwitchableAtrousConv2d(4, 6, stride=stride, bias=True, deformable=deformable)
    with torch.no_grad():
        for name, parameter in sac.named_parameters():
            if name not in ("weight", "bias"):
                parameter.normal_(0, 0.1)
    return sac


def fixed_switch(sac, value):
    """The SAC with its switch fixed at ``value`` (weights of the 1x1 convolution at 0)."""
    with torch.no_grad():
        sac.switch.weight.zero_()
        sac.switch.bias.fill_(value)
    return sac


def contexts_off(sac):
    with torch.no_grad():
        for module in (sac.pre_context, sac.post_context):
            module.weight.zero_()
            module.bias.zero_()
    return sac


@pytest.mark.parametrize("stride", [1, 2])
def test_switch_at_1_is_the_plain_convolution_and_at_0_the_dilated_one(stride):
    sac = contexts_off(trained_sac(stride))
    x = torch.randn(2, 4, 13, 11)
    plain = F.conv2d(x, sac.weight, sac.bias, stride, padding=1)
    dilated = F.conv2d(x, sac.weight + sac.weight_diff, sac.bias, stride,
                       padding=ATROUS_RATE, dilation=ATROUS_RATE)
    torch.testing.assert_close(fixed_switch(sac, 1.0)(x), plain)
    torch.testing.assert_close(fixed_switch(sac, 0.0)(x), dilated)


def test_the_global_contexts_add_a_per_channel_constant_before_and_after():
    sac = fixed_switch(trained_sac(), 1.0)
    x = torch.randn(1, 4, 9, 9)
    before = x + sac.pre_context(x.mean(dim=(2, 3), keepdim=True))
    inner = F.conv2d(before, sac.weight, sac.bias, padding=1)
    expected = inner + sac.post_context(inner.mean(dim=(2, 3), keepdim=True))
    torch.testing.assert_close(sac(x), expected)


@pytest.mark.parametrize("deformable", [False, True])
def test_converted_from_a_convolution_it_computes_the_same_until_trained(deformable):
    conv = nn.Conv2d(4, 6, 3, padding=1, stride=2)
    sac = SwitchableAtrousConv2d.from_conv(conv, deformable=deformable)
    x = torch.randn(2, 4, 16, 16)
    torch.testing.assert_close(sac(x), conv(x))
    assert set(sac.state_dict()) >= set(conv.state_dict())  # pretrained weights load


@pytest.mark.parametrize("deformable", [False, True])
@pytest.mark.parametrize("size", [(2, 2), (7, 5), (32, 48)])
def test_shapes_at_any_size_and_gradients_reach_every_parameter(deformable, size):
    sac = trained_sac(stride=2, deformable=deformable)
    x = torch.randn(2, 4, *size, requires_grad=True)
    out = sac(x)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1)
    assert out.shape == conv(x).shape
    out.square().sum().backward()
    missing = [name for name, p in sac.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing and x.grad.any()


def test_a_pretrained_resnet_converts_with_its_weights_and_outputs():
    resnet = torchvision.models.resnet50(num_classes=10).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = resnet(x)
        converted = convert_to_sac(resnet)
        after = converted(x)
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4)
    sacs = [m for m in converted.modules() if isinstance(m, SwitchableAtrousConv2d)]
    assert len(sacs) == 4 + 6 + 3  # the 3x3 convolution of every bottleneck of layer2-4


def test_only_plain_3x3_convolutions_are_replaced():
    with pytest.raises(ValueError, match="SAC replaces a plain 3x3 convolution"):
        SwitchableAtrousConv2d.from_conv(nn.Conv2d(4, 4, 3, padding=2, dilation=2))
