import csv
import json

import numpy as np
import pytest

from skmoe.predict import predict_images


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_row_per_image_with_the_models_and_each_experts_scores(vote, steel_files,
                                                                  tmp_path):
    paths, _ = steel_files
    done = predict_images(vote, paths, tmp_path / "p.csv", batch_size=16, progress=False)
    rows = read_csv(tmp_path / "p.csv")
    assert (done.n_images, done.n_skipped, done.n_decided, done.n_errors) == (60, 0, 60, 0)
    assert [row["path"] for row in rows] == paths
    assert [row["decision"] for row in rows] == vote.predict(paths).tolist()
    classes = vote.classes_.tolist()
    scores = np.array([[float(row[f"score:{c}"]) for c in classes] for row in rows])
    np.testing.assert_allclose(scores, vote.predict_proba(paths), atol=1e-6)
    for name, expert in vote.named_experts_.items():
        mine = np.array([[float(row[f"{name}:{c}"]) for c in classes] for row in rows])
        np.testing.assert_allclose(mine, expert.predict_proba(paths), atol=1e-6)
    assert all(row["error"] == "" for row in rows)


def test_json_lines_hold_the_same_rows(vote, steel_files, tmp_path):
    paths, _ = steel_files
    predict_images(vote, paths, tmp_path / "p.csv", progress=False)
    predict_images(vote, paths, tmp_path / "p.jsonl", json_lines=True, progress=False)
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [(r["path"], r["decision"], r["error"]) for r in lines] == [
        (r["path"], r["decision"], r["error"]) for r in read_csv(tmp_path / "p.csv")]


def test_an_unreadable_file_gets_its_error_and_the_others_are_decided(vote, steel_files,
                                                                     tmp_path):
    paths, _ = steel_files
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(open(paths[0], "rb").read()[:40])  # cut off mid-file
    given = paths[:10] + [str(corrupt)] + paths[10:20]
    done = predict_images(vote, given, tmp_path / "p.csv", batch_size=8, progress=False)
    rows = {row["path"]: row for row in read_csv(tmp_path / "p.csv")}
    assert (done.n_decided, done.n_errors, len(rows)) == (20, 1, 21)
    assert "corrupt.png" in rows[str(corrupt)]["error"]  # the message names the file
    assert rows[str(corrupt)]["decision"] == ""
    assert [rows[p]["decision"] for p in paths[:20]] == vote.predict(paths[:20]).tolist()


def test_an_interrupted_run_resumes_where_it_stopped(vote, steel_files, tmp_path,
                                                    monkeypatch):
    from skmoe.predict import _decisions

    paths, _ = steel_files
    original = _decisions.DecisionMaker.__call__
    batches = {"left": 2}

    def interrupted(self, images):
        if batches["left"] == 0:
            raise KeyboardInterrupt
        batches["left"] -= 1
        return original(self, images)

    monkeypatch.setattr(_decisions.DecisionMaker, "__call__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        predict_images(vote, paths, tmp_path / "p.csv", batch_size=16, progress=False)
    assert len(read_csv(tmp_path / "p.csv")) == 32  # the finished batches are on disk
    monkeypatch.setattr(_decisions.DecisionMaker, "__call__", original)

    with pytest.raises(FileExistsError, match="pass --resume"):
        predict_images(vote, paths, tmp_path / "p.csv", progress=False)
    with open(tmp_path / "p.csv", "a") as handle:
        handle.write("/a/row/cut/off,cra")  # the run was killed mid-write
    done = predict_images(vote, paths, tmp_path / "p.csv", batch_size=16, resume=True,
                          progress=False)
    assert (done.n_skipped, done.n_decided) == (32, 28)
    predict_images(vote, paths, tmp_path / "whole.csv", progress=False)
    assert read_csv(tmp_path / "p.csv") == read_csv(tmp_path / "whole.csv")


def test_resuming_the_file_of_another_model_is_refused(vote, steel_files, tmp_path):
    paths, _ = steel_files
    (tmp_path / "p.csv").write_text("path,decision,score:a,error\n")
    with pytest.raises(ValueError, match="written by another model or with other options"):
        predict_images(vote, paths, tmp_path / "p.csv", resume=True, progress=False)


def test_overlays_are_drawn_and_named_in_the_rows(vote, steel_files, tmp_path):
    paths, _ = steel_files
    predict_images(vote, paths[:5], tmp_path / "p.csv", overlays=tmp_path / "drawn",
                   progress=False)
    rows = read_csv(tmp_path / "p.csv")
    assert [row["overlay"] for row in rows] == [
        str(tmp_path / "drawn" / f"image-{i:03d}.png") for i in range(5)]
    assert all((tmp_path / "drawn" / f"image-{i:03d}.png").is_file() for i in range(5))


def test_an_expert_alone_runs_once_per_batch(vote, steel_files, tmp_path, monkeypatch):
    """Its decision follows from its scores: deciding a batch does not run it twice."""
    paths, _ = steel_files
    expert = vote.named_experts_["fine"]
    calls = []
    original = type(expert.estimator).predict_proba
    monkeypatch.setattr(type(expert.estimator), "predict_proba",
                        lambda self, X: calls.append(len(X)) or original(self, X))
    predict_images(expert, paths, tmp_path / "p.csv", batch_size=32, progress=False)
    assert calls == [32, 28]
    rows = read_csv(tmp_path / "p.csv")
    assert [row["decision"] for row in rows] == expert.predict(paths).tolist()
