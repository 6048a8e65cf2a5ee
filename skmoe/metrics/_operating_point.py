"""Escape and overkill: how an inspection line reads a defect classifier.

An inspection line counts two mistakes: a defective part passed as good (an escape) and a good
part rejected (overkill). A benchmark's macro F1 mixes them with confusions between defect
types, which cost the line nothing when the part is rejected anyway. Both rates are shares of
images with 95% Wilson score intervals: on a few hundred test images a rate of 1% is known to
a few percent at best, and the interval says so.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


def wilson_interval(successes, trials, *, confidence=0.95):
    """Wilson score interval of a binomial proportion, vectorised.

    Unlike the normal approximation p +- z sqrt(p (1 - p) / n), it stays inside [0, 1] and is
    not empty at 0 or n successes, which are common here (no escape on 40 defective images).

    Parameters
    ----------
    successes, trials : int or array-like of int
        Counts; ``trials`` of 0 gives (nan, nan).
    confidence : float in (0, 1), default=0.95

    Returns
    -------
    low, high : float or ndarray

    Examples
    --------
    >>> from skmoe.metrics import wilson_interval
    >>> [round(float(v), 4) for v in wilson_interval(0, 40)]
    [0.0, 0.0876]
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
        half = z / (1 + z ** 2 / n) * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


@dataclass(frozen=True)
class OperatingPoint:
    """Escape and overkill of a classifier's decisions, with 95% Wilson intervals.

    Attributes
    ----------
    escape_rate : float
        Share of the defective images decided defect-free (nan without defective images).
    escape_interval : (float, float)
    overkill_rate : float
        Share of the defect-free images decided defective (nan without defect-free images).
    overkill_interval : (float, float)
    escapes, n_defective, overkills, n_defect_free : int
        The counts behind the rates.
    """

    escape_rate: float
    escape_interval: tuple
    overkill_rate: float
    overkill_interval: tuple
    escapes: int
    n_defective: int
    overkills: int
    n_defect_free: int

    def __str__(self):
        return (f"escape rate {_rate(self.escape_rate, self.escape_interval)} "
                f"({self.escapes} of {self.n_defective} defective images), overkill rate "
                f"{_rate(self.overkill_rate, self.overkill_interval)} ({self.overkills} of "
                f"{self.n_defect_free} defect-free images)")


def _rate(rate, interval):
    return f"{rate:.4f} [{interval[0]:.4f}, {interval[1]:.4f}]"


def operating_point(y_true, y_pred, *, background, confidence=0.95):
    """Escape and overkill rates of predictions, with Wilson intervals.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels, or 0/1 indicator matrices (several defects per image).
    background : label or int
        The defect-free class: a label of 1-D ``y``, or the column of an indicator matrix.
        With labels, an image is defective when its label is another; with an indicator, when
        any other column is set (an image decided defect-free is one with no defect column
        predicted, whatever its background column says).
    confidence : float in (0, 1), default=0.95
        Of the intervals.

    Returns
    -------
    OperatingPoint

    Examples
    --------
    >>> from skmoe.metrics import operating_point
    >>> point = operating_point(["ok", "pit", "ok", "scratch", "ok"],
    ...                         ["ok", "ok", "pit", "pit", "ok"], background="ok")
    >>> point.escape_rate, point.overkill_rate
    (0.5, 0.3333333333333333)
    """
    defective, decided_defective = (_defective(y, background, name) for y, name in
                                    ((y_true, "y_true"), (y_pred, "y_pred")))
    if np.ndim(y_true) == 1 and not np.isin(background, np.concatenate(
            [np.asarray(y_true), np.asarray(y_pred)])):
        raise ValueError(f"background={background!r} is the label of no image in y_true or "
                         "y_pred: give the label of the defect-free class as y uses it.")
    if defective.shape != decided_defective.shape:
        raise ValueError(f"y_true and y_pred must have the same number of images; got "
                         f"{len(defective)} and {len(decided_defective)}.")
    escapes = int(np.count_nonzero(defective & ~decided_defective))
    overkills = int(np.count_nonzero(~defective & decided_defective))
    n_defective = int(np.count_nonzero(defective))
    n_free = len(defective) - n_defective
    low, high = wilson_interval([escapes, overkills], [n_defective, n_free],
                                confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        escape_rate, overkill_rate = np.divide([escapes, overkills], [n_defective, n_free])
    return OperatingPoint(float(escape_rate), (float(low[0]), float(high[0])),
                          float(overkill_rate), (float(low[1]), float(high[1])),
                          escapes, n_defective, overkills, n_free)


def _defective(y, background, name):
    """Whether each image is (decided) defective."""
    y = np.asarray(y)
    if y.ndim == 2:
        if not (isinstance(background, int | np.integer) and 0 <= background < y.shape[1]):
            raise ValueError(f"With an indicator matrix {name}, background is the column of the "
                             f"defect-free class: an integer in 0 .. {y.shape[1] - 1}; got "
                             f"{background!r}.")
        return np.delete(y, background, axis=1).astype(bool).any(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be labels (1-D) or an indicator matrix (2-D); got shape "
                         f"{y.shape}.")
    return y != background
