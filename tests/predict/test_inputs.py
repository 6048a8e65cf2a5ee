from pathlib import Path

import pytest

from skmoe.predict import find_images


@pytest.fixture
def tree(tmp_path):
    for name in ("b.png", "a.JPG", "notes.md", "sub/c.png", "sub/d.bmp"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def names(paths):
    return [Path(p).name for p in paths]


def test_a_folder_gives_its_images_not_its_subfolders(tree):
    assert names(find_images([tree])) == ["a.JPG", "b.png"]


def test_globs_reach_into_subfolders_and_paths_come_once(tree):
    found = find_images([str(tree / "**" / "*.png"), tree / "b.png"])
    assert names(found) == ["b.png", "c.png"]


def test_a_file_named_directly_is_kept_whatever_it_holds(tree):
    assert names(find_images([tree / "notes.md"])) == ["notes.md"]


def test_a_text_file_lists_images_relative_to_itself(tree):
    (tree / "list.txt").write_text("# lot 7\nsub/d.bmp\n\nb.png\n")
    assert names(find_images([tree / "list.txt"])) == ["d.bmp", "b.png"]


@pytest.mark.parametrize("inputs, message", [
    (["{tree}/missing.png"], "is not a file, a folder or a glob pattern"),
    (["{tree}/*.tif"], r"No image matches"),
    (["{tree}/empty"], "No image in"),
    (["{tree}/bad-list.txt"], "1 images listed in .* do not exist, e.g. .*gone.png"),
])
def test_inputs_without_images_are_refused(tree, inputs, message):
    (tree / "empty").mkdir()
    (tree / "bad-list.txt").write_text("gone.png\n")
    with pytest.raises(FileNotFoundError, match=message):
        find_images([item.format(tree=tree) for item in inputs])
