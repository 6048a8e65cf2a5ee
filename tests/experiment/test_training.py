from pathlib import Path

import numpy as np
import pytest

from skmoe.experiment._training import _peak_memory_mib, _reset_peak_memory


def test_peak_memory_is_per_expert():
    """Each expert's peak is measured from its own start, not the process's whole life."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("resetting the peak resident memory needs Linux")
    big = np.ones(40_000_000)  # 305 MiB, touched
    del big
    before = _peak_memory_mib()["mib"]
    _reset_peak_memory()
    assert _peak_memory_mib()["mib"] < before - 200
