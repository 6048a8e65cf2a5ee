"""Fitting and predicting with any expert leaves the user's process-wide settings as they were."""

import logging
import warnings

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skmoe.datasets import make_steel_defects  # noqa: E402
from skmoe.utils._global_state import global_state_kept  # noqa: E402

from .._packages import skip_without  # noqa: E402
from ..experts._tiny import tiny_experts  # noqa: E402

EXPERTS = tiny_experts(image_size=32)


def _global_state():
    """What a user would notice changed: printing, threads, determinism, logging, warnings."""
    from torch._tensor_str import PRINT_OPTS

    return {
        "numpy print": np.get_printoptions(),
        "torch print": dict(vars(PRINT_OPTS)),
        "torch threads": torch.get_num_threads(),
        "deterministic": (torch.are_deterministic_algorithms_enabled(),
                          torch.is_deterministic_algorithms_warn_only_enabled()),
        "cudnn": (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark),
        "root logger": logging.getLogger().level,
        "user logger": logging.getLogger("user.app").level,
        "warning filters": list(warnings.filters),
        "functions": (Image.open, torch.save),
    }


@pytest.fixture
def user_settings():
    """Settings a user might have made, none of them the libraries' defaults."""
    state = np.get_printoptions(), torch.get_num_threads(), logging.getLogger().level
    np.set_printoptions(precision=3)
    torch.set_num_threads(1)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("user.app").setLevel(logging.DEBUG)
    yield
    np.set_printoptions(**state[0])
    torch.set_num_threads(state[1])
    logging.getLogger().setLevel(state[2])


@pytest.mark.parametrize("kind", list(EXPERTS))
def test_fit_and_predict_keep_global_state(kind, user_settings):
    if kind == "yolo":
        skip_without("ultralytics")
    X, y, boxes = make_steel_defects(16, image_size=32, class_weights=[1, 1, 1, 1, 1],
                                     return_boxes=True, random_state=0)
    expert = EXPERTS[kind]()
    with warnings.catch_warnings():
        before = _global_state()
        expert.fit(X, y, **({} if kind == "classifier" else {"boxes": boxes}))
        assert _global_state() == before
        expert.predict_proba(X[:4])
        assert _global_state() == before


def test_changes_inside_are_undone(user_settings):
    before = _global_state()
    with warnings.catch_warnings(), global_state_kept():
        np.set_printoptions(linewidth=320, formatter={"float_kind": "{:11.5g}".format})
        torch.set_printoptions(linewidth=320, precision=4)
        torch.set_num_threads(2)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = True
        logging.getLogger().setLevel(logging.ERROR)
        logging.getLogger("user.app").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", category=UserWarning)
        Image.open = torch.save = print  # as ultralytics replaces them on import
    assert _global_state() == before


def test_only_changed_logger_levels_are_set_back(monkeypatch):
    """Each setLevel clears every logger's cache: setting back the hundreds of loggers a torch
    process holds took 7 ms of each prediction. Only the one changed inside is set back."""
    for i in range(300):
        logging.getLogger(f"many.loggers.{i}")
    changed = logging.getLogger("many.loggers.7")
    level = changed.level
    calls = []
    original = logging.Logger.setLevel
    monkeypatch.setattr(logging.Logger, "setLevel",
                        lambda logger, value: calls.append(logger.name) or original(logger, value))
    with global_state_kept():
        changed.setLevel(logging.CRITICAL)
    assert changed.level == level
    assert calls == ["many.loggers.7", "many.loggers.7"]
