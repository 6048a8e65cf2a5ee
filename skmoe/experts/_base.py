"""What every image expert shares: input checks, device, precision, seeding, tags, ``predict``.

An image expert is a scikit-learn classifier over images whose ``predict_proba`` gives one
probability per class. A new expert type extends :class:`BaseImageExpert` with its model, its
training step and its scoring; everything else is here.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ..model_selection import stratified_partition
from ..utils._images import check_image_input
from ..utils._inputs import check_fit_inputs
from ..utils._labels import predict_from_proba, require_two_classes, to_indicator
from ..utils._optional import import_optional
from ..utils._sklearn_compat import Interval

# Test-time flips by name: the image axes (-1: left-right, -2: up-down) whose mirror images
# are averaged in.
FLIP_AXES = {"none": (), "horizontal": (-1,), "both": (-1, -2)}


class BaseImageExpert(ClassifierMixin, BaseEstimator):
    """Base of the image experts (:class:`ImageClassifier`, the detectors).

    It holds the parameters every expert has, and their meaning is the same in each:

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
        > 0 shows training progress.

    Subclasses implement ``fit`` (starting with :meth:`_start_fit`) and ``predict_proba``.

    See Also
    --------
    ImageClassifier : the CNN expert.
    BaseDetector : the base of the detection experts.

    Examples
    --------
    A new expert type writes its model, its training step and its scoring; the checks of ``X``
    and ``y``, ``classes_``, the device, seeding, tags and ``predict`` come from the base:

    >>> import numpy as np
    >>> from skmoe.datasets import make_steel_defects
    >>> from skmoe.experts import BaseImageExpert
    >>> class BrightnessExpert(BaseImageExpert):
    ...     # Scores each class by how close an image's mean brightness is to the class's.
    ...     def __init__(self, device="cpu", random_state=None):
    ...         self.device, self.random_state = device, random_state
    ...     def fit(self, X, y):
    ...         source, indicator = self._start_fit(X, y)
    ...         brightness = source.array.mean(axis=(1, 2, 3))
    ...         self.means_ = np.array([brightness[column == 1].mean() for column in indicator.T])
    ...         return self
    ...     def predict_proba(self, X):
    ...         brightness = np.asarray(X, dtype=float).reshape(len(X), -1).mean(axis=1)
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

    def _start_fit(self, X, y):
        """Checks and state every fit begins with; returns the images and the indicator of y.

        Sets ``classes_``, ``multilabel_`` and ``device_``, and seeds torch.
        """
        torch = import_optional("torch", needed_by=type(self).__name__)
        check_fit_inputs(self, X, y)
        source = check_image_input(X)
        indicator, self.classes_, self.multilabel_ = to_indicator(y)
        require_two_classes(self.classes_, needed_by=type(self).__name__)
        self.device_ = resolve_device(self.device)
        if self.random_state is not None:
            torch.manual_seed(self.random_state)
        return source, indicator

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
        return predict_from_proba(self.predict_proba(X), self.classes_,
                                  multilabel=self.multilabel_)

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
