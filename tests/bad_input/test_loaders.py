"""Bad input to the dataset loaders, the synthetic generator and the RLE and mask helpers."""

import numpy as np
import pytest

from skmoe.datasets import (
    load_image_folder,
    load_magnetic_tile,
    load_neu,
    load_severstal,
    make_steel_defects,
    rle_decode,
    rle_encode,
)

from ._table import case, check_case

CASES = [
    case("NEU root missing", lambda: load_neu("/no/such/neu"),
         FileNotFoundError, "Dataset root '/no/such/neu' does not exist. Expected NEU-DET"),
    case("Magnetic-tile root missing", lambda: load_magnetic_tile("/no/such/mt"),
         FileNotFoundError, "Dataset root '/no/such/mt' does not exist. Expected MT_<Class>"),
    case("Severstal root missing", lambda: load_severstal("/no/such/severstal"),
         FileNotFoundError, "does not exist. Expected the Kaggle layout"),
    case("image folder missing", lambda: load_image_folder("/no/such/folder"),
         FileNotFoundError, "does not exist. Expected one sub-folder per class"),
    case("image folder without class folders", lambda: load_image_folder(_empty_folder()),
         ValueError, "has no sub-folders. Expected one sub-folder per class"),
    case("image folder of one class", lambda: load_image_folder(_class_folders("ok")),
         ValueError, "holds images of one class only \\('ok'\\); a classifier needs two"),
    case("dataset root that is a file", lambda: load_neu(__file__),
         NotADirectoryError, "is a file, not a folder. Give the folder that holds the dataset"),
    case("synthetic: no samples", lambda: make_steel_defects(0),
         ValueError, "n_samples must be a positive integer; got 0"),
    case("synthetic: class weights", lambda: make_steel_defects(10, class_weights=[1, 1]),
         ValueError, "class_weights must be 5 non-negative numbers, one per class"),
    case("synthetic: tiny images", lambda: make_steel_defects(10, image_size=4),
         ValueError, "image_size must be an int or a \\(height, width\\) pair of ints >= 16"),
    case("synthetic: no defects", lambda: make_steel_defects(10, max_defects_per_image=0),
         ValueError, "max_defects_per_image must be an integer from 1 to 4; got 0"),
    case("RLE with an odd count", lambda: rle_decode("1 2 3"),
         ValueError, "3 numbers, but runs come as 'start length' pairs"),
    case("RLE with text", lambda: rle_decode("a b"),
         ValueError, "Malformed RLE: non-integer values in 'a b'"),
    case("RLE with decimals", lambda: rle_decode("1.5 3"), ValueError, "non-integer values"),
    case("RLE start 0", lambda: rle_decode("0 3"),
         ValueError, "starts must be >= 1 and lengths >= 1"),
    case("RLE length 0", lambda: rle_decode("1 0"), ValueError, "lengths >= 1"),
    case("RLE past the image", lambda: rle_decode("409590 100"),
         ValueError, "past the 409600 pixels of a 256x1600 image. Check the image shape"),
    case("RLE runs overlapping", lambda: rle_decode("5 3 1 6"),
         ValueError, "run 2 starts at pixel 1, before run 1 ends \\(pixel 7\\); runs must be in "
                     "pixel order"),
    case("RLE of a 3-D mask", lambda: rle_encode(np.zeros((2, 3, 4))),
         ValueError, "mask must be one 2-D \\(height, width\\) array; got shape \\(2, 3, 4\\)"),
]


def _class_folders(*names, suffix=".png"):
    import tempfile
    from pathlib import Path

    from PIL import Image

    root = Path(tempfile.mkdtemp(prefix="skmoe-folders-"))
    for name in names:
        (root / name).mkdir()
        Image.new("L", (8, 8)).save(root / name / f"0{suffix}")
    return root


def test_image_folder_names_the_files_it_leaves_out():
    root = _class_folders("ok", "scratch")
    from PIL import Image

    Image.new("L", (8, 8)).save(root / "ok" / "1.gif")
    Image.new("L", (8, 8)).save(root / "scratch" / "1.webp")
    with pytest.warns(UserWarning, match=r"Left out 2 files .*: 1 \.gif, 1 \.webp\. Convert"):
        bunch = load_image_folder(root)
    assert len(bunch.images) == 2


def _empty_folder():
    import tempfile

    return tempfile.mkdtemp(prefix="skmoe-empty-")


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)


def _real_cases(root):
    neu, mt, severstal = root / "neu-det", root / "magnetic-tile", root / "severstal-sample"
    return [
        case("split file missing", lambda: load_neu(neu, split_file="nope.csv"),
             FileNotFoundError, "split_file='nope.csv': no such file .* or split_file=None"),
        case("split file absolute missing",
             lambda: load_magnetic_tile(mt, split_file="/no/such/split.csv"),
             FileNotFoundError, "split_file='/no/such/split.csv': no such file"),
        case("unknown subset", lambda: load_neu(neu, split_file="split.csv", subset="training"),
             ValueError, "subset='training' is not a split of split.csv; use one of "
                         "\\['test', 'train', 'val'\\]"),
        case("subset without split file", lambda: load_neu(neu, subset="train"),
             ValueError, "subset needs split_file.*split_file='split.csv'"),
        case("NEU loader on Magnetic-tile", lambda: load_neu(mt),
             ValueError, "are not NEU classes. Expected NEU-DET"),
        case("Magnetic-tile loader on NEU", lambda: load_magnetic_tile(neu),
             ValueError, "No MT_Free/Imgs folder in .*neu-det. Expected MT_<Class>"),
        case("Severstal annotations missing",
             lambda: load_severstal(severstal, annotations="nope.csv"),
             FileNotFoundError, "lacks nope.csv. Expected the Kaggle layout"),
    ]


def test_bad_input_on_real_folders(data_root):
    for param in _real_cases(data_root):
        call, error, message = param.values
        check_case(call, error, message)


def test_a_split_that_cannot_hold_a_class_everywhere_warns():
    from skmoe.model_selection import train_val_test_split

    y = np.array(["ok"] * 19 + ["rare"])
    with pytest.warns(UserWarning, match=r"too small to reach train, validation and test: "
                                         r"'rare' \(1 images: 1/0/0\)"):
        train, val, test = train_val_test_split(y, stratify=y, random_state=0)
    assert (len(train), len(val), len(test)) == (16, 2, 2)
