"""The voting rule, shared by the search and by the estimator's ``predict`` (pure numpy).

Expert k votes for class c of an image when its probability reaches its threshold,
``p_kc >= delta_k``; the weighted votes are ``V_c = sum_k w_k [p_kc >= delta_k]``.

* Multi-label: class c is predicted when ``V_c >= q_c * sum(w)``.
* Single-label: the one class with the largest ``V_c / q_c`` is predicted; classes within
  rounding of the largest tie, and the tie goes to the experts' largest weighted mean
  probability ``sum_k w_k p_kc`` (and, should those tie as well, the first class). With no
  vote at all every class ties, so the mean probability decides.

Both comparisons have a slack of ``QUORUM_SLACK`` on the vote share (votes over total weight),
so that sums equal up to floating-point rounding (0.1 + 0.2 against 0.3) count as equal.
"""

import numpy as np

from ..utils._labels import check_probabilities

QUORUM_SLACK = 1e-9

# Weight breakpoints closer than this (relative) are the same breakpoint up to rounding.
BREAKPOINT_RTOL = 1e-12


def check_vote_arguments(expert_proba, thresholds, weights, quorum):
    """Check the vote's arguments; return them as float arrays (``weights`` may stay None).

    Raises a ValueError that names the argument and what it takes: probabilities that are
    not a non-empty (n_experts, n_samples, n_classes) array in [0, 1], thresholds outside
    [0, 1] or of another shape, weights that are negative, all zero or not one per expert,
    a quorum outside (0, 1] or not one per class.
    """
    proba = check_probabilities(expert_proba, name="expert_proba")
    if proba.ndim != 3 or 0 in proba.shape:
        raise ValueError("expert_proba must be a non-empty array of shape (n_experts, "
                         f"n_samples, n_classes); got shape {proba.shape}.")
    n_experts, _, n_classes = proba.shape
    quorum = _numbers(quorum, "quorum")
    if quorum.ndim > 1 or (quorum.ndim == 1 and quorum.shape != (n_classes,)):
        raise ValueError(f"quorum must be a number or one per class ({n_classes}); got shape "
                         f"{quorum.shape}.")
    if not np.all((quorum > 0) & (quorum <= 1)):
        raise ValueError(f"quorum must lie in (0, 1]; got {quorum}.")
    thresholds = _numbers(thresholds, "thresholds")
    if thresholds.shape not in ((), (n_experts,), (n_experts, n_classes)):
        raise ValueError(f"thresholds must be a number or of shape ({n_experts},) or "
                         f"({n_experts}, {n_classes}); got shape {thresholds.shape}.")
    if not np.all((thresholds >= 0) & (thresholds <= 1)):
        raise ValueError(f"thresholds must lie in [0, 1]; got {thresholds}.")
    if weights is not None:
        weights = _numbers(weights, "weights")
        if weights.shape != (n_experts,):
            raise ValueError(f"weights must have one value per expert ({n_experts}); got shape "
                             f"{weights.shape}.")
        if not (np.all(np.isfinite(weights)) and (weights >= 0).all() and weights.sum() > 0):
            raise ValueError(f"weights must be finite and non-negative with a positive sum; got "
                             f"{weights}.")
    return proba, thresholds, weights, quorum


def _numbers(value, name):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or an array of numbers.") from exc


def per_class_thresholds(thresholds, n_experts, n_classes):
    """Thresholds as an (n_experts, n_classes) array."""
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim == 0:
        thresholds = np.full(n_experts, float(thresholds))
    if thresholds.ndim == 1:
        thresholds = np.repeat(thresholds[:, None], n_classes, axis=1)
    return thresholds


def weighted_votes(expert_proba, thresholds, weights):
    """Weighted votes ``V[n, c] = sum_k w_k [p_knc >= delta_k(c)]``.

    Parameters
    ----------
    expert_proba : ndarray of shape (n_experts, n_samples, n_classes)
    thresholds : ndarray of shape (n_experts,) or (n_experts, n_classes)
    weights : ndarray of shape (n_experts,)

    Returns
    -------
    votes : ndarray of shape (n_samples, n_classes)

    See Also
    --------
    vote_decision : what the vote predicts from these votes.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import weighted_votes
    >>> proba = np.array([[[0.9, 0.2, 0.6]], [[0.4, 0.7, 0.55]]])  # 2 experts, 1 image, 3 classes
    >>> weighted_votes(proba, [0.5, 0.5], [1.0, 2.0])
    array([[1., 2., 3.]])
    """
    expert_proba = np.asarray(expert_proba)
    thresholds = per_class_thresholds(thresholds, expert_proba.shape[0], expert_proba.shape[2])
    votes = np.zeros(expert_proba.shape[1:])
    for proba, threshold, weight in zip(expert_proba, thresholds, weights):
        if weight:
            votes += weight * (proba >= threshold)
    return votes


