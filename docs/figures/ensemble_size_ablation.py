"""The ensemble-size ablation on synthetic experts of mixed skill: every subset of 2..K
experts tuned on one half of the data and scored (macro F1) on the other, one box per size,
as `skmoe run` draws it from the saved probabilities (user guide figure)."""

from itertools import combinations

import matplotlib.pyplot as plt
import numpy as np

from skmoe.ensemble import coordinate_search, vote_decision

rng = np.random.default_rng(0)
n_experts, n_samples, n_classes = 5, 400, 4
y = rng.integers(0, n_classes, n_samples)
skill = rng.uniform(0.2, 0.9, n_experts)[:, None, None]
logits = skill * 2 * (np.eye(n_classes)[y] - 0.5) + rng.normal(size=(n_experts, n_samples,
                                                                      n_classes))
proba = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
tune, test = np.arange(n_samples) < n_samples // 2, np.arange(n_samples) >= n_samples // 2


def macro_f1(truth, predicted):
    scores = []
    for c in range(n_classes):
        tp = np.sum((predicted == c) & (truth == c))
        scores.append(2 * tp / max(np.sum(predicted == c) + np.sum(truth == c), 1))
    return np.mean(scores)


sizes = range(2, n_experts + 1)
results = []
for size in sizes:
    scores = []
    for subset in combinations(range(n_experts), size):
        subset = list(subset)
        search = coordinate_search(proba[subset][:, tune], y[tune], max_iter=5)
        predicted = vote_decision(proba[subset][:, test], search.thresholds, search.weights,
                                  single_label=True)
        scores.append(macro_f1(y[test], predicted))
    results.append(scores)

fig, ax = plt.subplots(figsize=(6, 2.8))
ax.boxplot(results, positions=list(sizes))
ax.set_xlabel("experts in the ensemble")
ax.set_ylabel("test macro F1")
fig.tight_layout()
