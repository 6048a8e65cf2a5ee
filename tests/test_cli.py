import subprocess
import sys

import pytest

from skmoe.cli import main

# The demo's experts on few images, one epoch each, the feature experts at a small size: the
# CNN, frozen-feature, two-stage and YOLO paths end to end.
SMALL_DEMO = ["--set", "dataset.n_samples=160", "--set", "experts.resnet10t.max_epochs=1",
              "--set", "experts.lite0.image_size=64",
              "--set", "experts.two_stage.gate.image_size=64",
              "--set", "experts.two_stage.classifier.image_size=64",
              "--set", "experts.yolov8n.max_epochs=1", "--set", "experts.yolov8n.image_size=32"]


@pytest.mark.slow
def test_demo_runs_the_job_and_prints_the_main_table(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path / "demo"), *SMALL_DEMO]) == 0
    out = capsys.readouterr().out
    for model in ("resnet10t", "lite0", "two_stage", "yolov8n", "Voting", "Ours 1s", "Ours 2s",
                  "Soft mean", "Stacking 2s"):
        assert f"| {model} |" in out
    assert f"Report: {tmp_path / 'demo' / 'report.html'}" in out
    assert (tmp_path / "demo" / "figures" / "history-resnet10t.png").is_file()


def test_version():
    result = subprocess.run([sys.executable, "-m", "skmoe", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith("skmoe ")


@pytest.mark.parametrize("config, message", [
    ('output = "o"\n[dataset]\nloader = "neu"\nroot = "/no/such/folder"\n'
     '[experts.a]\ntype = "classifier"\n', "/no/such/folder' does not exist"),
    ('output = "o"\n[dataset]\nloader = "synthetic"\n[experts.a]\ntype = "clasifier"\n',
     "unknown expert type 'clasifier' (did you mean 'classifier'?)"),
    ('output = "o"\n[dataset]\nloader = "synthetic"\n[experts.a]\ntype = "classifier"\n'
     'max_epoch = 3\n', "has no parameter 'max_epoch' (did you mean 'max_epochs'?)"),
    ('output = "o"\n[dataset]\nloader = "synthetic"\n[experts.a]\ntype = "classifier"\n'
     'max_epochs = "ten"\n', "experts.a: The 'max_epochs' parameter of ImageClassifier must be"),
    ('output = "o"\n[dataset]\nloader = "synthetic"\n[experts.a]\ntype = "classifier"\n'
     '[ensemble]\nobjectve = "f1"\n', "unknown key 'objectve' (did you mean 'objective'?)"),
    ('output = "o"\n[dataset]\nloader = "synthetic"\ncolour = 1\n'
     '[experts.a]\ntype = "classifier"\n', "'colour' is not an option of make_steel_defects"),
])
def test_user_errors_are_one_line_and_status_2(tmp_path, config, message):
    """No traceback: one `skmoe: error:` line that says what is wrong."""
    path = tmp_path / "job.toml"
    path.write_text(config)
    result = subprocess.run([sys.executable, "-m", "skmoe", "run", str(path)], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("skmoe: error: ")
    assert message in result.stderr


def test_predict_decides_a_folder_with_a_model_folder_and_resumes(tmp_path, capsys):
    from PIL import Image

    from skmoe import save_model
    from skmoe.datasets import make_steel_defects
    from skmoe.experts import TextureExpert

    X, y = make_steel_defects(40, image_size=32, random_state=0)
    for i, image in enumerate(X):
        Image.fromarray(image).save(tmp_path / f"{i:02d}.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    model = save_model(TextureExpert().fit(X, y), tmp_path / "model")
    command = ["predict", str(model), str(tmp_path), "--output", str(tmp_path / "p.csv"),
               "--quiet"]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "40 images decided, 1 could not be" in out
    assert (tmp_path / "p.csv").read_text().count("\n") == 42  # the header and 41 rows

    assert main(command) == 2  # the output exists: refused, nothing overwritten
    assert "pass --resume" in capsys.readouterr().err
    assert main([*command, "--resume"]) == 0
    assert "0 images decided" in capsys.readouterr().out


def test_predict_refuses_what_is_not_a_model_folder(tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(b"")
    assert main(["predict", str(tmp_path), str(tmp_path / "a.png"), "--output",
                 str(tmp_path / "p.csv")]) == 2
    assert "is not a model folder: it has no model.json" in capsys.readouterr().err
