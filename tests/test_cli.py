import os
import subprocess
import sys
from pathlib import Path

import pytest

from skmoe._demo import run_demo
from skmoe.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_demo_reports_every_expert_and_the_ensemble():
    """The demo trains two experts, tunes the vote and reports all three on test data."""
    lines = []
    reports = run_demo(n_samples=600, image_size=24, out=lines.append)
    assert set(reports) == {"forest", "two_stage", "ensemble"}
    assert reports["ensemble"].target_names[0] == "background"
    assert reports["ensemble"].macro.f1 > 0.5
    assert any(line.startswith("### ensemble") for line in lines)


def test_cli_demo_prints_the_report(capsys):
    """`skmoe demo` prints the per-class tables."""
    assert main(["demo", "--n-samples", "400", "--image-size", "24"]) == 0
    assert "Overall (exact-match) accuracy" in capsys.readouterr().out


def test_example_runs(tmp_path):
    """The gallery example runs and saves its figure."""
    script = ROOT / "docs" / "examples" / "plot_vote_on_synthetic_steel.py"
    output = tmp_path / "vote.png"
    subprocess.run([sys.executable, str(script), str(output), "--n-samples", "400"], check=True,
                   capture_output=True)
    assert output.stat().st_size > 10_000


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
