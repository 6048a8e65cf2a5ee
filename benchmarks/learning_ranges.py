"""What every ``learning`` test's training reaches, over seeds and thread counts.

A test that asserts what a training reached (an accuracy, an AUC) must pass on any machine.
Floating-point rounding differs between machines, and a short training amplifies it like a
change of seed; so each such test is run here with its training seed (``SKMOE_TEST_SEED``)
and ``OMP_NUM_THREADS`` varied, and its assertion is set where every run passes with margin.
The tests write what they measured through the ``record_learning`` fixture (tests/conftest.py);
this script gathers it into one table: per test and value, the lowest and highest over the
runs, and every run's value.

    python benchmarks/learning_ranges.py                  # seeds 0-4 x threads 1, 2
    python benchmarks/learning_ranges.py --seeds 0 1 2 -k yolo
    python benchmarks/learning_ranges.py --quick          # one cheap test, one run (seconds)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_learning_tests(seed, threads, log, select, *, two_workers):
    """Run the ``learning`` tests once; what they measured is appended to ``log``. Returns
    pytest's exit code (1 when an assertion failed: the values were recorded before it)."""
    env = {**os.environ, "SKMOE_TEST_SEED": str(seed), "OMP_NUM_THREADS": str(threads),
           "SKMOE_LEARNING_LOG": str(log), "HF_HUB_OFFLINE": "1", "YOLO_OFFLINE": "1"}
    # One compute thread per worker lets two workers share two cores; with more threads one
    # process at a time, or they oversubscribe.
    two_workers = two_workers and threads == 1
    workers = ["-n", "2", "--dist", "loadfile"] if two_workers else ["-p", "no:xdist"]
    command = [sys.executable, "-m", "pytest", "-m", "learning", "-q", "-p",
               "no:cacheprovider", "--no-header", "-o", "addopts=", *workers]
    if select:
        command += ["-k", select]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def ranges_table(rows):
    """A Markdown table: per test and measured value, lowest, highest and each run's value
    (as seed/threads=value)."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[(row["test"], row["name"])].append(row)
    lines = ["| test | value | lowest | highest | runs (seed/threads: value) |",
             "|---|---|---|---|---|"]
    for (test, name), runs in sorted(grouped.items()):
        values = [run["value"] for run in runs]
        each = ", ".join(f"{run['seed']}/{run['threads']}: {run['value']:.4f}"
                         for run in sorted(runs, key=lambda r: (r["threads"], r["seed"])))
        lines.append(f"| {test} | {name} | {min(values):.4f} | {max(values):.4f} | {each} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("-k", dest="select", help="pytest -k expression: only these tests")
    parser.add_argument("--log", type=Path, help="JSON lines file to append to (kept)")
    parser.add_argument("--quick", action="store_true",
                        help="one cheap test, seed 0, one thread (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.threads, args.select = [0], [1], "classes_are_learnable"
    log = args.log or Path(tempfile.mkdtemp(prefix="skmoe-learning-")) / "learning.jsonl"
    for threads in args.threads:
        for seed in args.seeds:
            start = time.perf_counter()
            result = run_learning_tests(seed, threads, log, args.select,
                                        two_workers=not args.quick)
            verdict = {0: "passed", 1: "an assertion failed"}.get(result.returncode)
            if verdict is None:  # not a test's verdict: collection or usage error
                sys.exit(f"pytest failed (exit {result.returncode}):\n{result.stdout}"
                         f"{result.stderr}")
            print(f"seed {seed}, OMP_NUM_THREADS={threads}: {verdict} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    if not rows:
        sys.exit("No learning test recorded a value: check -k.")
    print(f"\n{ranges_table(rows)}\n\nAll values: {log}")


if __name__ == "__main__":
    main()
