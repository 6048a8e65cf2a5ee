"""The vote on one image: each expert's probabilities against its threshold, and the
weighted votes against the quorum (user guide figure)."""

import matplotlib.pyplot as plt
import numpy as np

classes = ["background", "crazing", "patches", "pits", "scratches"]
proba = np.array([[0.30, 0.05, 0.62, 0.02, 0.01],   # expert 0
                  [0.55, 0.10, 0.41, 0.03, 0.05],   # expert 1
                  [0.20, 0.02, 0.71, 0.04, 0.03]])  # expert 2
thresholds, weights = np.array([0.6, 0.45, 0.5]), np.array([1.2, 0.6, 1.2])
votes = (weights[:, None] * (proba >= thresholds[:, None])).sum(axis=0)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.8))
x = np.arange(len(classes))
for k in range(3):
    left.bar(x + (k - 1) * 0.27, proba[k], 0.27,
             label=f"expert {k}: threshold {thresholds[k]}, weight {weights[k]}")
    left.hlines(thresholds[k], x[0] - 0.5, x[-1] + 0.5, color=f"C{k}", linestyle=":")
left.set_xticks(x, classes, fontsize=8)
left.set_ylabel("probability")
left.legend(fontsize=7)
right.bar(x, votes, color="grey")
right.axhline(0.5 * weights.sum(), color="C3", linestyle="--", label="quorum 0.5 x sum(w)")
right.set_xticks(x, classes, fontsize=8)
right.set_ylabel("weighted votes")
right.legend(fontsize=7)
fig.tight_layout()
