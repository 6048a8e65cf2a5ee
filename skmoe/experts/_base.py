"""The image-expert template: ``fit`` and ``predict_proba`` with all that every expert shares.

An image expert is a scikit-learn classifier over images whose ``predict_proba`` gives one
probability per class. A new expert type extends :class:`BaseImageExpert` with two methods,
``_fit`` (its model and training) and ``_predict_proba`` (its per-image scoring); the input
checks, ``classes_``, the device and its fallback, seeding, the user's global state, a fit
that fails leaving nothing half-fitted, pickling, tags and ``predict`` are here.
"""

import contextlib
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..model_selection import stratified_partition
from ..utils._fit_state import unfitted_on_error
from ..utils._global_state import keeps_global_state
from ..utils._images import check_image_input
from ..utils._inputs import check_fit_inputs
from ..utils._labels import predict_from_proba, require_two_classes, to_indicator
from ..utils._optional import import_optional
from ..utils._sklearn_compat import Interval, _fit_context

# Test-time flips by name: the image axes (-1: left-right, -2: up-down) whose mirror images
# are averaged in.
FLIP_AXES = {"none": (), "horizontal": (-1,), "both": (-1, -2)}


class SavedNetworksMixin:
    """How a model folder (``skmoe.save_model``) keeps an estimator's torch networks: as
    their weights, rebuilt at load from the estimator's parameters, never unpickled."""

    # The attributes a model folder saves as weights (state dicts), not as objects.
    _saved_networks = ()

    def _network_to_save(self, attribute):
        """What a model folder keeps of the network ``attribute``: (torch module, its skorch
        history or None, a description of its architecture or None)."""
        network = getattr(self, attribute)
        return getattr(network, "module_", network), getattr(network, "history", None), None

    def _network_architecture(self, attribute):
        """The network of ``attribute`` as built before training (for its saved weights)."""
        raise NotImplementedError(f"{type(self).__name__} cannot rebuild {attribute}.")

    def _restore_networks(self, saved):
        """Rebuild each saved network and load its weights; ``saved`` maps an attribute to
        its ``SavedNetwork`` (state dict, history or None, architecture or None)."""
        restore_networks(self, saved)


class BaseImageExpert(SavedNetworksMixin, ClassifierMixin, BaseEstimator):
    """Base of the image experts: the template their ``fit`` and ``predict_proba`` follow.

    A subclass implements

    - ``_fit(self, source, indicator, **fit_params)``: train on the checked images
      (``source``, an ``ImageSource``: ``source.array`` or ``source.paths``) and the
      indicator matrix of ``y`` (one column per class of ``classes_``); ``fit_params`` are
      what its ``fit`` takes beside ``X`` and ``y`` (a detector's ``boxes``);
    - ``_predict_proba(self, source, device)``: one row of class probabilities per image, on
      ``device`` (the training device, or the CPU where that was a GPU this machine lacks).

    Everything else comes from here, and means the same in every expert:

    Parameters
    ----------
    batch_size : int
        Images per training and inference batch.
    max_epochs : int
        Most epochs of training.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        "auto" picks CUDA when present. A model trained on a GPU predicts on the CPU of a
        machine without one.
    mixed_precision : bool, default=True
        bf16 autocast on CUDA (ignored on CPU).
    num_workers : int, default=0
        DataLoader workers reading images (useful with path inputs).
    random_state : int or None, default=None
        Seed of torch (weights, augmentation, shuffling) and of the validation split.
    verbose : int, default=0
        > 0 prints a line per epoch; >= 2 adds a progress bar over each epoch's batches.

    Attributes listed in ``_networks`` (torch modules) are pickled as CPU copies, so that a
    model trained on a GPU loads on machines without one. An expert that uses no torch sets
    ``_uses_torch = False``: it then needs neither torch nor a ``device``.

    See Also
    --------
    ImageClassifier : the CNN expert.
    BaseDetector : the base of the detection experts.

    Examples
    --------
    A new expert type writes its training and its scoring:

    >>> import numpy as np
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import BaseImageExpert
    >>> class BrightnessExpert(BaseImageExpert):
    ...     # Scores each class by how close an image's mean brightness is to the class's.
    ...     _uses_torch = False
    ...     def _fit(self, source, indicator):
    ...         brightness = source.array.mean(axis=(1, 2, 3))
    ...         self.means_ = np.array([brightness[column == 1].mean() for column in indicator.T])
    ...     def _predict_proba(self, source, device):
    ...         brightness = source.array.mean(axis=(1, 2, 3))
    ...         scores = np.exp(-np.abs(brightness[:, None] - self.means_))
    ...         return scores / scores.sum(axis=1, keepdims=True)
    >>> X, y = make_steel_defects(100, image_size=32, random_state=0)
    >>> expert = BrightnessExpert().fit(X, y)
    >>> expert.predict(X[:3]).shape, expert.classes_.tolist()[0]
    ((3,), 'background')
    """

    _parameter_constraints = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "mixed_precision": ["boolean"],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "random_state": [None, Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    }
    # Experts with a held-out validation part add this constraint.
    _validation_constraint = {"validation_fraction": [Interval(Real, 0, 1, closed="left")]}

    # The fitted attributes holding torch modules, pickled as CPU copies.
    _networks = ()
    # False for an expert without torch: no device_, no seeding of torch.
    _uses_torch = True

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_error
    @keeps_global_state
    def fit(self, X, y, **fit_params):
        """Train the expert.

        Parameters
        ----------
        X : array of images or sequence of image paths
            Arrays: (n, H, W) or (n, H, W, C), uint8 or floats in [0, 1].
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, or an indicator matrix (multi-label); they fix ``classes_``.
        **fit_params
            What the expert type learns from besides labels (a detector's ``boxes``, a
            segmenter's ``masks``).

        Returns
        -------
        self
        """
        source, indicator = self._start_fit(X, y)
        self._fit(source, indicator, **fit_params)
        return self

    @keeps_global_state
    def predict_proba(self, X):
        """Probability of each class of ``classes_`` for every image.

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            A distribution over the classes for a classifier of one label per image;
            independent scores per class for multi-label classifiers, detectors (a class's
            best box) and segmenters (from a class's pixels), whose defect-free column is
            one minus the highest defect score.
        """
        check_is_fitted(self)
        source = check_image_input(X)
        return self._predict_proba(source, self._prediction_device())

    def _start_fit(self, X, y):
        """Checks and state every fit begins with; returns the images and the indicator of y.

        Sets ``classes_``, ``multilabel_`` and, for a torch expert, ``device_``, and seeds
        torch.
        """
        check_fit_inputs(self, X, y)
        source = check_image_input(X)
        indicator, self.classes_, self.multilabel_ = to_indicator(y)
        require_two_classes(self.classes_, needed_by=type(self).__name__)
        if self._uses_torch:
            torch = import_optional("torch", needed_by=type(self).__name__)
            self.device_ = resolve_device(self.device)
            if self.random_state is not None:
                torch.manual_seed(self.random_state)
        return source, indicator

    def _prediction_device(self):
        """The device a torch expert predicts on: where it trained, or the CPU where that was
        a GPU this machine lacks; None for an expert without torch."""
        if not self._uses_torch:
            return None
        import_optional("torch", needed_by=type(self).__name__)  # a clear error without it
        return inference_device(self.device_)

    def _autocast(self, device):
        """Whether to run in bf16 autocast on ``device``: asked for, and a GPU."""
        return self.mixed_precision and device.startswith("cuda")

    def _validation_split(self, indicator):
        """(train rows, validation rows), stratified per class (per label combination for
        multi-label ``y``); no validation rows when ``validation_fraction`` is 0."""
        n = len(indicator)
        if self.validation_fraction == 0:
            return np.arange(n), np.empty(0, dtype=np.int64)
        train, val = stratified_partition(indicator if self.multilabel_ else
                                          indicator.argmax(axis=1),
                                          (1 - self.validation_fraction,
                                           self.validation_fraction),
                                          random_state=self.random_state)
        if not len(train) or not len(val):
            raise ValueError(f"validation_fraction={self.validation_fraction} leaves "
                             f"{len(train)} training and {len(val)} validation images of {n}; "
                             "give more images or change validation_fraction (0 turns "
                             "validation off).")
        return train, val

    def predict(self, X):
        """Most probable class (single-label) or classes with probability >= 0.5 (multi-label).

        Parameters
        ----------
        X : array of images or sequence of image paths

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._predict_from_proba(self.predict_proba(X))

    def _predict_from_proba(self, proba):
        """``predict`` from ``predict_proba``'s output (``skmoe predict`` runs the expert once)."""
        return predict_from_proba(proba, self.classes_, multilabel=self.multilabel_)

    def __getstate__(self):
        state = super().__getstate__()
        for attribute in self._networks:
            network_pickled_on_cpu(state, attribute)
        return state

    @property
    def _saved_networks(self):
        """A model folder saves the networks as weights (state dicts), not as objects."""
        return self._networks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = True
        return tags


