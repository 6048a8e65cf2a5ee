"""The expert speed benchmark's --quick mode runs (the benchmark never rots)."""

import re

import pytest

from ._packages import skip_without

# Each trains networks in a subprocess for tens of seconds.
pytestmark = pytest.mark.slow


def test_expert_benchmark_quick_mode_runs(run_benchmark):
    """The expert speed benchmark's quick mode runs and prints its six tables."""
    for package in ("timm", "skorch", "ultralytics"):
        skip_without(package)
    out = run_benchmark("bench_experts.py", "--quick")
    assert "| resnet10t | 64x64 | cpu |" in out and "| resnet10t | 32x160 | cpu |" in out
    assert "| fasterrcnn_mobilenet_v3_large_fpn | 64x160 | cpu |" in out
    assert "| cascadercnn_mobilenet_v3_large_fpn | 64x160 | cpu |" in out
    assert "| yolov8n.yaml | 64x160 | cpu |" in out
    assert "| skmoe's reader (" in out and "decode_jpeg on cpu, batches of 32 |" in out
    assert "| previous loop img/s |" in out  # table 1 compares with the previous loop
    assert "| experts in threads (joblib threading) |" in out
    assert "| skmoe predict (predict_images, CSV written) |" in out
    passed = int(re.search(r"it passed (\d+)%", out).group(1))
    assert "| hard |" in out and 25 <= passed <= 40
    assert "| mobilenetv3_small_050 | 32x160 | cpu |" in out.split("Table 6.")[1]
