"""The expert benchmarks' --quick modes run (the benchmarks never rot)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_expert_benchmark_quick_mode_runs():
    """The expert throughput benchmark's quick mode runs and prints its table."""

    pytest.importorskip("timm")
    pytest.importorskip("skorch")
    pytest.importorskip("ultralytics")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_experts.py"),
                             "--quick"], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| resnet10t | 64 | cpu |" in result.stdout
    assert "| fasterrcnn_mobilenet_v3_large_320_fpn | 64 | cpu |" in result.stdout
    assert "| yolov8n.yaml | 64 | cpu |" in result.stdout


@pytest.mark.parametrize("expert, needs", [
    (["--expert", "classifier", "--backbone", "resnet10t", "--image-size", "32"], "timm"),
    (["--expert", "yolo", "--image-size", "64"], "ultralytics"),
])
def test_neu_expert_quick_mode_runs(data_root, expert, needs):
    """The NEU-DET expert script's quick mode trains and reports a test accuracy."""
    pytest.importorskip(needs)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "neu_expert.py"), "--quick", *expert,
         "--data", str(data_root)],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NEU-DET test accuracy:" in result.stdout


def test_synthetic_detectors_quick_mode_runs():
    """The detectors-on-synthetic-steel script's quick mode trains, votes and reports."""
    pytest.importorskip("ultralytics")
    pytest.importorskip("timm")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synthetic_detectors.py"),
                             "--quick"], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| vote |" in result.stdout and "| retinanet |" in result.stdout
