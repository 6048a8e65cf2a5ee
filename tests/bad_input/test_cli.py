"""Bad input to the `skmoe` command: one `skmoe: error:` line, exit status 2, before training."""

import os
import re

import pytest

from skmoe.cli import main

JOB = ('output = "out"\nseeds = [0]\n[dataset]\nloader = "synthetic"\nn_samples = 60\n'
       '[experts.a]\ntype = "classifier"\nbackbone = "resnet10t"\nimage_size = 32\n'
       'max_epochs = 1\n')

# (id, config text or None for JOB, extra arguments, message fragment)
CASES = [
    ("config missing", None, ["run", "no-such.toml"], "config file 'no-such.toml' does not exist"),
    ("not TOML", "output = \n[[", [], "job.toml is not valid TOML"),
    ("--set without =", None, ["--set", "seeds"], "--set 'seeds' must look like section.key=value"),
    ("--set of an unknown top-level key", None, ["--set", "outptu=x"],
     "unknown key 'outptu'.*\\(did you mean 'output'\\?\\)"),
    ("--set of an unknown ensemble key", None, ["--set", "ensemble.objectve='f1'"],
     "\\[ensemble\\] has an unknown key 'objectve' \\(did you mean 'objective'\\?\\)"),
    ("unknown objective", None, ["--set", "ensemble.objective='f2'"],
     "\\[ensemble\\]: objective='f2' is unknown: give one of"),
    ("unknown loader", JOB.replace('"synthetic"', '"neu-det"'), [],
     "dataset.loader='neu-det' is not a loader: use one of .* \\(did you mean 'neu'\\?\\)"),
    ("no experts", 'output = "out"\n[dataset]\nloader = "synthetic"\n', [],
     "the config has no 'experts': it is required"),
    ("no seeds", None, ["--set", "seeds=[]"], "seeds must be a non-empty list of integers"),
    ("repeated seeds", None, ["--set", "seeds=[1, 1]"], "seeds \\[1, 1\\] repeat a seed"),
    ("n_jobs 0", None, ["--set", "n_jobs=0"], "n_jobs must be a non-zero integer"),
    ("unknown split", None, ["--set", "dataset.split='kfold'"],
     "dataset.split='kfold': use 'file' .* or 'random'"),
    ("unknown device", None, ["--set", "device='tpu'"],
     "device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>'"),
    ("expert type not importable", JOB.replace('"classifier"', '"nopkg.mod:Thing"'), [],
     "experts.a: cannot import type 'nopkg.mod:Thing'"),
    ("expert parameter misspelt", None, ["--set", "experts.a.max_epoch=3"],
     "has no parameter 'max_epoch' \\(did you mean 'max_epochs'\\?\\)"),
    ("expert parameter of the wrong type", None, ["--set", "experts.a.max_epochs='ten'"],
     "experts.a: The 'max_epochs' parameter of ImageClassifier must be an int"),
    ("two-stage expert without its gate", JOB.replace('"classifier"', '"two-stage"'), [],
     "experts.a is a two-stage expert: it needs a \\[experts.a.gate\\] table"),
    ("dataset root missing", JOB.replace('loader = "synthetic"\nn_samples = 60',
                                         'loader = "neu"\nroot = "no/such/folder"'), [],
     "Dataset root 'no/such/folder' does not exist"),
    ("segmenter on a dataset without masks",
     JOB.replace('loader = "synthetic"\nn_samples = 60', 'loader = "neu"\nroot = "no/such"')
     .replace('"classifier"', '"segmenter"'), [],
     "a segmenter expert trains on masks, and the 'neu' dataset has none"),
    ("summary of a missing root", None, ["summary", "neu", "no/such/neu"],
     "Dataset root 'no/such/neu' does not exist"),
    ("summary of a root that is a file", None, ["summary", "folder", "job.toml"],
     "Dataset root 'job.toml' is a file, not a folder"),
    ("summary of an empty folder", None, ["summary", "folder", "."],
     "folder at .: .* has no sub-folders. Expected one sub-folder per class"),
    ("summary with a Severstal option", None, ["summary", "neu", ".", "--images", "x"],
     "--images apply to severstal only, not to neu"),
    ("synthetic images of a negative count", None, ["--set", "dataset.n_samples=-5"],
     "\\[dataset\\] \\(synthetic\\): n_samples must be a positive integer; got -5"),
    ("synthetic images of a word for a size", None, ["--set", "dataset.image_size='big'"],
     "\\[dataset\\] \\(synthetic\\): image_size must be an int or a \\(height, width\\)"),
]


