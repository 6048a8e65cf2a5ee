"""The ensemble benchmarks' --quick modes run (the benchmarks never rot) and meet their checks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_quick_mode_passes():
    """The search benchmark's quick mode runs and meets its objective targets."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_search.py"),
                             "--quick"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "never below (b), (c) or (d) in objective: yes" in result.stdout


def test_generalization_benchmark_quick_mode_runs():
    """The generalization benchmark's quick mode prints every data set's table and verdict."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_generalization.py"),
                             "--quick", "--n-jobs", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "## mixed experts, single-label (synthetic)" in result.stdout
    assert "| tuned (P+R) |" in result.stdout and "all targets met:" in result.stdout
