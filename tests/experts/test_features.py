"""ImageFeatures: frozen pretrained features, flips, tiles, the per-image cache, any head."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmoe.datasets import make_steel_defects

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

from skmoe.experts import ImageFeatures  # noqa: E402

from ._tiny import save_images  # noqa: E402


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A resnet10t state dict standing in for pretrained weights (its features are as good
    as any for checking what the transformer does with them)."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "resnet10t.pth"
    torch.save(timm.create_model("resnet10t").state_dict(), path)
    return path


@pytest.fixture(scope="module")
def steel():
    return make_steel_defects(60, image_size=32, class_weights=[1] * 5, random_state=0)


def _features(weights, **params):
    return ImageFeatures("resnet10t", checkpoint_path=weights, image_size=32, device="cpu",
                         **params)


def test_one_vector_per_image(weights, steel):
    X, _ = steel
    transformer = _features(weights).fit(X)
    features = transformer.transform(X[:7])
    assert features.shape == (7, transformer.n_features_out_) == (7, 512)
    assert features.dtype == np.float32 and np.isfinite(features).all()
    assert transformer.get_feature_names_out()[0] == "imagefeatures0"


def test_paths_give_the_features_of_arrays(weights, steel, tmp_path):
    X, _ = steel
    transformer = _features(weights).fit(X)
    np.testing.assert_allclose(transformer.transform(save_images(X[:5], tmp_path)),
                               transformer.transform(X[:5]), atol=1e-4)


def test_flips_make_mirror_images_alike(weights, steel):
    """With left-right flips averaged in, an image and its mirror image have one vector."""
    X, _ = steel
    mirrored = np.ascontiguousarray(X[:4, :, ::-1])
    flipped = _features(weights, flips="horizontal").fit(X)
    np.testing.assert_allclose(flipped.transform(mirrored), flipped.transform(X[:4]), atol=1e-5)
    plain = _features(weights, flips="none").fit(X)
    assert not np.allclose(plain.transform(mirrored), plain.transform(X[:4]), atol=1e-3)


def test_tiles_are_max_pooled_at_full_resolution(weights):
    """tiles=2 on 64-pixel images equals the maximum of the four 32-pixel quarters' features."""
    X, _ = make_steel_defects(3, image_size=64, random_state=1)
    tiled = _features(weights, tiles=2, flips="none").fit(X).transform(X)
    quarters = [X[:, r:r + 32, c:c + 32] for r in (0, 32) for c in (0, 32)]
    single = _features(weights, flips="none").fit(X)
    expected = np.max([single.transform(np.ascontiguousarray(q)) for q in quarters], axis=0)
    np.testing.assert_allclose(tiled, expected, atol=1e-5)


def test_cached_features_are_read_not_recomputed(weights, steel, tmp_path, monkeypatch):
    """A clone with the same memory reads every image's features back; other settings and
    other images are computed."""
    X, _ = steel
    first = _features(weights, memory=tmp_path).fit(X)
    expected = first.transform(X[:10])
    computed = []
    original = ImageFeatures._extract
    monkeypatch.setattr(ImageFeatures, "_extract",
                        lambda self, source, rows: computed.append(len(rows))
                        or original(self, source, rows))
    second = clone(first).fit(X)
    np.testing.assert_array_equal(second.transform(X[:10]), expected)
    assert computed == []
    np.testing.assert_array_equal(second.transform(X[5:12])[:5], expected[5:])
    assert computed == [2]  # only the two new images
    clone(first).set_params(pooling="max").fit(X).transform(X[:3])
    assert computed == [2, 3]


