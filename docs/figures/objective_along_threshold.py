"""The search's objective along one expert's threshold, the rest held where the search left
them: flat stretches, and the chosen point (user guide figure)."""

import matplotlib.pyplot as plt
import numpy as np

from skmoe.ensemble import confusion_counts, coordinate_search, precision_plus_recall, vote_decision

rng = np.random.default_rng(0)
y = rng.random((300, 4)) < 0.3
skill = np.array([1.5, 1.0, 0.6])[:, None, None]
proba = 1 / (1 + np.exp(-(skill * (2 * y - 1) + rng.normal(size=(3, 300, 4)))))
proba = np.round(proba, 2)
result = coordinate_search(proba, y)

def objective(thresholds):
    predicted = vote_decision(proba, thresholds, result.weights, single_label=False)
    return precision_plus_recall(*confusion_counts(y, predicted)).mean()

grid = np.linspace(0, 1, 401)
values = [objective(np.r_[t, result.thresholds[1:]]) for t in grid]
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.step(grid, values, where="post")
ax.axvline(result.thresholds[0], color="C3", linestyle="--", label="chosen threshold")
ax.set_xlabel("threshold of expert 0")
ax.set_ylabel("macro precision + recall")
ax.legend()
fig.tight_layout()
