"""
One threshold per expert, or per (expert, class)
================================================

By default each expert votes for a class when its probability reaches one learned threshold.
With ``threshold_scope="expert_class"`` the search learns a threshold for every (expert,
class): an expert that is overconfident on one class and timid on another gets both right. The
heat maps show what was learned; the printout compares the two on the test split.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import STEEL_CLASSES, image_statistics, make_steel_defects
from skmoe.model_selection import train_val_test_split

# Multi-label images: up to two defects each, so every class is a yes/no question per image.
X, y = make_steel_defects(3000, image_size=32, max_defects_per_image=2, random_state=0)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, stratify=y,
                                                                      random_state=0)
features = FunctionTransformer(image_statistics)
from sklearn.multioutput import MultiOutputClassifier  # noqa: E402

experts = [
    ("logreg", make_pipeline(features, StandardScaler(),
                             MultiOutputClassifier(LogisticRegression(max_iter=2000)))),
    ("bayes", make_pipeline(features, MultiOutputClassifier(GaussianNB()))),
]
frozen = [(name, FrozenEstimator(expert.fit(X_train, y_train))) for name, expert in experts]
votes = {scope: MultiExpertVotingClassifier(frozen, threshold_scope=scope, guard_resamples=0)
         .fit(X_val, y_val) for scope in ("expert", "expert_class")}
for scope, vote in votes.items():
    print(f"threshold_scope={scope!r:15s} test macro F1 "
          f"{f1_score(y_test, vote.predict(X_test), average='macro', zero_division=0):.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 2.8))
for ax, (scope, vote) in zip(axes, votes.items()):
    thresholds = np.broadcast_to(np.asarray(vote.thresholds_).reshape(len(frozen), -1),
                                 (len(frozen), len(STEEL_CLASSES)))
    image = ax.imshow(thresholds, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(STEEL_CLASSES)), STEEL_CLASSES, rotation=20, fontsize=8)
    ax.set_yticks(range(len(frozen)), [name for name, _ in frozen])
    ax.set_title(f"threshold_scope={scope!r}", fontsize=9)
    for (k, c), value in np.ndenumerate(thresholds):
        ax.text(c, k, f"{value:.2f}", ha="center", va="center", color="w", fontsize=8)
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()