def reaches_quorum(votes, quorum, total_weight):
    """Indicator of the cells whose votes reach ``quorum * total_weight`` (with rounding slack).

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import reaches_quorum
    >>> reaches_quorum(np.array([[1.0, 2.0, 3.0]]), 0.5, total_weight=3.0)
    array([[False,  True,  True]])
    """
    return votes >= (np.asarray(quorum) - QUORUM_SLACK) * total_weight


def single_label_decision(votes, mean_proba, quorum, total_weight, axis=-1):
    """Index of the one class predicted per sample: largest ``V_c / q_c``, ties by mean proba.

    Parameters
    ----------
    votes : ndarray
        Weighted votes, classes along ``axis``.
    mean_proba : ndarray of the same shape
        The experts' weighted mean probability (any positive multiple of it: only its order
        within a sample matters).
    quorum : ndarray of shape (n_classes,)
        Quorum of every class, broadcast along ``axis``.
    total_weight : float or ndarray
        Sum of the weights (broadcastable to ``votes`` with ``axis`` removed kept as size 1).
    axis : int, default=-1
        The class axis.

    Returns
    -------
    decision : ndarray of int, ``votes``' shape without ``axis``

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import single_label_decision
    >>> votes, mean_proba = np.array([[1.0, 2.0, 3.0]]), np.array([[0.65, 0.45, 0.575]])
    >>> single_label_decision(votes, mean_proba, np.full(3, 0.5), total_weight=3.0)
    array([2])
    """
    shape = [1] * np.ndim(votes)
    shape[axis] = -1
    share = votes / (np.reshape(quorum, shape) * np.maximum(total_weight, np.finfo(float).tiny))
    tied = share >= share.max(axis=axis, keepdims=True) - QUORUM_SLACK
    mean_proba = np.where(tied, mean_proba, -np.inf)
    # Means equal up to rounding tie too; the first such class wins.
    best = mean_proba >= mean_proba.max(axis=axis, keepdims=True) - QUORUM_SLACK
    return np.argmax(best, axis=axis)


def vote_decision(expert_proba, thresholds=0.5, weights=None, quorum=0.5, *, single_label):
    """What the vote predicts: class indices (single-label) or a 0/1 indicator (multi-label).

    Parameters
    ----------
    expert_proba : ndarray of shape (n_experts, n_samples, n_classes)
    thresholds : float or ndarray of shape (n_experts,) or (n_experts, n_classes), default=0.5
    weights : ndarray of shape (n_experts,), default=None
        Equal weights when None.
    quorum : float or ndarray of shape (n_classes,), default=0.5
    single_label : bool
        Whether to return the one class per sample (:func:`single_label_decision`) or every
        class that reaches its quorum (:func:`reaches_quorum`).

    Returns
    -------
    decision : ndarray of shape (n_samples,) or (n_samples, n_classes), int64

    See Also
    --------
    coordinate_search : learns the thresholds and weights this rule uses.
    skmoe.MultiExpertVotingClassifier : the estimator that predicts with it.

    Examples
    --------
    >>> import numpy as np
    >>> from skmoe.ensemble import vote_decision
    >>> proba = np.array([[[0.9, 0.2, 0.6]], [[0.4, 0.7, 0.55]]])  # 2 experts, 1 image, 3 classes
    >>> vote_decision(proba, 0.5, [1.0, 2.0], single_label=True)
    array([2])
    >>> vote_decision(proba, 0.5, [1.0, 2.0], single_label=False)
    array([[0, 1, 1]])
    """
    expert_proba, thresholds, weights, quorum = check_vote_arguments(expert_proba, thresholds,
                                                                     weights, quorum)
    n_experts, _, n_classes = expert_proba.shape
    weights = np.ones(n_experts) if weights is None else weights
    votes = weighted_votes(expert_proba, thresholds, weights)
    quorum = np.broadcast_to(quorum, (n_classes,))
    if not single_label:
        return reaches_quorum(votes, quorum, weights.sum()).astype(np.int64)
    mean_proba = np.tensordot(weights, expert_proba, axes=1)
    return single_label_decision(votes, mean_proba, quorum, weights.sum()).astype(np.int64)
