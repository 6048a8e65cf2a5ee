"""
One stage or two on a long tail
===============================

On inspection lines most images are defect-free and some defects are rare. A
:class:`~skmoe.TwoStagePipeline` puts a defect / no-defect gate in front of a classifier that
learns the defect classes on defective images only, so the defect-free majority no longer
drowns the rare classes. Here the same forest is used one-stage and as the second stage, and
the recall of every class is compared; ``gating="hard"`` skips the classifier where the gate
says defect-free.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmoe import TwoStagePipeline
from skmoe.datasets import STEEL_CLASSES, image_statistics, make_steel_defects
from skmoe.metrics import defect_report
from skmoe.model_selection import train_val_test_split

# A longer tail than the default: 80% defect-free, the rarest defect 1%.
X, y = make_steel_defects(3000, image_size=32, class_weights=[0.80, 0.08, 0.06, 0.05, 0.01],
                          random_state=0)
X_train, _, X_test, y_train, _, y_test = train_val_test_split(X, y, stratify=y, random_state=0)
features = FunctionTransformer(image_statistics)


def forest():
    return make_pipeline(features, RandomForestClassifier(200, random_state=0))


gate = make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=2000))
models = {
    "one stage": forest(),
    "two stage": TwoStagePipeline(gate, forest()),
    "two stage, hard gating": TwoStagePipeline(gate, forest(), gating="hard"),
}
recall = {}
for name, model in models.items():
    report = defect_report(y_test, model.fit(X_train, y_train).predict(X_test),
                           labels=STEEL_CLASSES)
    recall[name] = report.recall
    print(f"{name:24s} macro F1 {report.macro.f1:.3f}")

# %%
# Recall per class: the rare defects gain most.
width = 0.8 / len(recall)
fig, ax = plt.subplots(figsize=(8, 3.5))
for i, (name, values) in enumerate(recall.items()):
    ax.bar(np.arange(len(STEEL_CLASSES)) + i * width, values, width, label=name)
ax.set_xticks(np.arange(len(STEEL_CLASSES)) + width, STEEL_CLASSES)
ax.set_ylabel("test recall")
ax.legend()
fig.tight_layout()
plt.show()
