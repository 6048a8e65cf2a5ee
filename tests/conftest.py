import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI replays the same examples every run: a red build then always means a real regression.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests never touch the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
# ultralytics keeps settings (and skmoe its offline font) in a folder of the test run's own.
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="skmoe-tests-ultralytics-"))


def pytest_collection_modifyitems(config, items):
    """Files holding a test marked slow run first, every other file keeps its place.

    ``make test`` hands whole files to two workers (``--dist loadfile``) in collection order
    (``--no-loadscope-reorder``): the files that take minutes then start at once and the two
    workers end together on short ones. pytest-xdist's own order (most tests first) put the
    one-test files of minutes last, which left one worker running them alone for minutes.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # a stable sort


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same global random state."""
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the legacy global state is what code may still use


@pytest.fixture(autouse=True)
def _numpy_print_options_kept():
    """A test that leaves numpy's print options changed fails itself, rather than a doctest
    that happens to run after it in the same worker (importing ultralytics changes them)."""
    before = np.get_printoptions()
    yield
    assert np.get_printoptions() == before, (
        "this test changed numpy's print options: import ultralytics only through skmoe, or "
        "skip with tests/_packages.skip_without")


@pytest.fixture(scope="session")
def training_seed():
    """The seed of the trainings whose results a ``learning`` test asserts: 0, or
    ``SKMOE_TEST_SEED``. ``benchmarks/learning_ranges.py`` runs those tests over several seeds
    and thread counts, which is how a rounding difference between machines shows on one; a
    learning test's comment gives what that measured ("seeds 0-4 x 1, 2 threads: low-high")."""
    return int(os.environ.get("SKMOE_TEST_SEED", "0"))


@pytest.fixture
def record_learning(request, training_seed):
    """``record_learning(name=value, ...)`` notes what a training reached, before the test
    asserts it: appended as JSON lines to ``SKMOE_LEARNING_LOG`` when set (by
    ``benchmarks/learning_ranges.py``), otherwise nothing."""
    log = os.environ.get("SKMOE_LEARNING_LOG")

    def record(**values):
        if not log:
            return
        with open(log, "a") as handle:
            for name, value in values.items():
                handle.write(json.dumps({
                    "test": request.node.nodeid, "name": name, "value": float(value),
                    "seed": training_seed, "threads": os.environ.get("OMP_NUM_THREADS"),
                }) + "\n")

    return record


@pytest.fixture(scope="session")
def data_root():
    """Root of the real datasets (SKMOE_DATA); tests that need it are skipped without it."""
    root = os.environ.get("SKMOE_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("real datasets not available: set SKMOE_DATA to the shared data folder")
    return Path(root)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (tests/_browser.py); the test skips on a machine without one."""
    from ._browser import headless_chromium

    driver = headless_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def run_benchmark():
    """Run a script of benchmarks/ offline; return its stdout after checking it succeeded."""
    root = Path(__file__).resolve().parents[1]

    def run(script, *args):
        result = subprocess.run([sys.executable, str(root / "benchmarks" / script), *args],
                                capture_output=True, text=True,
                                env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    return run