def network_pickled_on_cpu(state, attribute):
    """A pickling state whose torch module ``attribute`` is a CPU copy when it lives on a GPU,
    so that a model trained on a GPU loads on machines without one."""
    import copy

    network = state.get(attribute)
    if network is not None and next(network.parameters()).device.type != "cpu":
        state[attribute] = copy.deepcopy(network).to("cpu")
    return state


def restore_networks(estimator, saved):
    """Set each attribute of ``saved`` to its network, rebuilt and given its saved weights.

    The architecture is built from the estimator's parameters and fitted attributes, without
    reading the weight files the parameters name (``checkpoint_path``, ...): the machine that
    loads a model need not have them, and the saved weights replace them anyway.
    """
    with architecture_only(estimator):
        for attribute, network_saved in saved.items():
            network = estimator._network_architecture(attribute)
            network.load_state_dict(network_saved.weights)
            setattr(estimator, attribute, network.eval())


@contextlib.contextmanager
def architecture_only(estimator):
    """The estimator's weight-file parameters unset for a while (pretrained off)."""
    unset = {"checkpoint_path": None, "backbone_checkpoint_path": None, "pretrained": False}
    saved = {name: vars(estimator)[name] for name in unset if name in vars(estimator)}
    try:
        for name in saved:
            setattr(estimator, name, unset[name])
        yield
    finally:
        for name, value in saved.items():
            setattr(estimator, name, value)


def resolve_device(device):
    """"auto" becomes "cuda" when a GPU is present, else "cpu"; an absent GPU is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' "
                         "or 'cuda:<index>'.") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device={device!r} but CUDA is not available here; use device='cpu' "
                           "or 'auto'.")
    return device


def image_shape(image_size):
    """(height, width) from an ``image_size`` parameter: one side, or a (height, width) pair."""
    pair = (image_size, image_size) if isinstance(image_size, Integral) else tuple(image_size)
    if len(pair) != 2 or not all(isinstance(side, Integral) and not isinstance(side, bool)
                                 and side >= 8 for side in pair):
        raise ValueError(f"image_size={image_size!r}: give one side or a (height, width) pair, "
                         "each an integer >= 8, e.g. 224 or (256, 1600).")
    return int(pair[0]), int(pair[1])


def inference_device(trained_on):
    """The device a model was trained on, or the CPU where that was a GPU this machine lacks."""
    import torch

    if trained_on.startswith("cuda") and not torch.cuda.is_available():
        return "cpu"
    return trained_on
