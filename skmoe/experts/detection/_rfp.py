"""Recursive Feature Pyramid (RFP), the neck of DetectoRS.

Qiao, Chen and Yuille, "DetectoRS: Detecting Objects with Recursive Feature Pyramid and
Switchable Atrous Convolution", CVPR 2021, section 3 (figures 2 and 3): a ResNet with an FPN,
unrolled ``steps`` times. From the second step on, each pyramid level of the previous step goes
through an ASPP module and a 1x1 convolution into the first block of the backbone stage of the
same stride (stages 2-4, added before the block's last ReLU), and the new pyramid is fused
with the previous one by a learned per-position weight ``sigmoid(conv(f_new))``. Each step has
a backbone of its own (started from the same weights); the FPN is shared. The feedback
convolutions start at 0 and the fusion weights at 1/2, so before training the second step
repeats the first and the fused pyramid equals the plain FPN's, as for a converted SAC.

Follows the authors' mmdetection code (``RFP``, ``ASPP``, ``DetectoRS_ResNet``): ASPP of four
branches (1x1; 3x3 at dilation 3 and 6; global average and 1x1), each a quarter of the channels,
with ReLU and no normalisation.
"""

import copy
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: four branches concatenated, same size and channels."""

    def __init__(self, channels, dilations=(1, 3, 6)):
        super().__init__()
        quarter = channels // 4
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, quarter, 1 if d == 1 else 3, padding=0 if d == 1 else d,
                      dilation=d) for d in dilations)
        self.global_branch = nn.Conv2d(channels, channels - quarter * len(dilations), 1)

    def forward(self, x):
        outs = [F.relu(branch(x)) for branch in self.branches]
        pooled = F.relu(self.global_branch(F.adaptive_avg_pool2d(x, 1)))
        return torch.cat([*outs, pooled.expand(-1, -1, *x.shape[2:])], dim=1)


class ResNetStages(nn.Module):
    """A torchvision ResNet's stem and stages 1-4, their outputs returned, optionally with
    feedback added to the first block of stages 2-4 (through a 1x1 convolution each)."""

    def __init__(self, resnet, feedback_channels=None):
        super().__init__()
        self.stem = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        self.stages = nn.ModuleList([resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4])
        self.feedback = None
        if feedback_channels is not None:
            self.feedback = nn.ModuleList(
                nn.Conv2d(feedback_channels, _out_channels(stage), 1) for stage in self.stages[1:])
            for conv in self.feedback:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)

    def forward(self, x, feedback=None):
        x = self.stem(x)
        outputs = []
        for i, stage in enumerate(self.stages):
            if feedback is not None and i > 0:
                x = _block_with_feedback(stage[0], x, self.feedback[i - 1](feedback[i - 1]))
                x = stage[1:](x)
            else:
                x = stage(x)
            outputs.append(x)
        return outputs


class RecursiveFeaturePyramid(nn.Module):
    """A ResNet with an FPN, unrolled ``steps`` times with feedback (DetectoRS' RFP).

    Parameters
    ----------
    resnet : torchvision.models.ResNet
        The first step's backbone; later steps get copies of it (its weights as they are).
    fpn : torchvision.ops.FeaturePyramidNetwork
        Takes the four stages' outputs (keys "0"-"3") and may add extra levels (e.g. "pool").
    out_channels : int
        The FPN's channels.
    steps : int, default=2
        1 is the plain backbone and FPN.
    """

    def __init__(self, resnet, fpn, out_channels, steps=2):
        super().__init__()
        if steps < 1:
            raise ValueError(f"steps={steps}: an RFP unrolls at least one step.")
        self.out_channels = out_channels
        self.steps = steps
        self.backbones = nn.ModuleList([ResNetStages(resnet)] + [
            ResNetStages(copy.deepcopy(resnet), feedback_channels=out_channels)
            for _ in range(steps - 1)])
        self.fpn = fpn
        if steps > 1:
            self.aspp = ASPP(out_channels)
            self.fusion = nn.Conv2d(out_channels, 1, 1)  # shared by the levels, as the authors'
            nn.init.zeros_(self.fusion.weight)
            nn.init.zeros_(self.fusion.bias)

    def forward(self, x):
        pyramid = self._pyramid(self.backbones[0](x))
        for backbone in self.backbones[1:]:
            # The levels of stages 2-4's strides (8, 16, 32) feed those stages back.
            feedback = [self.aspp(level) for level in list(pyramid.values())[1:4]]
            new = self._pyramid(backbone(x, feedback))
            pyramid = OrderedDict(
                (name, _fused(new[name], pyramid[name], self.fusion)) for name in new)
        return pyramid

    def _pyramid(self, stages):
        return self.fpn(OrderedDict((str(i), out) for i, out in enumerate(stages)))


def _fused(new, previous, fusion):
    weight = torch.sigmoid(fusion(new))
    return weight * new + (1 - weight) * previous


def _out_channels(stage):
    """The channels a ResNet stage puts out (its last block's last batch norm's)."""
    last = stage[-1]
    return (last.bn3 if hasattr(last, "bn3") else last.bn2).num_features


def _block_with_feedback(block, x, feedback):
    """A torchvision Bottleneck or BasicBlock with ``feedback`` added before its last ReLU."""
    identity = x if block.downsample is None else block.downsample(x)
    out = block.relu(block.bn1(block.conv1(x)))
    if hasattr(block, "conv3"):
        out = block.relu(block.bn2(block.conv2(out)))
        out = block.bn3(block.conv3(out))
    else:
        out = block.bn2(block.conv2(out))
    return block.relu(out + identity + feedback)
