"""Ctrl-C or SIGTERM during an expert's training: the job stops and keeps nothing half-done."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from skmoe.experiment import load_config, run_experiment
from skmoe.experiment._cache import load_proba
from skmoe.experiment._interrupts import noticing_interrupts

ROOT = Path(__file__).resolve().parents[2]
TOY = "tests.experiment.toy_experts"
CONFIG = f"""
seeds = [0]
[dataset]
loader = "synthetic"
n_samples = 300
image_size = 24
[experts.forest]
type = "{TOY}:texture_forest"
[experts.patient]
type = "{TOY}:InterruptibleExpert"
"""


def _start(command, env):
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("signum, n_jobs", [(signal.SIGINT, 1), (signal.SIGTERM, 1),
                                            (signal.SIGINT, 2)])
def test_an_interrupted_expert_is_trained_again(tmp_path, signum, n_jobs):
    """The expert that swallows the interrupt (as skorch does) is not saved as finished; the
    rerun trains it and ends where an uninterrupted run does."""
    blocker = tmp_path / "keep-training"
    blocker.touch()
    path = tmp_path / "job.toml"
    path.write_text(f'output = "{tmp_path / "out"}"\nn_jobs = {n_jobs}\n' + CONFIG
                    + f'train_while = "{blocker}"\n')
    experts = tmp_path / "out" / "seed-0" / "experts"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "skmoe", "run", str(path)]
    process = _start(command, env)
    try:
        for line in process.stdout:  # the patient expert is inside fit once it says so
            if "training expert 'patient'" in line:
                break
        deadline = time.monotonic() + 120  # with n_jobs=2 the forest trains beside it
        while not (experts / "forest" / "record.json").is_file():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        time.sleep(1)  # the patient expert now waits inside fit
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    if signum == signal.SIGINT:
        assert process.returncode == 130
        # One process: the job sees the trainer swallow the interrupt. Several: the parent
        # stops its workers.
        detail = " (training of expert 'patient' (seed 0) was interrupted; it is not kept)" \
            if n_jobs == 1 else ""
        assert f"skmoe: interrupted{detail}. Finished experts are kept" in stderr
        assert "Traceback" not in stderr
    else:
        assert process.returncode == -signal.SIGTERM
    assert (experts / "forest" / "record.json").is_file()
    assert not (experts / "patient" / "record.json").exists()
    assert not list(experts.glob("*/*.partial"))

    blocker.unlink()
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "reusing expert 'forest' (seed 0)" in rerun.stdout
    assert "training expert 'patient' (seed 0)" in rerun.stdout
    uninterrupted = run_experiment(load_config(path, [f'output="{tmp_path / "again"}"',
                                                      "n_jobs=1"]),
                                   log=lambda line: None)
    expected = load_proba(uninterrupted.seeds[0]["folder"] / "experts" / "patient")
    resumed = load_proba(experts / "patient")
    np.testing.assert_array_equal(resumed["test"], expected["test"])


def test_the_signal_still_interrupts_and_the_handler_is_restored():
    # Python's own handler, as in a command-line process (a test worker may hold another).
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), noticing_interrupts() as noticed:
            signal.raise_signal(signal.SIGINT)
        assert noticed == [signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outer)


def test_outside_the_main_thread_nothing_changes():
    seen = []

    def inside():
        with noticing_interrupts() as noticed:
            seen.append((noticed, signal.getsignal(signal.SIGINT)))

    thread = threading.Thread(target=inside)
    thread.start()
    thread.join()
    assert seen == [([], signal.getsignal(signal.SIGINT))]


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with noticing_interrupts() as noticed:
            signal.raise_signal(signal.SIGINT)
        assert noticed == [] and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
