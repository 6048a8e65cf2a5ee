"""Model folders: save a fitted estimator, load it back with no code run from the folder."""

import json

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline, load_model, save_model
from skmoe.datasets import image_statistics, make_steel_defects
from skmoe.ensemble import LeastOverkill
from skmoe.experts import TextureExpert


@pytest.fixture(scope="module")
def steel():
    return make_steel_defects(200, image_size=32, random_state=0)


def _statistics(model):
    return make_pipeline(FunctionTransformer(image_statistics), model)


def _models(X, y):
    texture = TextureExpert().fit(X, y)
    forest = _statistics(RandomForestClassifier(10, random_state=0)).fit(X, y)
    two_stage = TwoStagePipeline(_statistics(LogisticRegression(max_iter=500)),
                                 _statistics(RandomForestClassifier(5, random_state=0))
                                 ).fit(X, y)
    vote = MultiExpertVotingClassifier(
        [("texture", FrozenEstimator(texture)), ("forest", FrozenEstimator(forest)),
         ("two_stage", FrozenEstimator(two_stage))],
        objective=LeastOverkill(0.05, background="background")).fit(X, y)
    return {"texture": texture, "forest": forest, "two_stage": two_stage, "vote": vote}


@pytest.fixture(scope="module")
def models(steel):
    return _models(*steel)


@pytest.mark.parametrize("name", ["texture", "forest", "two_stage", "vote"])
def test_the_loaded_model_predicts_what_the_saved_one_did(models, steel, name, tmp_path):
    X, _ = steel
    loaded = load_model(save_model(models[name], tmp_path / "model"))
    assert type(loaded) is type(models[name])
    np.testing.assert_array_equal(loaded.predict_proba(X), models[name].predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), models[name].predict(X))


def test_the_vote_keeps_its_tuning_and_shares_its_experts(models, tmp_path):
    vote = models["vote"]
    loaded = load_model(save_model(vote, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.thresholds_, vote.thresholds_)
    np.testing.assert_array_equal(loaded.weights_, vote.weights_)
    assert loaded.objective == vote.objective
    assert loaded.named_experts_["texture"] is loaded.experts_[0]  # one object, as saved


def test_the_folder_is_json_and_arrays_only(models, tmp_path):
    folder = save_model(models["vote"], tmp_path / "model")
    assert sorted(path.name for path in folder.iterdir()) == ["arrays.npz", "model.json"]
    description = json.loads((folder / "model.json").read_text())
    assert description["format"] == "skmoe-model"
    assert set(description["versions"]) == {"skmoe", "scikit-learn", "numpy"}
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
        assert all(not arrays[key].dtype.hasobject for key in arrays)


def _edit_description(folder, edit):
    path = folder / "model.json"
    description = json.loads(path.read_text())
    edit(description)
    path.write_text(json.dumps(description))


def test_refused_folders(models, tmp_path):
    folder = save_model(models["texture"], tmp_path / "model")
    with pytest.raises(FileExistsError, match="save a model into a new folder"):
        save_model(models["texture"], folder)
    with pytest.raises(FileNotFoundError, match="is not a model folder"):
        load_model(tmp_path)

    (folder / "arrays.npz").write_bytes((folder / "arrays.npz").read_bytes() + b"\0")
    with pytest.raises(ValueError, match="changed after the model was saved"):
        load_model(folder)
    (folder / "arrays.npz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks arrays.npz"):
        load_model(folder)

    other = save_model(models["texture"], tmp_path / "other")
    _edit_description(other, lambda d: d["versions"].update(skmoe="0.0.1"))
    with pytest.raises(ValueError, match="written by skmoe 0.0.1"):
        load_model(other)


def test_only_trusted_packages_are_named(models, tmp_path):
    """A description that names a class or function outside skmoe, scikit-learn, numpy and
    scipy is refused before anything is imported or called."""
    folder = save_model(models["texture"], tmp_path / "model")
    _edit_description(folder, lambda d: d["model"].update({"object": "os:system"}))
    with pytest.raises(ValueError, match="outside the trusted packages"):
        load_model(folder)


def test_what_cannot_be_saved_is_named(tmp_path):
    bad = FunctionTransformer(lambda x: x)
    with pytest.raises(TypeError, match="cannot be saved in a model folder"):
        save_model(bad, tmp_path / "model")
    assert not (tmp_path / "model").exists()  # nothing half-written


def test_a_torch_expert_is_refused_for_now(steel, tmp_path):
    pytest.importorskip("torch")
    from skmoe.experts import ImageClassifier

    X, y = steel
    expert = ImageClassifier("resnet10t", image_size=32, max_epochs=1, validation_fraction=0,
                             device="cpu", random_state=0).fit(X[:40], y[:40])
    with pytest.raises(TypeError, match="Torch experts are not supported yet"):
        save_model(expert, tmp_path / "model")
