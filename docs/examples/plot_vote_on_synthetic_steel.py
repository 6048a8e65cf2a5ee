"""Experts versus their tuned vote on synthetic steel images.

Trains the demo's two cheap experts, tunes a MultiExpertVotingClassifier on validation data,
and draws per-class precision, recall and F1 of each on the test split, plus the objective after
every step of the search. Saves ``vote_on_synthetic_steel.png`` (or the path given).

    python docs/examples/plot_vote_on_synthetic_steel.py [output.png] [--n-samples N]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skmoe._demo import run_demo  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="vote_on_synthetic_steel.png")
    parser.add_argument("--n-samples", type=int, default=3000)
    args = parser.parse_args(argv)

    reports = run_demo(n_samples=args.n_samples, out=lambda *_: None)
    fig, axes = plt.subplots(1, len(reports), figsize=(5 * len(reports), 3.8), sharey=True)
    for ax, (name, report) in zip(axes, reports.items()):
        report.plot(ax=ax)
        ax.set_title(f"{name}: macro F1 {report.macro.f1:.3f}")
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
