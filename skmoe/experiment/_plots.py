"""The report's figures, each saved as a PNG (matplotlib, without a display)."""

import csv
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    path = Path(path)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def plot_ablation(rows, path):
    """Box plot of test macro F1 per ensemble size (reference Fig. 5)."""
    plt = _pyplot()
    sizes = sorted({r["size"] for r in rows})
    fig, ax = plt.subplots(figsize=(1.5 + 0.9 * max(len(sizes), 1), 3.5))
    if sizes:
        ax.boxplot([[r["macro_f1"] for r in rows if r["size"] == s] for s in sizes],
                   tick_labels=[str(s) for s in sizes])
    ax.set_xlabel("experts in the ensemble")
    ax.set_ylabel("test macro F1")
    ax.set_title("Ensemble size")
    return _save(fig, path)


def plot_confusion(y_true, y_pred, target_names, path, title):
    """scikit-learn's confusion matrix display; one 2x2 matrix per class for indicator labels."""
    from sklearn.metrics import ConfusionMatrixDisplay, multilabel_confusion_matrix

    plt = _pyplot()
    if np.ndim(y_true) == 1:
        n = len(target_names)
        fig, ax = plt.subplots(figsize=(2 + 0.8 * n, 1.6 + 0.8 * n))
        ConfusionMatrixDisplay.from_predictions(
            y_true, y_pred, labels=target_names, ax=ax, colorbar=False,
            xticks_rotation=30)
    else:
        matrices = multilabel_confusion_matrix(y_true, y_pred)
        fig, axes = plt.subplots(1, len(matrices), figsize=(2.6 * len(matrices), 2.8))
        for ax, matrix, name in zip(np.atleast_1d(axes), matrices, target_names):
            ConfusionMatrixDisplay(matrix, display_labels=["no", "yes"]).plot(
                ax=ax, colorbar=False)
            ax.set_title(name)
    fig.suptitle(title)
    return _save(fig, path)


def plot_search_history(history, path, title):
    """The objective at the start and after every step of the coordinate search."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(np.arange(len(history)), history, marker=".")
    ax.set_xlabel("search step")
    ax.set_ylabel("validation objective")
    ax.set_title(title)
    return _save(fig, path)


def plot_training_history(expert_folder, parts, path, title):
    """Losses per epoch and, for CNN experts, validation accuracy on a second axis.

    Returns None when the expert saved no history (e.g. a plain scikit-learn estimator).
    """
    if not parts:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(parts), figsize=(5 * len(parts), 3.2), squeeze=False)
    for ax, part in zip(axes[0], parts):
        with open(Path(expert_folder) / f"history{'-' + part if part else ''}.csv") as handle:
            rows = list(csv.DictReader(handle))
        epochs = np.arange(1, len(rows) + 1)
        for column in rows[0]:
            if "loss" in column:
                ax.plot(epochs, [float(r[column] or "nan") for r in rows], label=column)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        accuracy = [c for c in ("valid_score", "valid_acc", "metrics/mAP50(B)") if c in rows[0]]
        if accuracy:
            twin = ax.twinx()
            twin.plot(epochs, [float(r[accuracy[0]] or "nan") for r in rows], color="black",
                      linestyle="--", label=accuracy[0])
            twin.set_ylabel(accuracy[0])
            twin.legend(loc="upper right", fontsize="small")
        ax.legend(loc="upper left", fontsize="small")
        ax.set_title(f"{title} {part}".strip())
    return _save(fig, path)
