"""Fuzzing `skmoe run` configs: any TOML loads, or is refused with a ConfigError that says why."""

from hypothesis import given, settings
from hypothesis import strategies as st

from skmoe.experiment import ConfigError, load_config

KEYS = st.sampled_from(["output", "seeds", "n_jobs", "device", "scheduler", "dataset", "experts",
                        "ensemble", "ablation", "loader", "root", "split", "type", "backbone",
                        "max_epochs", "objective", "min_size", "colour"])
SCALARS = st.one_of(st.integers(-3, 5), st.floats(-1, 2, allow_nan=False), st.booleans(),
                    st.sampled_from(["synthetic", "neu", "random", "file", "classifier",
                                     "two-stage", "cpu", "", "x"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=8)
BASE = {"output": "out", "dataset": {"loader": "synthetic"},
        "experts": {"a": {"type": "classifier"}}}


def _toml(value):
    """TOML text of a value (strings, numbers, booleans, lists, tables), inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(KEYS, VALUES, max_size=4), drop=st.sets(st.sampled_from(
    ["output", "dataset", "experts"])))
def test_any_config_loads_or_is_refused(tmp_path_factory, changes, drop):
    config = {key: value for key, value in {**BASE, **changes}.items() if key not in drop}
    text = "\n".join(f"{key} = {_toml(value)}" for key, value in config.items())
    path = tmp_path_factory.mktemp("config") / "job.toml"
    path.write_text(text)
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    assert loaded["experts"] and loaded["seeds"]
