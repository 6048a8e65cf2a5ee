"""YOLODetector on synthetic steel: it learns, stays offline, pickles, and routes boxes."""

import os
import pickle
import socket
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import make_steel_defects
from skmoe.experts import YOLODetector

from ..._packages import skip_without
from .._tiny import save_images

SIZE = 64
# A short training that learns on every seed: no warm-up (ultralytics' 3 epochs would take most
# of it), no mosaic (four 64-pixel images in one shrink the defects to a few pixels) and AdamW
# at lr 0.004 (ultralytics' "auto" choice for 195 steps is AdamW at 0.0011). 15 epochs, seeds
# 0-2, one thread, background AUC: ultralytics' defaults 0.53-0.91; no mosaic 0.72-0.96; no
# mosaic with 25 epochs 0.76-0.81; this recipe 0.99-1.00.
TINY = dict(image_size=SIZE, batch_size=16, validation_fraction=0,
            train_kwargs={"warmup_epochs": 0, "mosaic": 0.0, "optimizer": "AdamW", "lr0": 0.004},
            random_state=0)


@pytest.fixture(scope="module")
def steel():
    options = dict(image_size=SIZE, class_weights=[1, 1, 1, 1, 1], defect_size=(16, 40),
                   return_boxes=True)
    return (make_steel_defects(200, random_state=0, **options),
            make_steel_defects(100, random_state=1, **options))


@pytest.fixture(scope="module")
def trained(steel, training_seed):
    """Trained (and used) once, with every connection and DNS lookup refused and recorded.

    ultralytics is imported inside the refusal too (by fit), unless an earlier test did.
    """
    skip_without("ultralytics")  # without importing it: fit imports it, inside the refusal
    torch = pytest.importorskip("torch")
    (X, y, boxes), _ = steel
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("tests never touch the network")

    threads, print_options = torch.get_num_threads(), np.get_printoptions()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)  # DNS lookups count as network use
        detector = YOLODetector(max_epochs=15, **{**TINY, "random_state": training_seed}).fit(
            X, y, boxes=boxes)
        detector.predict_proba(X[:4])
    assert torch.get_num_threads() == threads, "ultralytics' thread setting leaked out"
    assert np.get_printoptions() == print_options, "ultralytics' numpy print options leaked out"
    return detector, attempts


@pytest.mark.slow
def test_no_network_connection_is_attempted(trained):
    _, attempts = trained
    assert attempts == []


@pytest.mark.slow
@pytest.mark.learning
def test_learns_image_level_scores(trained, steel, record_learning):
    detector, _ = trained
    _, (X, y, _) = steel
    proba = detector.predict_proba(X)
    auc = {c: roc_auc_score(y == c, proba[:, j]) for j, c in enumerate(detector.classes_)}
    defects_auc = np.mean([auc[c] for c in detector.classes_ if c != "background"])
    record_learning(background_auc=auc["background"], mean_defect_auc=defects_auc)
    # seeds 0-4 x 1, 2 threads: background 0.991-1.000, defects 0.733-0.911 (the same values
    # at 1 and 2 threads).
    assert auc["background"] > 0.9, auc
    assert defects_auc > 0.6, auc


@pytest.mark.slow
def test_predict_boxes_format(trained, steel):
    detector, _ = trained
    _, (X, _, _) = steel
    found = detector.predict_boxes(X[:10])
    assert len(found) == 10
    every = np.concatenate(found)
    assert every.shape[1] == 6 and len(every)
    assert set(np.unique(every[:, 0])) <= set(range(len(detector.classes_)))
    assert (every[:, 1:5] >= 0).all() and (every[:, 3:5] <= SIZE).all()
    assert (every[:, 3] >= every[:, 1]).all() and (every[:, 5] >= detector.min_score).all()
    assert detector.background_index_ not in every[:, 0]


@pytest.mark.slow
def test_pickle_and_joblib_round_trip(trained, steel, tmp_path):
    detector, _ = trained
    _, (X, _, _) = steel
    expected = detector.predict_proba(X[:20])
    # float32 inference: a reloaded network may sum in another order (seen: 1.3e-8 apart).
    np.testing.assert_allclose(pickle.loads(pickle.dumps(detector)).predict_proba(X[:20]),
                               expected, atol=1e-6)
    joblib.dump(detector, tmp_path / "detector.joblib")
    np.testing.assert_allclose(joblib.load(tmp_path / "detector.joblib").predict_proba(X[:20]),
                               expected, atol=1e-6)


@pytest.mark.slow
def test_paths_match_arrays(trained, steel, tmp_path):
    detector, _ = trained
    _, (X, _, _) = steel
    paths = save_images(X[:6], tmp_path)
    np.testing.assert_allclose(detector.predict_proba(paths), detector.predict_proba(X[:6]),
                               atol=1e-5)


@pytest.mark.slow
def test_checkpoint_is_fine_tuned(trained, steel, tmp_path):
    detector, _ = trained
    (X, y, boxes), _ = steel
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(detector.checkpoint_)
    tuned = YOLODetector(str(checkpoint), max_epochs=1, **TINY).fit(X[:32], y[:32],
                                                                    boxes=boxes[:32])
    assert tuned.predict_proba(X[:4]).shape == (4, 5)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["yolo11n.yaml", "rtdetr-l.yaml"])
