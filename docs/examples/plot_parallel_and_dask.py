"""
Experts in parallel: joblib, or a dask cluster
==============================================

Unfitted experts train independently, so ``n_jobs`` fits them side by side through joblib;
inside ``joblib.parallel_config(backend="dask")`` the same code sends one expert to each
worker of a dask cluster (here a local one; give ``Client("tcp://scheduler:8786")`` for a
real one). The predictions are the same in every case; the plot shows the wall time.
"""

import time

import joblib
import matplotlib.pyplot as plt
from dask.distributed import Client, LocalCluster
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import image_statistics, make_steel_defects

X, y = make_steel_defects(3000, image_size=32, random_state=0)
features = FunctionTransformer(image_statistics)


def ensemble(n_jobs):
    experts = [(f"forest{i}", make_pipeline(features, RandomForestClassifier(100, random_state=i)))
               for i in range(2)]
    experts += [(f"extra{i}", make_pipeline(features, ExtraTreesClassifier(100, random_state=i)))
                for i in range(2)]
    return MultiExpertVotingClassifier(experts, cv=0.2, n_jobs=n_jobs, random_state=0)


seconds, predictions = {}, {}
for name, n_jobs in [("n_jobs=1", 1), ("n_jobs=2", 2)]:
    start = time.perf_counter()
    predictions[name] = ensemble(n_jobs).fit(X[:2500], y[:2500]).predict(X[2500:])
    seconds[name] = time.perf_counter() - start

# %%
# The same fit on a dask cluster: one expert per worker.
with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                  dashboard_address=None) as cluster, Client(cluster):
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask"):
        predictions["dask, 2 workers"] = ensemble(-1).fit(X[:2500], y[:2500]).predict(X[2500:])
    seconds["dask, 2 workers"] = time.perf_counter() - start

reference = predictions["n_jobs=1"]
print({name: bool((p == reference).all()) for name, p in predictions.items()})

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(seconds), list(seconds.values()))
ax.set_xlabel("seconds to fit four experts and tune the vote")
fig.tight_layout()
plt.show()
