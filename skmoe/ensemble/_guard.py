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
from ._search import SEARCH_DEFAULTS, check_search_inputs, score_checked, search_checked

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
    search_params = {**SEARCH_DEFAULTS, **search_params}
    data = check_search_inputs(expert_proba, y_true, **{name: search_params[name] for name in (
        "quorum", "thresholds", "weights")})
    return held_out_gains(data, n_resamples=n_resamples, random_state=random_state,
                          search_params=search_params)


def held_out_gains(data, *, n_resamples, random_state, search_params):
    """:func:`resampled_gains` of inputs already checked by ``check_search_inputs``;
    ``search_params``: every keyword of :func:`coordinate_search`."""
    rng = check_random_state(random_state)
    start = {"thresholds": search_params["thresholds"], "weights": search_params["weights"]}
    score = {"quorum": search_params["quorum"], "objective": search_params["objective"]}
    gains = []
    for _ in range(n_resamples):
        halves = stratified_partition(data.truth.T, (0.5, 0.5), random_state=rng)
        for tune, held_out in (halves, halves[::-1]):
            if not (len(tune) and len(held_out)):
                continue
            tuned = search_checked(data.rows(tune), **search_params)
            scored = data.rows(held_out)
            gains.append(score_checked(scored, tuned.thresholds, tuned.weights, **score)
                         - score_checked(scored, **start, **score))
    return np.array(gains)


def tuning_generalises(gains):
    """Whether held-out gains show a consistent improvement (see the module's rule)."""
    gains = np.round(np.asarray(gains, dtype=float), 12)
    if not gains.size:  # nothing could be held out: no evidence for tuning
        return False
    wins, losses = np.count_nonzero(gains > 0), np.count_nonzero(gains < 0)
    return bool(gains.mean() > 0 and wins >= MIN_WIN_SHARE * (wins + losses))