def test_other_ultralytics_models(model, steel):
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    detector = YOLODetector(model, max_epochs=1, **TINY).fit(X[:16], y[:16], boxes=boxes[:16])
    proba = detector.predict_proba(X[:4])
    assert proba.shape == (4, 5) and ((proba >= 0) & (proba <= 1)).all()


def test_grid_search_routes_boxes(steel):
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    with sklearn.config_context(enable_metadata_routing=True):
        detector = YOLODetector(max_epochs=1, **TINY).set_fit_request(boxes=True)
        search = GridSearchCV(detector, {"min_score": [0.001]}, cv=2, scoring="accuracy")
        search.fit(X[:40], y[:40], boxes=boxes[:40])
    assert search.best_estimator_.predict(X[:3]).shape == (3,)


def test_votes_next_to_a_classifier(steel):
    """The ensemble's own validation split gives the detector the boxes of its images."""
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    flat = FunctionTransformer(lambda images: images.reshape(len(images), -1) / 255.0)
    with sklearn.config_context(enable_metadata_routing=True):
        ensemble = MultiExpertVotingClassifier(
            [("yolo", YOLODetector(max_epochs=1, **TINY).set_fit_request(boxes=True)),
             ("pixels", make_pipeline(flat, LogisticRegression(max_iter=300)))],
            cv=0.25, random_state=0,
        ).fit(X[:80], y[:80], boxes=boxes[:80])
    assert ensemble.predict(X[80:90]).shape == (10,)
    assert ensemble.named_experts_["yolo"].classes_.tolist() == ensemble.classes_.tolist()


def test_gpu_model_predicts_on_cpu(steel, monkeypatch):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    detector = YOLODetector(max_epochs=1, device="cuda", **TINY).fit(X[:32], y[:32],
                                                                    boxes=boxes[:32])
    blob = pickle.dumps(detector)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pickle.loads(blob).predict_proba(X[:2]).shape == (2, 5)


def test_missing_checkpoint_is_not_downloaded(steel):
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    with pytest.raises(FileNotFoundError, match="never downloads"):
        YOLODetector("yolov8n.pt", **TINY).fit(X[:32], y[:32], boxes=boxes[:32])


def test_missing_ultralytics_names_the_extra(steel, monkeypatch):
    (X, y, boxes), _ = steel
    monkeypatch.setitem(sys.modules, "ultralytics", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"skmoe\[yolo\]"):
        YOLODetector(**TINY).fit(X[:32], y[:32], boxes=boxes[:32])


def test_train_kwargs_cannot_override_parameters(steel):
    skip_without("ultralytics")
    (X, y, boxes), _ = steel
    settings = {**TINY, "train_kwargs": {"epochs": 3}}
    with pytest.raises(ValueError, match=r"train_kwargs sets \['epochs'\]"):
        YOLODetector(**settings).fit(X[:32], y[:32], boxes=boxes[:32])


def test_mixed_precision_is_bf16_on_cuda_only():
    """ultralytics' fp16 mode would run its AMP check, which downloads a model offline."""

    def amp(detector, device):
        detector.device_ = device
        return detector._train_arguments("data.yaml", "runs", validate=False)["amp"]

    assert amp(YOLODetector(), "cuda") == "bf16"
    assert amp(YOLODetector(), "cpu") is False
    assert amp(YOLODetector(mixed_precision=False), "cuda") is False


def test_run_dir_keeps_the_training_run(steel, tmp_path, monkeypatch):
    """With run_dir, ultralytics' run folder (weights, results.csv) stays, as with yolo train;
    a relative run_dir is relative to the working directory (not ultralytics' runs folder)."""
    (X, y, boxes), _ = steel
    monkeypatch.chdir(tmp_path)
    YOLODetector(max_epochs=1, run_dir="kept", **TINY).fit(X[:48], y[:48], boxes=boxes[:48])
    assert (tmp_path / "kept" / "train" / "results.csv").is_file()
    assert list((tmp_path / "kept" / "train" / "weights").glob("*.pt"))


@pytest.mark.skipif(sys.platform == "win32", reason="process checks are POSIX")
def test_folders_of_killed_fits_are_removed(tmp_path, monkeypatch):
    """A fit killed mid-run leaves its temporary folder; the next fit removes it, and never
    a folder of a process still running."""
    import subprocess
    import tempfile

    from skmoe.experts.detection._ultralytics import remove_orphaned_folders, temporary_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f"skmoe-yolo-{dead}-abc123"
    (orphan / "runs").mkdir(parents=True)
    (orphan / "runs" / "last.pt").write_bytes(b"0" * 1000)
    alive = tmp_path / f"skmoe-yolo-{os.getpid()}-def456"
    alive.mkdir()
    other = tmp_path / "someone-elses-folder"
    other.mkdir()
    remove_orphaned_folders()
    assert not orphan.exists() and alive.exists() and other.exists()
    with temporary_folder() as folder:
        assert Path(folder).name.startswith(f"skmoe-yolo-{os.getpid()}-")
    assert not Path(folder).exists()


def test_verbose_fit_says_the_run_folder_is_temporary(steel, capsys):
    X, y, boxes = steel[0]
    YOLODetector(**TINY, max_epochs=1, verbose=1).fit(X[:16], y[:16], boxes=boxes[:16])
    assert "was temporary and is deleted; set run_dir to keep it" in capsys.readouterr().out
