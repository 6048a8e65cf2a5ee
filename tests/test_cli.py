import subprocess
import sys
from pathlib import Path

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
