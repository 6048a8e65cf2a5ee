"""Random search instances and the objective straight from the voting rule, for the tests."""

import numpy as np
from hypothesis import strategies as st

from skmoe.ensemble import vote_decision
from skmoe.ensemble._objectives import COUNT_OBJECTIVES, confusion_counts
from skmoe.ensemble._vote_state import _VoteState


def random_instance(seed, n_experts, n_samples, n_classes, decimals):
    """Random expert probabilities (rounded, so ties happen) and a random indicator."""
    rng = np.random.default_rng(seed)
    y = rng.random((n_samples, n_classes)) < rng.uniform(0.1, 0.6, n_classes)
    skill = rng.uniform(0.0, 2.0, size=(n_experts, 1, 1))
    logits = skill * (2 * y - 1) + rng.normal(size=(n_experts, n_samples, n_classes))
    return np.round(1 / (1 + np.exp(-logits)), decimals), y


def count_objective_value(term, y_true, y_pred):
    """The oracle of the objectives: mean over classes of ``term`` of indicator matrices."""
    return float(np.mean(term(*confusion_counts(y_true, y_pred))))


def vote_state(proba, y, thresholds, weights, quorum=0.5, per_class=False,
               objective="precision_recall", single_label=False):
    """A search state over (experts, samples, classes) probabilities, as the search builds it."""
    return _VoteState(np.ascontiguousarray(proba.transpose(0, 2, 1)), np.ascontiguousarray(y.T),
                      quorum, thresholds, weights, per_class, objective,
                      single_label=single_label)


def rule_objective(proba, y, thresholds, weights, quorum=0.5, objective="precision_recall"):
    """The objective straight from the voting rule."""
    predicted = vote_decision(proba, thresholds, weights, quorum, single_label=False)
    return count_objective_value(COUNT_OBJECTIVES[objective], y, predicted)


# (seed, experts, samples, classes, decimals of the probabilities: ties when few)
INSTANCES = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(1, 4),  # experts
    st.integers(2, 40),  # samples
    st.integers(1, 3),  # classes
    st.sampled_from([1, 2, 6]),  # decimals of the probabilities (ties when few)
)




def tiny_instance(seed):
    """A tiny multi-label search problem as in the restart target: N 8-20, K 2-3, C 2-3.

    Probabilities are rounded to 0.1, so many thresholds and weights tie.
    """
    rng = np.random.default_rng(seed)
    n_samples, n_experts, n_classes = rng.integers(8, 21), rng.integers(2, 4), rng.integers(2, 4)
    y = rng.random((n_samples, n_classes)) < 0.4
    y[rng.integers(0, n_samples, n_classes), np.arange(n_classes)] = True  # every class present
    skill = rng.uniform(-0.5, 2.5, size=(n_experts, 1, 1))
    logits = skill * (2 * y - 1) + rng.normal(size=(n_experts, n_samples, n_classes))
    return np.round(1 / (1 + np.exp(-logits)), 1), y


def brute_force_optimum(proba, y, quorum=0.5, max_weight=5):
    """Best multi-label objective over every threshold and weight configuration.

    Thresholds matter only through which of an expert's scores reach them, so each expert
    tries every distinct score and "none". Weights matter only through which sets of experts
    reach the quorum; integer weights 0..``max_weight`` give every such family for K <= 3.
    """
    n_experts = proba.shape[0]
    choices = [np.append(np.unique(p), 1.0 + 1e-9 if p.max() < 1 else 1.0) for p in proba]
    grids = np.meshgrid(*choices, indexing="ij")
    thresholds = np.stack([g.ravel() for g in grids], axis=1)  # (T, K)
    hits = proba[None] >= thresholds[:, :, None, None]  # (T, K, N, C)
    codes = np.tensordot(1 << np.arange(n_experts), hits, axes=([0], [1]))  # (T, N, C)
    patterns = (np.arange(1 << n_experts)[:, None] >> np.arange(n_experts)) & 1
    weights = np.stack(np.meshgrid(*[np.arange(max_weight + 1)] * n_experts, indexing="ij"),
                       axis=-1).reshape(-1, n_experts)
    weights = weights[weights.sum(axis=1) > 0]
    winning = patterns @ weights.T >= quorum * weights.sum(axis=1) - 1e-9  # (2^K, W)
    games = np.unique(winning.T, axis=0)  # (G, 2^K)
    predicted = games[:, codes]  # (G, T, N, C)
    tp = np.count_nonzero(predicted & y, axis=2)
    fp = np.count_nonzero(predicted, axis=2) - tp
    term = COUNT_OBJECTIVES["precision_recall"]
    return float(np.round(term(tp, fp, y.sum(axis=0)).mean(axis=-1).max(), 12))
