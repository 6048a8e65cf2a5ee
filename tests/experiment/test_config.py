import pytest

from skmoe.experiment import ConfigError, load_config
from skmoe.experiment._config import apply_overrides, config_differences

BASE = """
output = "out"
[dataset]
loader = "synthetic"
n_samples = 200
[experts.a]
type = "classifier"
max_epochs = 3
"""


def write(tmp_path, text=BASE):
    path = tmp_path / "job.toml"
    path.write_text(text)
    return path


def test_defaults_are_filled(tmp_path):
    config = load_config(write(tmp_path))
    assert config["seeds"] == [0]
    assert config["dataset"]["split"] == "random"  # synthetic images have no split file
    assert config["ablation"]["min_size"] == 2


def test_overrides_read_toml_values_and_create_tables(tmp_path):
    config = load_config(write(tmp_path), ["experts.a.max_epochs=5", "seeds=[1, 2]",
                                           "experts.a.backbone=resnet18"])
    assert config["experts"]["a"]["max_epochs"] == 5
    assert config["seeds"] == [1, 2]
    assert config["experts"]["a"]["backbone"] == "resnet18"  # a bare word stays a string


def test_override_without_equals_sign_is_refused():
    with pytest.raises(ConfigError, match="section.key=value"):
        apply_overrides({}, ["experts.a.max_epochs"])


@pytest.mark.parametrize("text, message", [
    ("sedes = [1]\n" + BASE, r"unknown key 'sedes'.*did you mean 'seeds'"),
    (BASE.replace('"synthetic"', '"neu-det"'), r"not a loader.*did you mean 'neu'"),
    (BASE.replace('type = "classifier"', ""), "needs a 'type'"),
    (BASE.replace('output = "out"', ""), "no 'output'"),
    (BASE + "\n[ablation]\nmax_subset = 3\n", "did you mean 'max_subsets_per_size'"),
    ('output = "o"\nseeds = [0, 0]\n' + BASE.split("\n", 2)[2], "repeat a seed"),
    (BASE.replace('"synthetic"', '"neu"'), "dataset.root is required"),
    ("n_jobs = 0\n" + BASE, "non-zero integer"),
    ("output = [", "not valid TOML"),
    (BASE + "\n[operating_point]\nmax_escapes = 0.01\n", "must be a list of escape rates"),
    (BASE + "\n[operating_point]\nmax_escapes = [2]\n", "must be a list of escape rates"),
    (BASE + "\n[operating_point]\nmax_escape = [0.01]\n", "did you mean 'max_escapes'"),
])
def test_bad_configs_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_differences_are_dotted_keys():
    old = {"seeds": [0], "experts": {"a": {"lr": 0.1}}}
    new = {"seeds": [0], "experts": {"a": {"lr": 0.2}, "b": {"type": "yolo"}}}
    assert config_differences(old, new) == [
        "experts.a.lr: 0.1 -> 0.2", "experts.b: '<absent>' -> {'type': 'yolo'}"]
