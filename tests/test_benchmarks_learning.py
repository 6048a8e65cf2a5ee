"""benchmarks/learning_ranges.py's --quick mode runs a learning test and tabulates its value."""

import re


def test_learning_ranges_quick_mode_runs(run_benchmark):
    """One cheap learning test, one seed, one thread: its recorded accuracy is in the table."""
    out = run_benchmark("learning_ranges.py", "--quick")
    assert "seed 0, OMP_NUM_THREADS=1: passed" in out
    row = re.search(r"\| tests/datasets/test_synthetic.py::test_classes_are_learnable \| "
                    r"accuracy \| ([\d.]+) \| ([\d.]+) \|", out)
    assert row, out
    assert 0.6 < float(row.group(1)) == float(row.group(2)) <= 1
