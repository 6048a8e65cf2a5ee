"""Stratified train / validation / test split for single- and multi-label targets."""

import warnings

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length

from ..utils._inputs import take_rows
from ..utils._labels import to_indicator
from ..utils._messages import plain


def train_val_test_split(*arrays, stratify, val_size=0.1, test_size=0.1, random_state=None):
    """Split arrays into train, validation and test parts with the same class profile.

    Every class keeps its share in each part, which matters for long-tailed data where a random
    split can leave a rare class out of the validation set altogether. Single-label targets are
    stratified per label. Multi-label targets are stratified per label combination; images whose
    combination is too rare to spread over three parts are grouped by their rarest label.

    Parameters
    ----------
    *arrays : sequence of indexables of the same length
        Images, labels, boxes (lists are fine), or anything ``sklearn.utils._safe_indexing``
        accepts.
    stratify : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels or indicator matrix to stratify on (usually ``y``).
    val_size, test_size : float in (0, 1), default=0.1
        Fractions of the data for validation and test; the rest is for training (8:1:1 by
        default).
    random_state : int, RandomState instance or None, default=None
        Seed for the shuffle.

    Returns
    -------
    splits : list
        ``[a_train, a_val, a_test, b_train, b_val, b_test, ...]`` for arrays ``a, b, ...``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.model_selection import train_val_test_split
    >>> y = np.repeat(["ok", "pit"], [80, 20])
    >>> y_train, y_val, y_test = train_val_test_split(y, stratify=y, random_state=0)
    >>> [int((part == "pit").sum()) for part in (y_train, y_val, y_test)]
    [16, 2, 2]
    """
    if not arrays:
        raise ValueError("train_val_test_split needs at least one array to split.")
    check_consistent_length(*arrays, stratify)
    for name, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 < size < 1:
            raise ValueError(f"{name} must be a fraction in (0, 1); got {size}.")
    if val_size + test_size >= 1:
        raise ValueError(
            f"val_size + test_size must leave data for training; got {val_size} + {test_size}."
        )
    fractions = np.array([1 - val_size - test_size, val_size, test_size])
    _warn_about_missing_classes(stratify, fractions)
    parts = stratified_partition(stratify, fractions, random_state=random_state)
    return [take_rows(array, part) for array in arrays for part in parts]


def stratified_partition(y, fractions, *, random_state=None):
    """Index arrays that split ``range(len(y))`` into parts of the given fractions, per stratum.

    Within each stratum the counts are the fractions rounded by largest remainder, so a class of
    300 images splits 240/30/30 at 8:1:1, and leftover images go to the parts that lost most to
    rounding. Each part's indices are sorted.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels or indicator matrix.
    fractions : sequence of float
        Fraction of each part; normalised to sum to 1.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    parts : list of ndarray of int

    See Also
    --------
    train_val_test_split : the 8:1:1 split of arrays built on it.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.model_selection import stratified_partition
    >>> y = np.array([0] * 8 + [1] * 4)
    >>> train, test = stratified_partition(y, (0.75, 0.25), random_state=0)
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 6, 7, 8, 10, 11], [4, 5, 9])
    """
    rng = check_random_state(random_state)
    fractions = np.asarray(fractions, dtype=float) / np.sum(fractions)
    strata = _strata(y, n_parts=len(fractions))
    parts = [[] for _ in fractions]
    for stratum in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == stratum))
        bounds = np.cumsum(_largest_remainder(len(members), fractions))[:-1]
        for part, chunk in zip(parts, np.split(members, bounds)):
            part.append(chunk)
    return [np.sort(np.concatenate(part)) for part in parts]


def _warn_about_missing_classes(y, fractions):
    """Warn when a class has too few images to reach every part (its scores go undefined).

    The count per part is the one stratified_partition gives a class alone (for multi-label
    ``y`` the strata are label combinations, so this is the best case).
    """
    indicator, classes, _ = to_indicator(y)
    missing = []
    for name, count in zip(classes, indicator.sum(axis=0)):
        counts = _largest_remainder(int(count), fractions)
        if (counts == 0).any():
            missing.append(f"{plain(name)!r} ({int(count)} images: "
                           f"{'/'.join(map(str, counts))})")
    if missing:
        warnings.warn(f"Classes too small to reach train, validation and test: "
                      f"{', '.join(missing)}. Their scores will be missing or undefined in a "
                      "split without them; gather more images of them, or change the sizes.",
                      UserWarning, stacklevel=3)


def _largest_remainder(n, fractions):
    """Integer counts summing to n, as close to n * fractions as rounding allows."""
    exact = n * fractions
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _strata(y, *, n_parts):
    """One stratum id per sample: the label, or the label combination for multi-label y."""
    indicator, _, multilabel = to_indicator(y)
    if not multilabel:
        return indicator.argmax(axis=1)
    _, combination, counts = np.unique(indicator, axis=0, return_inverse=True, return_counts=True)
    combination = combination.ravel()
    # Combinations with fewer members than parts cannot be spread; group them by rarest label.
    too_rare = counts[combination] < n_parts
    if too_rare.any():
        label_counts = indicator.sum(axis=0)
        present = np.where(indicator[too_rare] > 0, label_counts, np.iinfo(np.int64).max)
        combination[too_rare] = len(counts) + present.argmin(axis=1)
    return combination