@pytest.mark.parametrize("config, arguments, message",
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_user_error_is_one_line_with_status_2(tmp_path, monkeypatch, capsys, config, arguments,
                                              message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "job.toml").write_text(JOB if config is None else config)
    if not arguments or arguments[0] not in ("run", "summary"):
        arguments = ["run", "job.toml", *arguments]
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("skmoe: error: ") and captured.err.count("\n") == 1
    assert re.search(message, captured.err), captured.err
    assert not (tmp_path / "out").exists() or arguments[0] == "summary"  # nothing trained


def test_output_of_another_config_is_refused(tmp_path, monkeypatch, capsys):
    """The run's folder is claimed before training; another config is refused, naming the
    keys that differ."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "job.toml").write_text(JOB.replace("n_samples = 60", "n_samples = 40"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "config.json").write_text('{"config": {"output": "out"}}')
    assert main(["run", "job.toml"]) == 2
    assert "output folder 'out' holds a run of another config" in capsys.readouterr().err


@pytest.mark.parametrize("output", ["job.toml", "job.toml/out", "locked/out"])
def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, capsys,
                                                             output):
    """A file, a path through a file, a folder without write permission."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "job.toml").write_text(JOB)
    (tmp_path / "locked").mkdir(mode=0o500)
    if output.startswith("locked") and os.access(tmp_path / "locked", os.W_OK):
        pytest.skip("this user (root?) may write anywhere")
    assert main(["run", "job.toml", "--output", output]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"skmoe: error: output folder {output!r} cannot be created or written")


def test_a_folder_dataset_without_its_split_file_says_how_to_split(tmp_path, monkeypatch,
                                                                   capsys):
    """The loader's own hint (split_file=None) cannot be written in TOML; the job's can."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    for name in ("ok", "scratch"):
        (tmp_path / "images" / name).mkdir(parents=True)
        Image.new("L", (8, 8)).save(tmp_path / "images" / name / "0.png")
    (tmp_path / "job.toml").write_text(
        JOB.replace('loader = "synthetic"\nn_samples = 60', 'loader = "folder"\nroot = "images"'))
    assert main(["run", "job.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "dataset.split_file='split.csv' is not a file in images: give the path of a CSV" in err
    assert "or set dataset.split = 'random'" in err


@pytest.mark.parametrize("loader, layout, message", [
    ("neu", "MT_Free/Imgs/a.jpg", "Folders \\['MT_Free'\\] in .* are not NEU classes"),
    ("magnetic-tile", "images/crazing_1.jpg", "No MT_Free/Imgs folder in .*Expected MT_<Class>"),
    ("folder", "a/", "No images in the sub-folders of .*Expected one sub-folder per class"),
])
def test_summary_of_another_layout_is_one_line(tmp_path, capsys, loader, layout, message):
    """One dataset's loader on another's folder (or on empty class folders) names the layout
    it expected."""
    from PIL import Image

    path = tmp_path / "data" / layout
    path.parent.mkdir(parents=True)
    if layout.endswith(".jpg"):
        Image.new("L", (8, 8)).save(path)
    else:
        (tmp_path / "data" / "b").mkdir()
    assert main(["summary", loader, str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skmoe: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
