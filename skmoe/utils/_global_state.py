"""Process-wide settings a fit or a predict must leave as the user had them.

Training libraries change global state as a side effect: ultralytics sets numpy's and torch's
print options when imported, torch's thread count and deterministic-algorithm flags when it
trains, logger levels and warning filters; a user's process should print, thread and log the
same after ``fit`` as before it.
"""

import contextlib
import functools
import logging
import sys
import warnings

import numpy as np


@contextlib.contextmanager
def global_state_kept():
    """Restore, on exit, the global settings libraries change while an expert fits or predicts.

    Restored: numpy's print options; the warning filters; the levels of the loggers that
    existed before (the root logger included); PIL's ``Image.open`` and, when loaded before,
    ``torch.save`` and OpenCV's image functions (ultralytics replaces them); and, when torch is
    loaded, its thread count, deterministic-algorithm flags, cuDNN flags and print options
    (torch's defaults when torch was first loaded inside).
    """
    torch_state = _torch_state() if "torch" in sys.modules else None
    functions = _patchable_functions()
    print_options = np.get_printoptions()
    filters = list(warnings.filters)
    manager = logging.Logger.manager
    levels = {name: logger.level for name, logger in manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}
    root_level = logging.getLogger().level
    try:
        yield
    finally:
        np.set_printoptions(**print_options)
        warnings.filters[:] = filters
        # So that the restored filters take effect at once (the module caches lookups).
        getattr(warnings, "_filters_mutated", lambda: None)()
        # Only the changed ones: each setLevel clears the cache of every logger, which for the
        # 234 loggers of a process with torch, timm and skorch took 7 ms of every fit and
        # predict (0.2 ms now).
        for name, level in [*levels.items(), (None, root_level)]:
            logger = logging.getLogger(name)
            if logger.level != level:
                logger.setLevel(level)
        if "torch" in sys.modules:
            _restore_torch(torch_state)
        for (module, name), function in functions.items():
            setattr(module, name, function)


def keeps_global_state(method):
    """Decorate an expert's ``fit`` or ``predict`` method with :func:`global_state_kept`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with global_state_kept():
            return method(*args, **kwargs)

    return wrapper


def _patchable_functions():
    """Library functions ultralytics replaces when imported: PIL's ``Image.open`` (with one
    that imports pi_heif for files PIL cannot identify), ``torch.save``, OpenCV's image I/O."""
    from PIL import Image

    functions = {(Image, "open"): Image.open}
    if "torch" in sys.modules:
        functions[sys.modules["torch"], "save"] = sys.modules["torch"].save
    if "cv2" in sys.modules:
        cv2 = sys.modules["cv2"]
        functions.update({(cv2, name): getattr(cv2, name)
                          for name in ("imread", "imwrite", "imshow") if hasattr(cv2, name)})
    return functions


def _torch_state():
    import torch

    return {
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn": (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark),
        "fill": torch.utils.deterministic.fill_uninitialized_memory,
        "print": _torch_print_options(),
    }


def _torch_print_options():
    # torch has no getter for its print options; PRINT_OPTS is where set_printoptions writes.
    from torch._tensor_str import PRINT_OPTS

    return {key: getattr(PRINT_OPTS, key)
            for key in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


def _restore_torch(state):
    import torch

    if state is None:  # torch was loaded inside: its defaults are what the user had
        torch.set_printoptions(profile="default", sci_mode=None)
        return
    torch.set_num_threads(state["threads"])
    torch.use_deterministic_algorithms(state["deterministic"], warn_only=state["warn_only"])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = state["cudnn"]
    torch.utils.deterministic.fill_uninitialized_memory = state["fill"]
    torch.set_printoptions(**state["print"])