def test_grid_search_of_the_head_runs_the_backbone_once_per_image(weights, steel, tmp_path,
                                                                 monkeypatch):
    X, y = steel
    computed = []
    original = ImageFeatures._extract
    monkeypatch.setattr(ImageFeatures, "_extract",
                        lambda self, source, rows: computed.append(len(rows))
                        or original(self, source, rows))
    expert = make_pipeline(_features(weights, memory=tmp_path),
                           LogisticRegression(max_iter=500))
    search = GridSearchCV(expert, {"logisticregression__C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
    assert sum(computed) == len(X)
    assert search.predict_proba(X[:2]).shape == (2, 5)


def test_clone_and_pickle_give_the_same_features(weights, steel):
    X, _ = steel
    transformer = _features(weights).fit(X)
    assert clone(transformer).get_params() == transformer.get_params()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(transformer)).transform(X[:3]),
                                  transformer.transform(X[:3]))


@pytest.mark.parametrize("params, err_msg", [
    ({"checkpoint_path": None}, "needs pretrained weights"),
    ({"pretrained": True}, "not both"),
    ({"backbone": "resnet10tt"}, "Unknown timm backbone"),
    ({"pooling": "gem"}, "pooling"),
    ({"tiles": 0}, "tiles"),
])
def test_bad_parameters_are_refused(weights, steel, params, err_msg):
    X, _ = steel
    with pytest.raises(ValueError, match=err_msg):
        _features(weights).set_params(**params).fit(X)


def test_feature_expert_is_the_linear_probe_by_default(weights, steel):
    """make_feature_expert: features, standardised, into a balanced logistic regression."""
    from sklearn.preprocessing import StandardScaler

    from skmoe.experts import make_feature_expert

    X, y = steel
    expert = make_feature_expert("resnet10t", checkpoint_path=weights, image_size=32,
                                 random_state=3)
    imagefeatures, scaler, head = (step for _, step in expert.steps)
    assert isinstance(scaler, StandardScaler) and isinstance(head, LogisticRegression)
    assert (head.C, head.class_weight, head.random_state) == (0.1, "balanced", 3)
    assert imagefeatures.image_size == 32
    assert expert.fit(X, y).predict_proba(X[:3]).shape == (3, 5)


@pytest.mark.parametrize("head, head_params, expected", [
    ("sklearn.svm.SVC", {"C": 2.0, "probability": True}, {"C": 2.0, "probability": True}),
    ("sklearn.linear_model:LogisticRegression", None, {"C": 1.0}),
    (LogisticRegression(C=5.0), None, {"C": 5.0}),
])
def test_feature_expert_takes_any_head(weights, head, head_params, expected):
    from skmoe.experts import make_feature_expert

    expert = make_feature_expert("resnet10t", checkpoint_path=weights, head=head,
                                 head_params=head_params, standardize=False)
    assert len(expert.steps) == 2
    params = expert.steps[-1][1].get_params()
    assert {key: params[key] for key in expected} == expected


@pytest.mark.parametrize("head, head_params, err_msg", [
    ("sklearn.svm.NoSuchSVC", None, "not an importable estimator class"),
    (LogisticRegression(), {"C": 2.0}, "head_params applies to a head given by name"),
])
def test_feature_expert_bad_head(head, head_params, err_msg):
    from skmoe.experts import make_feature_expert

    with pytest.raises(ValueError, match=err_msg):
        make_feature_expert(head=head, head_params=head_params)


def test_the_cache_is_keyed_by_file_content(weights, steel, tmp_path):
    """A copied dataset reads the cache back; a file whose bytes changed is computed again."""
    from PIL import Image

    X, _ = steel
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        for i in range(2):
            Image.fromarray(X[i]).save(folder / f"{i}.png")
    paths = [sorted(map(str, folder.glob("*.png"))) for folder in folders]
    transformer = _features(weights, memory=tmp_path / "cache").fit(X)
    expected = transformer.transform(paths[0])
    computed = []
    original = ImageFeatures._extract
    transformer._extract = lambda source, rows: computed.append(len(rows)) \
        or original(transformer, source, rows)
    np.testing.assert_array_equal(transformer.transform(paths[1]), expected)
    assert computed == []
    Image.fromarray(X[5]).save(paths[1][0])
    transformer.transform(paths[1])
    assert computed == [1]
