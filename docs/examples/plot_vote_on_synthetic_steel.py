"""
Experts against their tuned vote
================================

Two cheap experts (image statistics into a forest, and a two-stage pipeline) are trained on
synthetic steel images, frozen, and combined by a :class:`~skmoe.MultiExpertVotingClassifier`
that learns a threshold and a weight per expert on validation data. The plot shows per-class
precision, recall and F1 of each on the test split. ``skmoe run`` does all of this with CNN and
detector experts from one config file.
"""

import matplotlib.pyplot as plt
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline
from skmoe.datasets import STEEL_CLASSES, image_statistics, make_steel_defects
from skmoe.metrics import defect_report
from skmoe.model_selection import train_val_test_split

# %%
# Data and experts
# ----------------
# 3,000 images of 32 x 32 pixels: half defect-free, the rarest defect 2%.
X, y = make_steel_defects(3000, image_size=32, random_state=0)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, stratify=y,
                                                                      random_state=0)
features = FunctionTransformer(image_statistics)
experts = {
    "forest": make_pipeline(features, RandomForestClassifier(200, random_state=0)),
    "two_stage": TwoStagePipeline(
        make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=2000)),
        make_pipeline(features, ExtraTreesClassifier(200, random_state=0))),
}
for expert in experts.values():
    expert.fit(X_train, y_train)

# %%
# The vote, tuned on validation data
# ----------------------------------
# Frozen experts are never refitted: ``fit`` only tunes thresholds and weights.
ensemble = MultiExpertVotingClassifier(
    [(name, FrozenEstimator(expert)) for name, expert in experts.items()]).fit(X_val, y_val)
print("thresholds", ensemble.thresholds_.round(3), "weights", ensemble.weights_.round(3),
      "kept by the guard:", bool(ensemble.tuning_kept_))

# %%
# Per-class scores on the test split
# ----------------------------------
models = {**experts, "vote": ensemble}
fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.8), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    report = defect_report(y_test, model.predict(X_test), labels=STEEL_CLASSES)
    report.plot(ax=ax)
    ax.set_title(f"{name}: macro F1 {report.macro.f1:.3f}")
fig.tight_layout()
plt.show()
