"""How the two stages combine on four images: the gate's probability g that an image is
defective, the classifier's p_c over the defect classes, and the final probabilities
P(defect-free) = 1 - g, P(c) = g * p_c; under hard gating an image with g below the gate's
threshold is defect-free outright (user guide figure)."""

import matplotlib.pyplot as plt
import numpy as np

classes = ["background", "crazing", "patches", "pits", "scratches"]
gate = np.array([0.05, 0.35, 0.80, 0.97])
classifier = np.array([[0.40, 0.30, 0.20, 0.10],
                       [0.10, 0.60, 0.20, 0.10],
                       [0.05, 0.10, 0.80, 0.05],
                       [0.10, 0.05, 0.05, 0.80]])
soft = np.column_stack([1 - gate, gate[:, None] * classifier])
hard = soft.copy()
hard[gate < 0.5] = np.eye(len(classes))[0]

fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), sharey=True)
for ax, proba, title in ((axes[0], soft, 'gating="soft"'),
                         (axes[1], hard, 'gating="hard" (gate_threshold 0.5)')):
    left = np.zeros(len(gate))
    for c, name in enumerate(classes):
        ax.barh(np.arange(len(gate)), proba[:, c], left=left, label=name)
        left += proba[:, c]
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("probability")
axes[0].set_yticks(np.arange(len(gate)), [f"image {i}: g = {g}" for i, g in enumerate(gate)])
axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
