"""skmoe: scikit-learn-compatible multi-expert ensembles for long-tailed defect images.

Importing skmoe stays light: torch, timm and ultralytics are imported only by the expert classes
that need them.
"""

from ._model_folder import load_model, save_model
from .ensemble import MultiExpertVotingClassifier
from .pipeline import TwoStagePipeline
from .utils._show_versions import show_versions

__version__ = "0.1.0.dev0"

__all__ = ["MultiExpertVotingClassifier", "TwoStagePipeline", "__version__", "load_model",
           "save_model", "show_versions"]
