"""The job's configuration: one TOML file, command-line overrides, checks and comparisons.

A configuration is a plain nested dict. Its sections and keys are checked here, before anything
is trained, so that a typo fails at once with the valid keys and the closest match; the
parameters of each expert are checked by the estimator itself when it is built (see
``_experts.py``).
"""

import copy
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

# Keys of every section, with their defaults; ``None`` marks a required key.
TOP_LEVEL = {
    "output": None,
    "seeds": [0],
    "device": "auto",
    "n_jobs": 1,
    "scheduler": "",
    "dataset": None,
    "experts": None,
    "ensemble": {},
    "ablation": {},
    "operating_point": {},
}
# split defaults to "file" (the canonical split) for real data, "random" for synthetic images.
DATASET = {"loader": None, "root": "", "split": None, "split_file": "split.csv"}
ABLATION = {"max_subsets_per_size": 30, "min_size": 2}
# Escape bounds of the extra tuned votes "least overkill with the escape rate at most e" (on
# data with a defect-free class and one label per image); [] turns them off.
OPERATING_POINT = {"max_escapes": [0.01]}
LOADERS = ("neu", "magnetic-tile", "severstal", "folder", "synthetic")
SPLITS = ("file", "random")
# Settings an output folder may be reused with: how fast a job runs, and which seeds it runs
# (each seed's experts are saved apart and checked against their own config).
REUSABLE_WITH = ("n_jobs", "scheduler", "seeds", "operating_point")


class ConfigError(ValueError):
    """A user error in the configuration or on the command line (the CLI exits with status 2)."""


def load_config(path, overrides=()):
    """Read a TOML configuration, apply ``--set`` overrides, fill defaults and check it.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    overrides : iterable of str
        ``"dotted.key=value"`` strings; the value is read as a TOML value (``5``, ``"a"``,
        ``[0, 1]``, ``true``) and taken as a string when it is not one.

    Returns
    -------
    config : dict
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist.")
    try:
        config = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    return check_config(apply_overrides(config, overrides))


def apply_overrides(config, overrides):
    """A copy of ``config`` with every ``dotted.key=value`` override set."""
    config = copy.deepcopy(config)
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {override!r} must look like section.key=value.")
        *parents, leaf = [part.strip() for part in key.split(".")]
        node = config
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {override!r}: {part!r} is a value, not a section.")
        node[leaf] = _toml_value(text.strip())
    return config


def _toml_value(text):
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def check_config(config):
    """Check sections and keys, fill defaults; return the completed configuration."""
    config = copy.deepcopy(config)
    _check_keys(config, TOP_LEVEL, "the config")
    for key, default in TOP_LEVEL.items():
        if default is None and key not in config:
            raise ConfigError(f"the config has no {key!r}: it is required.")
        config.setdefault(key, copy.deepcopy(default))

    dataset = _section(config, "dataset")
    loader = dataset.get("loader")
    if loader not in LOADERS:
        raise ConfigError(f"dataset.loader={loader!r} is not a loader: use one of "
                          f"{', '.join(LOADERS)}{closest_match(loader, LOADERS)}.")
    for key, default in DATASET.items():
        dataset.setdefault(key, default)
    if dataset["split"] is None:
        dataset["split"] = "random" if loader == "synthetic" else "file"
    if dataset["split"] not in SPLITS:
        raise ConfigError(f"dataset.split={dataset['split']!r}: use 'file' (the canonical "
                          "split_file) or 'random' (a stratified 8:1:1 split per seed).")
    if loader == "synthetic" and dataset["split"] == "file":
        raise ConfigError("synthetic images have no split file: set dataset.split = 'random'.")
    if loader != "synthetic" and not dataset["root"]:
        raise ConfigError(f"dataset.root is required for the {loader!r} loader.")

    experts = _section(config, "experts")
    if not experts:
        raise ConfigError("the config names no experts: add an [experts.<name>] section.")
    for name, spec in experts.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise ConfigError(f"experts.{name} needs a 'type' (e.g. type = \"classifier\").")

    _check_keys(_section(config, "ablation"), ABLATION, "[ablation]")
    for key, default in ABLATION.items():
        config["ablation"].setdefault(key, default)
    _section(config, "ensemble")
    _check_keys(_section(config, "operating_point"), OPERATING_POINT, "[operating_point]")
    for key, default in OPERATING_POINT.items():
        config["operating_point"].setdefault(key, default)
    bounds = config["operating_point"]["max_escapes"]
    if not (isinstance(bounds, list) and all(
            isinstance(b, int | float) and not isinstance(b, bool) and 0 <= b <= 1
            for b in bounds)):
        raise ConfigError(f"operating_point.max_escapes must be a list of escape rates in "
                          f"[0, 1] (e.g. [0.01]; [] for none), not {bounds!r}.")

    seeds = config["seeds"]
    if (not isinstance(seeds, list) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
        raise ConfigError(f"seeds must be a non-empty list of integers, not {seeds!r}.")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds {seeds} repeat a seed.")
    n_jobs = config["n_jobs"]
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ConfigError(f"n_jobs must be a non-zero integer (-1: every core), not {n_jobs!r}.")
    device = config["device"]
    if not (isinstance(device, str) and _DEVICE.fullmatch(device)):
        raise ConfigError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>' (or 'mps'), "
                          f"not {device!r}.")
    return config


# The devices the experts take: torch device names of one device.
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def _section(config, name):
    section = config[name]
    if not isinstance(section, dict):
        raise ConfigError(f"{name} must be a table ([{name}] in TOML), not {section!r}.")
    return section


def _check_keys(section, known, where):
    for key in section:
        if key not in known:
            raise ConfigError(f"{where} has an unknown key {key!r}: the keys are "
                              f"{', '.join(sorted(known))}{closest_match(key, known)}.")


def closest_match(word, choices):
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def results_config(config):
    """The part of ``config`` an output folder is bound to (every key but ``REUSABLE_WITH``)."""
    return {key: value for key, value in config.items() if key not in REUSABLE_WITH}


def fingerprint(value):
    """A short stable hash of a JSON-able value (a config or a part of one)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_differences(old, new, prefix=""):
    """Dotted keys whose values differ between two configurations, as ``key: old -> new``."""
    lines = []
    for key in sorted(set(old) | set(new), key=str):
        dotted = f"{prefix}{key}"
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            lines += config_differences(a, b, prefix=f"{dotted}.")
        elif a != b:
            lines.append(f"{dotted}: {a!r} -> {b!r}")
    return lines
