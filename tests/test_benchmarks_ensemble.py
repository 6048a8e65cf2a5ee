"""The ensemble benchmarks' --quick modes run (the benchmarks never rot) and meet their checks."""


def test_benchmark_quick_mode_passes(run_benchmark):
    """The search benchmark's quick mode runs and meets its objective targets."""
    out = run_benchmark("bench_search.py", "--quick")
    assert "never below (b), (c) or (d) in objective: yes" in out
    assert "reaches the brute-force optimum in" in out


def test_generalization_benchmark_quick_mode_runs(run_benchmark):
    """The generalization benchmark's quick mode prints every data set's table and verdict."""
    out = run_benchmark("bench_generalization.py", "--quick", "--n-jobs", "1")
    assert "## mixed experts, single-label (synthetic)" in out
    assert "| tuned (P+R) |" in out and "all targets met:" in out
