"""The main job behind ``skmoe run``: experts, ensembles and the report from one config file.

See :func:`load_config` for the file's layout and :func:`run_experiment` for what is written.
"""

from ._config import ConfigError, load_config
from ._run import run_experiment

__all__ = ["ConfigError", "load_config", "run_experiment"]
