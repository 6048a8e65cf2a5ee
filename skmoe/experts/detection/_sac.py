"""Switchable Atrous Convolution (SAC), the backbone convolution of DetectoRS.

Qiao, Chen and Yuille, "DetectoRS: Detecting Objects with Recursive Feature Pyramid and
Switchable Atrous Convolution", CVPR 2021, section 4 (figure 4): a 3x3 convolution applied
twice with the same weights, at dilation 1 and at dilation 3 (the second with a learned
difference ``weight_diff``), mixed per position by a switch ``S(x)`` (a 5x5 average pool and a
1x1 convolution), with a global context module before and after (global average pool, 1x1
convolution, added back). As in the paper, ``S`` has no sigmoid, and the switch starts at 1 with
every added part at 0: a converted pretrained network computes exactly what it did before
training begins. Optionally the two branches are deformable (``torchvision.ops.deform_conv2d``,
offsets starting at 0).

Differs from the authors' mmdetection code in two points: no weight standardisation of the
convolution (they pair SAC with ConvAWS; torchvision's pretrained ResNets were trained without
it), and the switch's 5x5 average covers the positions inside the map at the border where they
reflect the map (reflection needs maps of 3 pixels or more; small images reach 2 at stage 4).
"""

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import deform_conv2d

# The second branch's dilation (the paper's atrous rate r).
ATROUS_RATE = 3


class SwitchableAtrousConv2d(nn.Conv2d):
    """A 3x3 convolution that mixes dilation 1 and dilation ``ATROUS_RATE`` per position.

    ``out = S(x) * conv(x, w, 1) + (1 - S(x)) * conv(x, w + weight_diff, 3)``, with the global
    context added to ``x`` before and to ``out`` after. Its ``weight`` (and ``bias``) are those of
    the convolution it replaces, so a pretrained state dict loads into it.

    Parameters
    ----------
    in_channels, out_channels, stride, bias
        As ``torch.nn.Conv2d`` with a 3x3 kernel and padding 1.
    deformable : bool, default=False
        Each branch samples its 3x3 taps at learned offsets (``deform_conv2d``).
    """

    def __init__(self, in_channels, out_channels, *, stride=1, bias=False, deformable=False):
        super().__init__(in_channels, out_channels, 3, stride=stride, padding=1, bias=bias)
        self.deformable = deformable
        self.switch = nn.Conv2d(in_channels, 1, 1, stride=stride)
        self.weight_diff = nn.Parameter(torch.zeros_like(self.weight))
        self.pre_context = nn.Conv2d(in_channels, in_channels, 1)
        self.post_context = nn.Conv2d(out_channels, out_channels, 1)
        if deformable:  # (dy, dx) for each of the 9 taps, per branch
            self.offset_small = nn.Conv2d(in_channels, 18, 3, stride=stride, padding=1)
            self.offset_large = nn.Conv2d(in_channels, 18, 3, stride=stride,
                                          padding=ATROUS_RATE, dilation=ATROUS_RATE)
        self.reset_added_parts()

    @classmethod
    def from_conv(cls, conv, *, deformable=False):
        """The SAC of a 3x3, padding-1 ``conv``, starting from its weights."""
        if conv.kernel_size != (3, 3) or conv.padding != (1, 1) or conv.dilation != (1, 1) \
                or conv.groups != 1:
            raise ValueError(f"SAC replaces a plain 3x3 convolution with padding 1, not {conv}.")
        sac = cls(conv.in_channels, conv.out_channels, stride=conv.stride[0],
                  bias=conv.bias is not None, deformable=deformable)
        with torch.no_grad():
            sac.weight.copy_(conv.weight)
            if conv.bias is not None:
                sac.bias.copy_(conv.bias)
        return sac.to(conv.weight.device, conv.weight.dtype)

    def reset_added_parts(self):
        """The switch at 1, the difference, contexts and offsets at 0: a plain convolution."""
        added = [self.pre_context, self.post_context]
        if self.deformable:
            added += [self.offset_small, self.offset_large]
        with torch.no_grad():
            for module in added:
                module.weight.zero_()
                module.bias.zero_()
            self.switch.weight.zero_()
            self.switch.bias.fill_(1.0)
            self.weight_diff.zero_()

    def forward(self, x):
        x = x + self.pre_context(F.adaptive_avg_pool2d(x, 1))
        switch = self.switch_map(x)
        small = self._branch(x, self.weight, 1, "offset_small")
        large = self._branch(x, self.weight + self.weight_diff, ATROUS_RATE, "offset_large")
        out = switch * small + (1 - switch) * large
        return out + self.post_context(F.adaptive_avg_pool2d(out, 1))

    def switch_map(self, x):
        """``S(x)``: a 5x5 average (of the positions inside the map) and a 1x1 convolution."""
        return self.switch(F.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False))

    def _branch(self, x, weight, dilation, offsets):
        if self.deformable:
            # In float32, as torchvision's autocast rule for it on CUDA (its CPU kernel has
            # no bf16); the result goes back to the input's precision.
            bias = None if self.bias is None else self.bias.float()
            return deform_conv2d(x.float(), getattr(self, offsets)(x).float(), weight.float(),
                                 bias, stride=self.stride, padding=dilation,
                                 dilation=dilation).to(x.dtype)
        return F.conv2d(x, weight, self.bias, self.stride, dilation, dilation)


def convert_to_sac(resnet, *, stages=(2, 3, 4), deformable=False):
    """Replace the 3x3 convolution of every bottleneck in ``stages`` of a torchvision ResNet
    (``layer2``-``layer4``: the paper's conv3-conv5) by its SAC, weights kept; in place.

    Returns
    -------
    resnet : torchvision.models.ResNet
    """
    for stage in stages:
        for block in getattr(resnet, f"layer{stage}"):
            block.conv2 = SwitchableAtrousConv2d.from_conv(block.conv2, deformable=deformable)
    return resnet
