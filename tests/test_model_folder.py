"""Model folders: save a fitted estimator, load it back with no code run from the folder."""

import json

import numpy as np
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline, load_model, save_model
from skmoe.datasets import image_statistics, make_steel_defects
from skmoe.ensemble import LeastOverkill
from skmoe.experts import TextureExpert

from ._packages import skip_without


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


def test_only_listed_constructors_are_called(models, tmp_path):
    """Rebuilding may call a trusted package's function only where it is a listed
    constructor: numpy.save, say, would write a file."""
    folder = save_model(models["texture"], tmp_path / "model")
    _edit_description(folder, lambda d: d.update(model={
        "reduce": "numpy:save", "id": 0, "args": {"tuple": ["/tmp/x", 1]}, "state": None}))
    with pytest.raises(TypeError, match="calls only the constructors it lists"):
        load_model(folder)


@pytest.mark.parametrize("head", [
    HistGradientBoostingClassifier(max_iter=10, random_state=0),
    KNeighborsClassifier(algorithm="kd_tree"),
    OneVsRestClassifier(LogisticRegression(max_iter=500)),
    ExtraTreesClassifier(5, random_state=np.random.RandomState(0)),
])
def test_scikit_learn_heads_round_trip(steel, head, tmp_path):
    X, y = steel
    model = _statistics(head).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_what_cannot_be_saved_is_named(tmp_path):
    bad = FunctionTransformer(lambda x: x)
    with pytest.raises(TypeError, match="cannot be saved in a model folder"):
        save_model(bad, tmp_path / "model")
    assert not (tmp_path / "model").exists()  # nothing half-written


@pytest.fixture(scope="module")
def torch_experts(tmp_path_factory):
    """One fitted expert of each torch type, on tiny synthetic data (CPU, one epoch)."""
    torch = pytest.importorskip("torch")
    timm = pytest.importorskip("timm")
    from skmoe.experts import (
        ImageClassifier,
        SegmentationExpert,
        TorchvisionDetector,
        make_feature_expert,
    )

    torch.manual_seed(0)
    weights = tmp_path_factory.mktemp("weights") / "resnet10t.pth"
    torch.save(timm.create_model("resnet10t").state_dict(), weights)
    X, y, masks = make_steel_defects(40, image_size=32, class_weights=[1] * 5,
                                     return_masks=True, random_state=0)
    X_boxes, y_boxes, boxes = make_steel_defects(20, image_size=64, class_weights=[1] * 5,
                                                 return_boxes=True, random_state=0)
    common = dict(device="cpu", random_state=0)
    return {
        "classifier": (ImageClassifier("resnet10t", image_size=32, max_epochs=1,
                                       flips="horizontal", **common).fit(X, y), X),
        "features": (make_feature_expert("resnet10t", checkpoint_path=weights, image_size=32,
                                         device="cpu").fit(X, y), X),
        "segmenter": (SegmentationExpert("resnet10t", image_size=32, max_epochs=1,
                                         **common).fit(X, y, masks=masks), X),
        "detector": (TorchvisionDetector("fasterrcnn_mobilenet_v3_large_320_fpn", max_epochs=1,
                                         **common).fit(X_boxes, y_boxes, boxes=boxes), X_boxes),
        "weights": weights,
    }


@pytest.mark.parametrize("name", ["classifier", "features", "segmenter", "detector"])
def test_torch_experts_are_saved_as_weights_and_predict_the_same(torch_experts, name,
                                                                 tmp_path):
    """The network is rebuilt from the expert's parameters and given its saved weights
    (safetensors): the same probabilities, without the checkpoint file it started from."""
    expert, X = torch_experts[name]
    folder = save_model(expert, tmp_path / "model")
    assert (folder / "networks.safetensors").is_file()
    moved = torch_experts["weights"].rename(tmp_path / "elsewhere.pth")  # not read at load
    try:
        loaded = load_model(folder)
    finally:
        moved.rename(torch_experts["weights"])
    np.testing.assert_array_equal(loaded.predict_proba(X[:8]), expert.predict_proba(X[:8]))
    history = getattr(expert, "history_", None)
    if history is not None:
        assert loaded.history_[:, "train_loss"] == history[:, "train_loss"]


def test_frozen_torch_experts_in_a_vote_round_trip(torch_experts, tmp_path):
    """FrozenEstimator forwards attribute access to its expert: the wrapper must not be taken
    for a torch expert (it holds no network), the expert inside must."""
    expert, X = torch_experts["classifier"]
    features, _ = torch_experts["features"]
    _, y = make_steel_defects(40, image_size=32, class_weights=[1] * 5, random_state=0)
    vote = MultiExpertVotingClassifier([("cnn", FrozenEstimator(expert)),
                                        ("features", FrozenEstimator(features))]).fit(X, y)
    loaded = load_model(save_model(vote, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(X), vote.predict_proba(X))


def test_a_model_trained_on_a_gpu_loads_on_a_cpu(torch_experts, tmp_path):
    """Weights are saved from and loaded to the CPU; the expert predicts on the CPU of a
    machine without the GPU it was trained on."""
    import copy

    expert, X = torch_experts["classifier"]
    on_gpu = copy.deepcopy(expert)
    on_gpu.device_ = "cuda:0"  # as a GPU fit leaves it
    loaded = load_model(save_model(on_gpu, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(X[:8]), expert.predict_proba(X[:8]))


def test_yolo_is_saved_as_weights_and_its_definition(tmp_path):
    """Its checkpoint (an ultralytics pickle) is saved as the network's weights beside
    ultralytics' model definition; loading rebuilds the network from that definition, never
    unpickling anything from the folder."""
    skip_without("ultralytics")
    from skmoe.experts import YOLODetector

    X, y, boxes = make_steel_defects(40, image_size=64, return_boxes=True, random_state=0)
    detector = YOLODetector(image_size=64, max_epochs=1, validation_fraction=0, device="cpu",
                            random_state=0).fit(X, y, boxes=boxes)
    folder = save_model(detector, tmp_path / "model")
    loaded = load_model(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X[:8]), detector.predict_proba(X[:8]))
    for mine, theirs in zip(loaded.predict_boxes(X[:4]), detector.predict_boxes(X[:4])):
        np.testing.assert_array_equal(mine, theirs)
    assert loaded.history_[:, "train_loss"] == detector.history_[:, "train_loss"]

    def other_network(description):
        (node,) = description["model"]["networks"].values()
        node["architecture"]["dict"]["class"] = "SegmentationModel"

    _edit_description(folder, other_network)
    with pytest.raises(ValueError, match="only DetectionModel, RTDETRDetectionModel load"):
        load_model(folder)
