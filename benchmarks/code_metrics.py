"""How much code one ensemble fit walks through, and how large the expert and ensemble packages are.

The same script before and after a refactor gives comparable numbers:

* lines (all, and code: neither blank nor comment) of ``skmoe/experts`` and ``skmoe/ensemble``;
* for one prefit fit of a 3-expert vote (frozen scikit-learn experts on 300 tuning rows), and
  for one fit of a vote that trains a tiny YOLO expert beside a logistic regression on 40
  synthetic images (``cv=0.5``, boxes routed): the skmoe modules and functions it enters and its
  calls into skmoe functions, counted by ``sys.setprofile``.

    python benchmarks/code_metrics.py            # about a minute: the YOLO fit is one epoch
    python benchmarks/code_metrics.py --quick    # the prefit fit only (seconds)
"""

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("skmoe/experts", "skmoe/ensemble")


def count_lines(folder):
    """(all lines, code lines) of the .py files under ``folder``."""
    total = code = 0
    for path in sorted((ROOT / folder).rglob("*.py")):
        lines = path.read_text().splitlines()
        total += len(lines)
        code += sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    return total, code


def trace_skmoe_calls(function):
    """Run ``function()``; Counter of (module, function) of every call into skmoe's code."""
    package = str(ROOT / "skmoe")
    calls = Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(package):
            module = os.path.relpath(frame.f_code.co_filename, ROOT)
            calls[(module, frame.f_code.co_qualname)] += 1

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return calls


def prefit_vote_fit():
    """One prefit fit of a 3-expert vote."""
    from sklearn.datasets import make_classification
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    from skmoe import MultiExpertVotingClassifier

    X, y = make_classification(600, n_classes=3, n_informative=4, random_state=0)
    experts = [("logreg", LogisticRegression()), ("bayes", GaussianNB()),
               ("tree", DecisionTreeClassifier(max_depth=4, random_state=0))]
    frozen = [(name, FrozenEstimator(e.fit(X[:300], y[:300]))) for name, e in experts]
    vote = MultiExpertVotingClassifier(frozen)
    return lambda: vote.fit(X[300:], y[300:])


def yolo_vote_fit(folder):
    """One fit of a vote that trains a tiny YOLO expert and a logistic regression on images."""
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from skmoe import MultiExpertVotingClassifier
    from skmoe.datasets import make_steel_defects
    from skmoe.experts import YOLODetector

    X, y, boxes = make_steel_defects(40, image_size=64, class_weights=[1] * 5,
                                      return_boxes=True, random_state=0)
    yolo = YOLODetector(image_size=64, batch_size=8, max_epochs=1, validation_fraction=0,
                        train_kwargs={"warmup_epochs": 0}, run_dir=str(folder),
                        random_state=0)
    flat = make_pipeline(FunctionTransformer(lambda images: images.reshape(len(images), -1)),
                         LogisticRegression(max_iter=200))
    sklearn.set_config(enable_metadata_routing=True)
    vote = MultiExpertVotingClassifier([("yolo", yolo.set_fit_request(boxes=True)),
                                        ("pixels", flat)], cv=0.5, random_state=0)

    def fit():
        try:
            vote.fit(X, y, boxes=boxes)
        finally:
            sklearn.set_config(enable_metadata_routing=False)
    return fit


def summary(calls):
    """Modules, functions and calls of a trace."""
    return (len({module for module, _ in calls}), len(calls), sum(calls.values()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the prefit fit only")
    parser.add_argument("--show", action="store_true", help="list the functions and their calls")
    args = parser.parse_args(argv)

    rows = []
    for folder in PACKAGES:
        total, code = count_lines(folder)
        rows.append((f"lines under {folder}", f"{total} ({code} code)"))
    traces = {"prefit fit, 3 experts": prefit_vote_fit()}
    if not args.quick:
        os.environ.setdefault("YOLO_OFFLINE", "1")
        folder = tempfile.mkdtemp(prefix="skmoe-code-metrics-")
        traces["fit with a YOLO expert (cv=0.5)"] = yolo_vote_fit(folder)
    for name, fit in traces.items():
        calls = trace_skmoe_calls(fit)
        modules, functions, n_calls = summary(calls)
        rows.append((name, f"{modules} modules, {functions} functions, {n_calls} calls"))
        if args.show:
            for (module, function), count in calls.most_common():
                print(f"  {count:6d}  {module}:{function}")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
