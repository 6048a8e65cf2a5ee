"""TextureExpert: a classical baseline, and the user guide's example of a new expert type."""

from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..utils._sklearn_compat import HasMethods, Interval
from ._base import BaseImageExpert


class TextureExpert(BaseImageExpert):
    """Histograms of each image's gray levels and gradient magnitudes, classified by ``head``.

    A classical baseline without a network: no torch, no GPU, seconds to train. ``head`` is
    any scikit-learn classifier; by default a standardised, class-balanced logistic regression.
    Images are arrays or paths, of any size; ``y`` one label per image.
    """

    _uses_torch = False
    _parameter_constraints = {"head": [HasMethods(["fit", "predict_proba"]), None],
                              "bins": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, head=None, *, bins=32):
        self.head = head
        self.bins = bins

    def _fit(self, source, indicator):
        if self.multilabel_:
            raise ValueError("TextureExpert takes one label per image: give 1-D y.")
        head = self.head if self.head is not None else make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000))
        self.head_ = clone(head).fit(self._features(source), indicator.argmax(axis=1))

    def _predict_proba(self, source, device):
        return self.head_.predict_proba(self._features(source))

    def _features(self, source):
        images = source.array if source.paths is None else map(_read_gray, source.paths)
        return np.array([texture_histograms(image, self.bins) for image in images])


def texture_histograms(image, bins):
    """Shares of an image's pixels per gray level and per gradient magnitude (``bins`` each),
    and its contrast (the standard deviation of its gray levels in [0, 1])."""
    gray = np.asarray(image, dtype=np.float64)
    gray = gray.mean(axis=-1) if gray.ndim == 3 else gray
    gray = gray / 255 if np.asarray(image).dtype == np.uint8 else gray
    magnitude = np.hypot(*np.gradient(gray))
    levels, _ = np.histogram(gray, bins=bins, range=(0, 1))
    edges, _ = np.histogram(magnitude, bins=bins, range=(0, 0.5))
    return np.concatenate([levels / gray.size, edges / gray.size, [gray.std()]])


def _read_gray(path):
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("L"))
