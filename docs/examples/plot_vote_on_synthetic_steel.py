"""Experts versus their tuned vote on synthetic steel images, with the library's API.

Trains two cheap experts (texture statistics into a forest, and a two-stage pipeline), freezes
them, tunes a MultiExpertVotingClassifier on validation data, and draws per-class precision,
recall and F1 of each on the test split. Saves ``vote_on_synthetic_steel.png`` (or the path
given). ``skmoe run`` does all of this, with CNN and detector experts, from one config file.

    python docs/examples/plot_vote_on_synthetic_steel.py [output.png] [--n-samples N]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline  # noqa: E402
from skmoe.datasets import STEEL_CLASSES, make_steel_defects  # noqa: E402
from skmoe.metrics import defect_report  # noqa: E402
from skmoe.model_selection import train_val_test_split  # noqa: E402


def texture_features(images):
    """A few intensity and gradient statistics per image (cheap stand-ins for a CNN)."""
    images = np.asarray(images, dtype=np.float32)
    flat = images.reshape(len(images), -1)
    d_rows = np.abs(np.diff(images, axis=1))
    d_cols = np.abs(np.diff(images, axis=2))
    median = np.median(flat, axis=1, keepdims=True)
    return np.column_stack([
        flat.mean(axis=1), flat.std(axis=1),
        *np.percentile(flat, [0, 1, 5, 50, 95, 99, 100], axis=1),
        d_rows.mean(axis=(1, 2)), d_cols.mean(axis=(1, 2)),
        d_rows.max(axis=(1, 2)), d_cols.max(axis=(1, 2)),
        (flat < median - 40).sum(axis=1), (flat > median + 40).sum(axis=1),
        images.mean(axis=2).std(axis=1),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="vote_on_synthetic_steel.png")
    parser.add_argument("--n-samples", type=int, default=3000)
    args = parser.parse_args(argv)

    X, y = make_steel_defects(args.n_samples, image_size=32, random_state=0)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y, stratify=y, random_state=0)
    features = FunctionTransformer(texture_features)
    experts = {
        "forest": make_pipeline(features, RandomForestClassifier(300, random_state=0)),
        "two_stage": TwoStagePipeline(
            make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=2000)),
            make_pipeline(features, ExtraTreesClassifier(300, random_state=0))),
    }
    for expert in experts.values():
        expert.fit(X_train, y_train)
    ensemble = MultiExpertVotingClassifier(
        [(name, FrozenEstimator(expert)) for name, expert in experts.items()]).fit(X_val, y_val)

    models = {**experts, "ensemble": ensemble}
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.8), sharey=True)
    for ax, (name, model) in zip(axes, models.items()):
        report = defect_report(y_test, model.predict(X_test), labels=STEEL_CLASSES)
        report.plot(ax=ax)
        ax.set_title(f"{name}: macro F1 {report.macro.f1:.3f}")
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
