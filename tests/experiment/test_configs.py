"""The configs shipped in benchmarks/configs/ and the demo's: they load and build every expert."""

from pathlib import Path

import pytest

from skmoe.experiment import load_config
from skmoe.experiment._data import load_dataset
from skmoe.experiment._experts import build_expert

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "benchmarks" / "configs").glob("*.toml"))
# Dataset folders of the configs that run here, inside SKMOE_DATA.
LOCAL_DATA = {"neu": "neu-det", "magnetic-tile": "magnetic-tile",
              "severstal": "severstal-sample"}


@pytest.mark.parametrize("path", [*CONFIGS, ROOT / "skmoe" / "experiment" / "demo.toml"],
                         ids=lambda p: p.name)
def test_config_builds_every_expert(path):
    pytest.importorskip("torch")
    config = load_config(path)
    defaults = {"random_state": 0, "device": config["device"], "run_dir": "run"}
    for name, spec in config["experts"].items():
        expert = build_expert(name, spec, defaults=defaults, background_label="background")
        assert hasattr(expert, "predict_proba")


@pytest.mark.parametrize("path", [p for p in CONFIGS if "cpu" in p.name], ids=lambda p: p.name)
def test_cpu_config_finds_its_dataset(path, data_root):
    config = load_config(path)
    spec = config["dataset"]
    spec["root"] = str(data_root / LOCAL_DATA[spec["loader"]])
    bunch = load_dataset(spec)
    assert len(bunch.images) >= 20
