"""Does the tuned vote generalise? Tuned against plain vote, soft mean and the best expert.

For each data set (the real expert probabilities in ``$SKMOE_DATA/expert-probas/`` and
synthetic experts of mixed quality, single- and multi-label), repeat: pool the validation and
test samples, split them in two stratified random halves, tune on one half, score on the other.
Methods, all on the same halves:

* best expert: the single expert with the best macro F1 on the tuning half, its own ``predict``;
* soft mean: the experts' mean probability (arg-max, or >= 0.5 for multi-label);
* plain vote: thresholds 0.5, equal weights (the reference "Voting");
* tuned (P+R), tuned (F1), tuned per (expert, class): ``MultiExpertVotingClassifier``'s tuning,
  guard included, with each objective / threshold scope;
* tuned, no guard: the search alone (P+R).

Reported per data set: mean test macro F1, macro precision + recall and accuracy (exact match
for multi-label), and the paired difference tuned (P+R) minus plain vote in macro F1 with a 95%
interval (normal approximation over the repeats) and its win / tie / loss count.

Run ``python benchmarks/bench_generalization.py`` (200 repeats) or ``--quick`` (a smoke run).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from skmoe.ensemble import vote_decision
from skmoe.ensemble._guard import resampled_gains, tuning_generalises
from skmoe.ensemble._search import coordinate_search
from skmoe.model_selection import stratified_partition

METHODS = ["best expert", "soft mean", "plain vote", "tuned (P+R)", "tuned (F1)",
           "tuned per (expert, class)", "tuned, no guard"]


# --- data sets ------------------------------------------------------------------------------


def real_data_sets(root):
    """(name, expert_proba, y) for every saved file of real expert probabilities."""
    folder = Path(root) / "expert-probas"
    sets = []
    for path in sorted(folder.glob("*.npz")):
        saved = np.load(path, allow_pickle=True)
        classes = list(saved["classes"])
        y = np.array([classes.index(label) for label in
                      np.concatenate([saved["y_val"], saved["y_test"]])])
        proba = np.concatenate([saved["P_val"], saved["P_test"]], axis=1)
        sets.append((f"{path.stem} (real)", proba, y))
    return sets


def mixed_experts(n_samples, *, multilabel, random_state):
    """Long-tailed steel-like labels and four experts of mixed quality and calibration.

    Class 0 is defect-free (half the images), defects from common to rare. Experts: a strong
    calibrated one; a strong one whose scores never reach 0.5 (a briefly trained detector's
    box confidences), which a plain vote ignores; a weak one; a mediocre one biased toward
    calling defects.
    """
    rng = np.random.default_rng(random_state)
    prevalence = np.array([0.5, 0.22, 0.14, 0.09, 0.05])
    n_classes = len(prevalence)
    if multilabel:
        defects = rng.random((n_samples, n_classes - 1)) < prevalence[1:] * 1.2
        y = np.column_stack([~defects.any(axis=1), defects]).astype(int)
    else:
        y = rng.choice(n_classes, n_samples, p=prevalence)
    truth = y if multilabel else y[:, None] == np.arange(n_classes)
    signed = 2 * truth - 1
    # Skills such that the best expert is good but not perfect in either layout.
    strong, detector, weak, biased = (2.2, 2.6, 0.6, 1.2) if multilabel else (1.0, 1.6, 0.3, 0.6)

    def expert(skill, scale, bias):
        logits = skill * signed + rng.normal(0, 1, truth.shape) + bias
        return scale / (1 + np.exp(-logits))

    proba = np.stack([
        expert(strong, 1.0, 0.0),  # strong, calibrated
        expert(detector, 0.45, 0.0),  # strong, but scores below 0.5
        expert(weak, 1.0, 0.0),  # weak
        expert(biased, 1.0, np.r_[-0.5, [0.8] * (n_classes - 1)]),  # biased toward defects
    ])
    return proba, y


def data_sets(root, n_synthetic):
    sets = real_data_sets(root) if root else []
    sets.append(("mixed experts, single-label (synthetic)",
                 *mixed_experts(n_synthetic, multilabel=False, random_state=0)))
    sets.append(("mixed experts, multi-label (synthetic)",
                 *mixed_experts(n_synthetic, multilabel=True, random_state=1)))
    return sets


# --- methods --------------------------------------------------------------------------------


def own_predict(proba_k, ndim):
    return (proba_k >= 0.5).astype(int) if ndim == 2 else proba_k.argmax(axis=1)


def scores(y, pred):
    average = dict(average="macro", zero_division=0)
    return (f1_score(y, pred, **average),
            precision_score(y, pred, **average) + recall_score(y, pred, **average),
            accuracy_score(y, pred))


def tuned(proba, y, guard_resamples, seed, **search_params):
    """Thresholds and weights as MultiExpertVotingClassifier.fit chooses them."""
    result = coordinate_search(proba, y, **search_params)
    if guard_resamples:
        gains = resampled_gains(proba, y, n_resamples=guard_resamples, random_state=seed,
                                **search_params)
        if not tuning_generalises(gains):
            return 0.5, None
    return result.thresholds, result.weights


def one_repeat(proba, y, seed, guard_resamples):
    """Test scores of every method on one random halving."""
    strata = y if y.ndim == 2 else y[:, None] == np.arange(proba.shape[2])
    tune, test = stratified_partition(strata, (0.5, 0.5), random_state=seed)
    P_tune, y_tune, P_test, y_test = proba[:, tune], y[tune], proba[:, test], y[test]
    ndim = y.ndim
    best = max(range(len(proba)),
               key=lambda k: f1_score(y_tune, own_predict(P_tune[k], ndim), average="macro",
                                      zero_division=0))
    predictions = {
        "best expert": own_predict(P_test[best], ndim),
        "soft mean": own_predict(P_test.mean(axis=0), ndim),
        "plain vote": vote_decision(P_test, single_label=ndim == 1),
    }
    variants = {
        "tuned (P+R)": dict(guard_resamples=guard_resamples),
        "tuned (F1)": dict(guard_resamples=guard_resamples, objective="f1"),
        "tuned per (expert, class)": dict(guard_resamples=guard_resamples,
                                          per_class_thresholds=True),
        "tuned, no guard": dict(guard_resamples=0),
    }
    for name, params in variants.items():
        thresholds, weights = tuned(P_tune, y_tune, seed=seed, **params)
        predictions[name] = vote_decision(P_test, thresholds, weights, single_label=ndim == 1)
    return {name: scores(y_test, pred) for name, pred in predictions.items()}


# --- report ---------------------------------------------------------------------------------


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(name, results):
    """Print one data set's table; return (lower bound of tuned - plain, tuned - best expert)."""
    mean = {m: np.mean([r[m] for r in results], axis=0) for m in METHODS}
    print(f"\n## {name}: {len(results)} random halvings\n")
    print(table(["method", "macro F1", "macro P+R", "accuracy"],
                [[m, *(f"{v:.4f}" for v in mean[m])] for m in METHODS]))
    lower = None
    for other in ("plain vote", "best expert"):
        diff = np.array([r["tuned (P+R)"][0] - r[other][0] for r in results])
        half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
        wins, ties = np.count_nonzero(diff > 1e-12), np.count_nonzero(np.abs(diff) <= 1e-12)
        print(f"\ntuned (P+R) - {other}, macro F1: {diff.mean():+.4f} "
              f"[{diff.mean() - half:+.4f}, {diff.mean() + half:+.4f}], wins / ties / losses "
              f"{wins} / {ties} / {len(diff) - wins - ties}")
        if other == "plain vote":
            lower = diff.mean() - half
    return lower, mean["tuned (P+R)"][0] - mean["best expert"][0], \
        mean["tuned (P+R)"][0] - mean["plain vote"][0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few repeats, a smoke run")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--guard-resamples", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=-1)
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    guard_resamples = 2 if args.quick else args.guard_resamples
    root = os.environ.get("SKMOE_DATA")
    all_ok = True
    for name, proba, y in data_sets(root, n_synthetic=120 if args.quick else 500):
        start = time.perf_counter()
        results = Parallel(n_jobs=args.n_jobs)(
            delayed(one_repeat)(proba, y, seed, guard_resamples) for seed in range(repeats))
        lower, over_best, over_plain = report(name, results)
        print(f"({time.perf_counter() - start:.0f} s)")
        if "(real)" in name:
            ok = lower > -0.002 and over_best >= 0
            print(f"target (not worse than plain: lower bound > -0.002; >= best expert): "
                  f"{'yes' if ok else 'NO'}")
        else:
            ok = over_plain >= 0.02
            print(f"target (+0.02 macro F1 over the plain vote): {'yes' if ok else 'NO'}")
        all_ok &= ok
    print(f"\nall targets met: {'yes' if all_ok else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
