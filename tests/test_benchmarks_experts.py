"""The expert benchmarks' --quick modes run (the benchmarks never rot)."""

import re

import pytest


def test_expert_benchmark_quick_mode_runs(run_benchmark):
    """The expert speed benchmark's quick mode runs and prints its six tables."""
    for package in ("timm", "skorch", "ultralytics"):
        pytest.importorskip(package)
    out = run_benchmark("bench_experts.py", "--quick")
    assert "| resnet10t | 64x64 | cpu |" in out and "| resnet10t | 32x160 | cpu |" in out
    assert "| fasterrcnn_mobilenet_v3_large_fpn | 64x320 | cpu |" in out
    assert "| cascadercnn_mobilenet_v3_large_fpn | 64x320 | cpu |" in out
    assert "| yolov8n.yaml | 64x320 | cpu |" in out
    assert "| torchvision.io.decode_jpeg on cpu |" in out
    assert "| experts in threads (joblib threading) |" in out
    passed = int(re.search(r"it passed (\d+)%", out).group(1))
    assert "| hard |" in out and 25 <= passed <= 40
    assert "| mobilenetv3_small_050 | 32x160 | cpu |" in out.split("Table 6.")[1]


@pytest.mark.parametrize("expert, needs", [
    (["--expert", "classifier", "--backbone", "resnet10t", "--image-size", "32"], "timm"),
    (["--expert", "yolo", "--image-size", "64"], "ultralytics"),
])
def test_neu_expert_quick_mode_runs(data_root, run_benchmark, expert, needs):
    """The NEU-DET expert script's quick mode trains and reports a test accuracy."""
    pytest.importorskip(needs)
    out = run_benchmark("neu_expert.py", "--quick", *expert, "--data", str(data_root))
    assert "NEU-DET test accuracy:" in out


def test_compare_detectors_quick_mode_runs(data_root, run_benchmark):
    """Faster against Cascade R-CNN on NEU-DET: both train and get an accuracy and a mAP."""
    pytest.importorskip("torchmetrics")
    out = run_benchmark("compare_detectors.py", "--quick", "--data", str(data_root))
    for architecture in ("fasterrcnn_mobilenet_v3_large_fpn", "cascadercnn_mobilenet_v3_large_fpn"):
        row = re.search(rf"\| {architecture} \| \d+ \| ([\d.]+) \| [\d.]+ \| ([\d.]+) \|", out)
        assert row, out
        assert 0 <= float(row.group(1)) <= 1 and 0 <= float(row.group(2)) <= 1


def test_synthetic_detectors_quick_mode_runs(run_benchmark):
    """The detectors-on-synthetic-steel script's quick mode trains, votes and reports."""
    pytest.importorskip("ultralytics")
    pytest.importorskip("timm")
    out = run_benchmark("synthetic_detectors.py", "--quick")
    assert "| vote |" in out and "| retinanet |" in out
