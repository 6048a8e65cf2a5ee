"""The decoding benchmark's --quick mode runs on the real datasets (the benchmark never rots)."""

import re

from ._packages import skip_without


def test_decoding_benchmark_quick_mode_runs(run_benchmark, data_root):
    """Every case prints a row, and skmoe's reader keeps PIL's pixels within 2 levels."""
    skip_without("torchvision")
    out = run_benchmark("bench_decoding.py", "--quick", "--data", str(data_root))
    rows = re.findall(r"^\| (NEU-DET|Magnetic-tile|Severstal) \|.*\| (\d+) \|$", out, re.M)
    assert len(rows) == 7
    assert all(int(difference) <= 2 for _, difference in rows)
    assert "skmoe's JPEG decoder: TorchCodec" in out or "TorchCodec not installed" in out
