"""DetectoRS on torchvision: a ResNet with Switchable Atrous Convolution under a Recursive
Feature Pyramid, with Cascade R-CNN's box heads (Qiao et al., CVPR 2021; its HTC heads replaced
by the cascade, which needs no masks)."""

import torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from ._cascade import CascadeRoIHeads
from ._rfp import RecursiveFeaturePyramid
from ._sac import convert_to_sac

PREFIX = "detectors_"
DEPTHS = ("resnet18", "resnet34", "resnet50", "resnet101")
FPN_CHANNELS = 256


def architectures():
    """The DetectoRS names TorchvisionDetector takes: ``detectors_resnet50`` (the paper's) and
    its other depths (``detectors_resnet18``: a CPU-sized one)."""
    return [PREFIX + depth for depth in DEPTHS]


def build_detectors(architecture, n_classes, *, resnet_checkpoint_path=None, min_size, max_size,
                    model_kwargs):
    """An untrained DetectoRS; labels 1..n_classes, 0 is "no object".

    ``resnet_checkpoint_path``: a torchvision ResNet state dict (e.g. ImageNet weights) the
    backbone of every step starts from, loaded before SAC is put in (its dilated branch then
    starts from the same weights). ``model_kwargs`` may hold ``rfp_steps`` (2, the paper's) and
    ``deformable_sac`` (False) beside torchvision's FasterRCNN arguments.
    """
    from .._checkpoints import read_state_dict

    options = dict(model_kwargs or {})
    steps = options.pop("rfp_steps", 2)
    deformable = options.pop("deformable_sac", False)
    resnet = torchvision.models.get_model(architecture.removeprefix(PREFIX), weights=None)
    if resnet_checkpoint_path is not None:
        state = {k: v for k, v in read_state_dict(resnet_checkpoint_path).items()
                 if not k.startswith("fc.")}  # the ImageNet classifier is not used
        missing, unexpected = resnet.load_state_dict(state, strict=False)
        if unexpected or [k for k in missing if not k.startswith("fc.")]:
            raise ValueError(f"{str(resnet_checkpoint_path)!r} is not a torchvision "
                             f"{architecture.removeprefix(PREFIX)} state dict (e.g. "
                             f"{(unexpected or missing)[0]!r} does not match).")
    convert_to_sac(resnet, deformable=deformable)
    stage_channels = [stage[-1].conv3.out_channels if hasattr(stage[-1], "conv3")
                      else stage[-1].conv2.out_channels
                      for stage in (resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4)]
    fpn = FeaturePyramidNetwork(stage_channels, FPN_CHANNELS, extra_blocks=LastLevelMaxPool())
    backbone = RecursiveFeaturePyramid(resnet, fpn, FPN_CHANNELS, steps=steps)
    model = FasterRCNN(backbone, num_classes=n_classes + 1, min_size=min_size,
                       max_size=max_size, **options)
    model.roi_heads = CascadeRoIHeads(model.roi_heads, n_classes + 1)
    return model
