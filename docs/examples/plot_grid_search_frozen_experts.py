"""
Tuning the vote with GridSearchCV, never retraining an expert
=============================================================

Experts take hours to train; the vote's own parameters (the objective it maximises, the quorum,
one threshold per expert or per (expert, class)) take seconds to tune. Wrapped in
:class:`sklearn.frozen.FrozenEstimator`, fitted experts survive ``clone``, so ``GridSearchCV``
cross-validates the vote on validation data without fitting a single expert again.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import image_statistics, make_steel_defects
from skmoe.model_selection import train_val_test_split

X, y = make_steel_defects(2500, image_size=32, random_state=0)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, stratify=y,
                                                                      random_state=0)
features = FunctionTransformer(image_statistics)
experts = [
    ("logreg", make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=2000))),
    ("bayes", make_pipeline(features, GaussianNB())),
    ("knn", make_pipeline(features, StandardScaler(), KNeighborsClassifier(15))),
]
frozen = [(name, FrozenEstimator(expert.fit(X_train, y_train))) for name, expert in experts]

# %%
# Three folds of the validation data, eight settings of the vote: 24 fits of the vote alone.
grid = {"objective": ["precision_recall", "f1"], "quorum": [0.3, 0.5],
        "threshold_scope": ["expert", "expert_class"]}
search = GridSearchCV(MultiExpertVotingClassifier(frozen), grid, scoring="f1_macro",
                      cv=3).fit(X_val, y_val)
print("best:", search.best_params_, f"cross-validated macro F1 {search.best_score_:.3f}")
test_f1 = f1_score(y_test, search.predict(X_test), average="macro")
print(f"test macro F1 of the best vote: {test_f1:.3f}")

# %%
results = pd.DataFrame(search.cv_results_)
fig, ax = plt.subplots(figsize=(7, 3.5))
for (objective, scope), rows in results.groupby(["param_objective", "param_threshold_scope"]):
    ax.errorbar(rows["param_quorum"].astype(float), rows["mean_test_score"],
                rows["std_test_score"], marker="o", capsize=3, label=f"{objective}, {scope}")
ax.set_xlabel("quorum")
ax.set_ylabel("cross-validated macro F1")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
