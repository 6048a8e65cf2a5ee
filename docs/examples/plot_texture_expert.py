"""
A new expert type on the template
=================================

An expert type is a subclass of :class:`~skmoe.experts.BaseImageExpert` that writes two
methods: ``_fit`` (its training, on checked images and the indicator of ``y``) and
``_predict_proba`` (its scoring). The input checks, ``classes_``, ``predict``, the device,
seeding, pickling and the scikit-learn contract come from the base.
:class:`~skmoe.experts.TextureExpert` is such a type, in 40 lines: histograms of each image's
gray levels and gradient magnitudes, classified by any scikit-learn ``head``. Here it joins a
vote with a forest on image statistics, on synthetic steel images.
"""

import inspect

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import STEEL_CLASSES, image_statistics, make_steel_defects
from skmoe.experts import TextureExpert, texture_histograms
from skmoe.metrics import defect_report
from skmoe.model_selection import train_val_test_split

# %%
# The whole expert type
# ---------------------
print(inspect.getsource(TextureExpert))

# %%
# What it sees: the gradient histograms of each class
# ---------------------------------------------------
# Defects change the gray levels more steeply than the defect-free surface does: the tails of
# the histograms of gradient magnitudes (the second half of the features) tell them apart.
X, y = make_steel_defects(2000, image_size=32, random_state=0)
features = np.array([texture_histograms(image, bins=32) for image in X])
fig, ax = plt.subplots(figsize=(6, 3.5))
for label in STEEL_CLASSES:
    ax.plot(np.linspace(0, 0.5, 32), features[y == label, 32:64].mean(axis=0), label=label)
ax.set_xlabel("gradient magnitude (gray levels per pixel, 0-1 scale)")
ax.set_ylabel("share of pixels")
ax.set_yscale("log")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# The texture expert beside a forest on image statistics, and their tuned vote
# ----------------------------------------------------------------------------
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, stratify=y,
                                                                      random_state=0)
experts = {
    "texture": TextureExpert(),
    "statistics": make_pipeline(FunctionTransformer(image_statistics),
                                RandomForestClassifier(200, random_state=0)),
}
for expert in experts.values():
    expert.fit(X_train, y_train)
vote = MultiExpertVotingClassifier(
    [(name, FrozenEstimator(expert)) for name, expert in experts.items()]).fit(X_val, y_val)
models = {**experts, "vote": vote}
reports = {name: defect_report(y_test, model.predict(X_test), labels=STEEL_CLASSES)
           for name, model in models.items()}
fig, ax = plt.subplots(figsize=(8, 3.8))
x = np.arange(len(STEEL_CLASSES))
for i, (name, report) in enumerate(reports.items()):
    ax.bar(x + (i - 1) * 0.27, report.f1, 0.27, label=f"{name} (macro F1 {report.macro.f1:.3f})")
ax.set_xticks(x, STEEL_CLASSES)
ax.set_ylabel("test F1")
ax.set_ylim(0, 1.15)
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()
plt.show()
