"""The guard: keep the plain vote unless the tuning data shows that tuning generalises.

A validation set of a few hundred images is small: many thresholds and weights tie on it, and a
gain of half a point of macro F1 is one image. Tuning can then fit noise and lose to the plain
vote (thresholds 0.5, equal weights) on new images. The guard asks the tuning data itself:
split it in two random halves (stratified), run the search on one half, and compare the tuned
and the starting vote on the other; repeat. Tuning is kept only when it gains on the held-out
halves on average *and* in clearly more halves than it loses; otherwise the starting vote
stands. Where experts differ in quality or calibration (a strong expert whose scores never reach
0.5, say), the gain is large and consistent and the guard lets it through.
"""

import numpy as np
from sklearn.utils import check_random_state

from ..model_selection import stratified_partition
from ._search import coordinate_search, vote_objective

# Tuning is kept when the held-out halves gain on average and at least this share of the halves
# that are not ties gain.
MIN_WIN_SHARE = 0.75


def resampled_gains(expert_proba, y_true, *, n_resamples=5, random_state=None,
                    **search_params):
    """Held-out gains of the search over its start, on repeated random halvings of the data.

    Parameters
    ----------
    expert_proba : ndarray of shape (n_experts, n_samples, n_classes)
    y_true : ndarray of shape (n_samples, n_classes) or (n_samples,)
        As in :func:`coordinate_search`: an indicator matrix or class indices.
    n_resamples : int, default=5
        Number of random halvings; each half is tuned on once and scored on the other.
    random_state : int, RandomState instance or None, default=None
        Seed of the halvings.
    **search_params
        Parameters of :func:`coordinate_search` (the start, quorum, objective, ...).

    Returns
    -------
    gains : ndarray of shape (2 * n_resamples,) or shorter
        Objective of the tuned vote minus that of the starting vote, on the held-out half.
        A halving that leaves a half empty (a handful of images) gives no gain.
    """
    rng = check_random_state(random_state)
    y_true = np.asarray(y_true)
    strata = y_true if y_true.ndim == 2 else y_true[:, None] == np.arange(expert_proba.shape[2])
    score_params = {name: search_params[name] for name in ("quorum", "objective")
                    if name in search_params}
    start = {"thresholds": search_params.get("thresholds", 0.5),
             "weights": search_params.get("weights")}
    gains = []
    for _ in range(n_resamples):
        halves = stratified_partition(strata, (0.5, 0.5), random_state=rng)
        for tune, held_out in (halves, halves[::-1]):
            if not (len(tune) and len(held_out)):
                continue
            tuned = coordinate_search(expert_proba[:, tune], y_true[tune], **search_params)
            proba, y = expert_proba[:, held_out], y_true[held_out]
            gains.append(vote_objective(proba, y, tuned.thresholds, tuned.weights, **score_params)
                         - vote_objective(proba, y, **start, **score_params))
    return np.array(gains)


def tuning_generalises(gains):
    """Whether held-out gains show a consistent improvement (see the module's rule)."""
    gains = np.round(np.asarray(gains, dtype=float), 12)
    if not gains.size:  # nothing could be held out: no evidence for tuning
        return False
    wins, losses = np.count_nonzero(gains > 0), np.count_nonzero(gains < 0)
    return bool(gains.mean() > 0 and wins >= MIN_WIN_SHARE * (wins + losses))
