"""Bad input to the image experts: each fails before any training, naming what to change."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("skorch")

from skmoe.datasets import make_steel_defects  # noqa: E402
from skmoe.experts import (  # noqa: E402
    ImageClassifier,
    SegmentationExpert,
    TorchvisionDetector,
    YOLODetector,
)
from skmoe.utils._global_state import global_state_kept  # noqa: E402

from .._packages import skip_without
from ._table import case, check_case  # noqa: E402

X, y, BOXES, MASKS = make_steel_defects(20, image_size=32, class_weights=[1] * 5,
                                        return_boxes=True, return_masks=True, random_state=0)


def cnn(**params):
    return ImageClassifier(**{"backbone": "resnet10t", "image_size": 32, "max_epochs": 1,
                              **params})


def segmenter(**params):
    return SegmentationExpert(**{"backbone": "resnet10t", "image_size": 32, "max_epochs": 1,
                                 **params})


def masks_marking_background():
    masks = MASKS.copy()
    masks[0, 0, :2, :2] = True
    return masks


def _pil_images(*sizes):
    from PIL import Image

    return [Image.new("L", size) for size in sizes]


def boxes_of(*box):
    return [np.array([box], dtype=float)] * len(X)


CASES = [
    case("unknown backbone", lambda: cnn(backbone="resnet_nope").fit(X, y),
         ValueError, "Unknown timm backbone 'resnet_nope'. Close matches"),
    case("image_size too small", lambda: cnn(image_size=4).fit(X, y),
         ValueError, "'image_size' parameter .* range \\[8, inf\\)"),
    case("image_size a bad pair", lambda: cnn(image_size=(32, 4)).fit(X, y),
         ValueError, "image_size=\\(32, 4\\): give one side or a \\(height, width\\) pair"),
    case("lr 0", lambda: cnn(lr=0).fit(X, y), ValueError, "'lr' parameter"),
    case("class_weight word", lambda: cnn(class_weight="auto").fit(X, y),
         ValueError, "'class_weight' parameter .* \\{'balanced'\\} or None"),
    case("validation_fraction 1", lambda: cnn(validation_fraction=1.0).fit(X, y),
         ValueError, "'validation_fraction' parameter .* range \\[0.0, 1.0\\)"),
    case("validation part empty", lambda: cnn().fit(X[:8], y[:8]),
         ValueError, "validation_fraction=0.1 leaves .* change validation_fraction"),
    case("device not a device", lambda: cnn(device="tpu").fit(X, y),
         ValueError, "device='tpu' is not a torch device; use 'auto', 'cpu', 'cuda'"),
    case("pretrained and a checkpoint",
         lambda: cnn(pretrained=True, checkpoint_path="w.pth", validation_fraction=0).fit(X, y),
         ValueError, "Give pretrained=True or checkpoint_path, not both"),
    case("missing checkpoint",
         lambda: cnn(checkpoint_path="/no/such/w.pth", validation_fraction=0).fit(X, y),
         FileNotFoundError, "checkpoint_path='/no/such/w.pth' is not a file"),
    case("flat features instead of images", lambda: cnn().fit(X.reshape(20, -1), y),
         ValueError, "X must be images of shape \\(n, H, W\\) or \\(n, H, W, C\\)"),
    case("five channels", lambda: cnn().fit(np.zeros((20, 32, 32, 5), np.uint8), y),
         ValueError, "C in 1, 3, 4"),
    case("float pixels of 0-255", lambda: cnn().fit(X * 1.0, y),
         ValueError, "float pixels from \\d+ to 2\\d\\d; float images must lie in \\[0, 1\\]. "
                     "Divide 0-255 images by 255"),
    case("NaN pixels", lambda: cnn().fit(np.full((20, 32, 32), np.nan), y),
         ValueError, "X contains NaN or infinite pixel values"),
    case("text pixels", lambda: cnn().fit(np.full((20, 32, 32), "a"), y),
         ValueError, "X has dtype <U1; give images as uint8"),
    case("missing image files", lambda: cnn().fit(["/no/such.png"] * 20, y),
         FileNotFoundError, "20 image paths in X do not exist, e.g. '/no/such.png'"),
    case("one path for X", lambda: cnn().fit("img.png", ["a"]),
         TypeError, "X is a single path \\('img.png'\\); pass a list of image paths"),
    case("images of two sizes", lambda: cnn().fit([X[0], X[1, :16]], y[:2]),
         ValueError, "X holds images of 2 different shapes, e.g. \\(32, 32\\) and \\(16, 32\\)"),
    case("images of two channel counts",
         lambda: cnn().fit([X[0], np.stack([X[1]] * 3, axis=-1)], y[:2]),
         ValueError, "2 different shapes, e.g. \\(32, 32\\) and \\(32, 32, 3\\): give images"),
    case("PIL images of two sizes", lambda: cnn().fit(_pil_images((32, 32), (16, 16)), y[:2]),
         ValueError, "X holds images of 2 different shapes.* or their file paths"),
    case("one class", lambda: cnn().fit(X, np.zeros(20)),
         ValueError, "y has 1 class \\(0.0\\); ImageClassifier needs two or more"),
    case("X and y lengths", lambda: cnn().fit(X, y[:5]),
         ValueError, "X and y have different lengths: 20 samples but 5 labels"),
    case("no images", lambda: cnn().fit(X[:0], y[:0]), ValueError, "X is empty"),
    case("predict before fit", lambda: cnn().predict(X), NotFittedError, "not fitted yet"),
    case("YOLO checkpoint missing",
         lambda: YOLODetector(model="/no/such.pt", image_size=32).fit(X, y, boxes=BOXES),
         FileNotFoundError, "model='/no/such.pt' is neither a model YAML .* pass its path"),
    case("YOLO without boxes", lambda: YOLODetector(image_size=32).fit(X, y),
         ValueError, "needs boxes: fit\\(X, y, boxes=...\\).*set_fit_request\\(boxes=True\\)"),
    case("boxes for other images", lambda: YOLODetector(image_size=32).fit(X, y, boxes=BOXES[:3]),
         ValueError, "boxes has 3 entries but X has 20 images"),
    case("box outside the image",
         lambda: YOLODetector(image_size=32).fit(X, y, boxes=boxes_of(1, 0, 0, 99, 99)),
         ValueError, "does not fit the image \\(32 x 32 pixels\\)"),
    case("box of an unknown class",
         lambda: YOLODetector(image_size=32).fit(X, y, boxes=boxes_of(9, 0, 0, 5, 5)),
         ValueError, "has class index 9; class indices must be integers in 0 .. 4"),
    case("box of four numbers",
         lambda: YOLODetector(image_size=32).fit(X, y, boxes=[np.zeros((1, 4))] * 20),
         ValueError, "boxes\\[0\\] has shape \\(1, 4\\); each image needs an \\(m, 5\\) array"),
    case("box with NaN",
         lambda: YOLODetector(image_size=32).fit(X, y, boxes=boxes_of(1, 0, np.nan, 5, 5)),
         ValueError, "boxes\\[0\\] contains NaN"),
    case("boxes of the defect-free class",
         lambda: YOLODetector(image_size=32, background_class="background").fit(
             X, y, boxes=boxes_of(0, 0, 0, 5, 5)),
         ValueError, "Boxes of the defect-free class 'background'"),
    case("train_kwargs that clash",
         lambda: YOLODetector(image_size=32, train_kwargs={"epochs": 3}).fit(X, y, boxes=BOXES),
         ValueError, "train_kwargs sets \\['epochs'\\].*set those parameters instead"),
    case("min_score 1.5", lambda: YOLODetector(min_score=1.5).fit(X, y, boxes=BOXES),
         ValueError, "'min_score' parameter .* range \\[0.0, 1.0\\)"),
    case("unknown background class",
         lambda: YOLODetector(background_class="clean").fit(X, y, boxes=BOXES),
         ValueError, "background_class='clean' is not a class of y .* set background_class"),
    case("unknown torchvision architecture",
         lambda: TorchvisionDetector("nope_rcnn").fit(X, y, boxes=BOXES),
         ValueError, "architecture='nope_rcnn' is not a supported torchvision detector"),
    case("boxes as one 2-D array",
         lambda: TorchvisionDetector().fit(X, y, boxes=np.zeros((20, 5))),
         ValueError, "boxes is one 2-D array; give one \\(m_i, 5\\) array per image"),
    case("box with x1 = x2",
         lambda: TorchvisionDetector().fit(X, y, boxes=boxes_of(1, 5, 0, 5, 5)),
         ValueError, "0 <= x1 < x2 <= width"),
    case("segmenter without masks", lambda: segmenter().fit(X, y),
         ValueError, "SegmentationExpert learns from masks: pass fit\\(X, y, masks=...\\)"),
    case("masks for other images", lambda: segmenter().fit(X, y, masks=MASKS[:5]),
         ValueError, "masks has 5 entries but X has 20 images"),
    case("masks without the class channels", lambda: segmenter().fit(X, y, masks=MASKS[:, 1]),
         ValueError, "masks\\[0\\] has shape \\(32, 32\\); expected \\(5, 32, 32\\)"),
    case("masks of 0-255", lambda: segmenter().fit(X, y, masks=MASKS * 255),
         ValueError, "masks\\[0\\] holds values other than 0 and 1"),
    case("masks marking the defect-free class",
         lambda: segmenter(background_class="background").fit(X, y,
                                                               masks=masks_marking_background()),
         ValueError, "Masks mark pixels of the defect-free class 'background'"),
    case("masks all empty", lambda: segmenter().fit(X, y, masks=np.zeros_like(MASKS)),
         ValueError, "None of the 20 masks marks a defect pixel: the segmenter learns from"),
    case("segmenter pixel_score 1", lambda: segmenter(pixel_score=1.0).fit(X, y, masks=MASKS),
         ValueError, "'pixel_score' parameter"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)


def test_unreadable_file_after_ultralytics_is_imported(tmp_path):
    """ultralytics replaces PIL.Image.open with one that imports pi_heif for unknown files;
    a file that is no image is still refused with skmoe's message."""
    skip_without("ultralytics")
    from PIL import Image

    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    # What the user's process holds once it imported ultralytics (put back afterwards, so
    # that the tests after this one see the process as it was).
    with global_state_kept():
        from ultralytics.utils.patches import image_open

        Image.open = image_open
        with pytest.raises(ValueError, match="notes.png' is not an image that can be read"):
            cnn().fit([str(path)] * 20, y)


def test_masks_in_another_class_order_are_named():
    """Channels rolled by one: most marked channels are classes the image's label lacks."""
    with pytest.warns(UserWarning, match=r"of the marked mask channels are classes their "
                                         r"image's label does not have. Mask channels must"):
        segmenter(max_epochs=1).fit(X, y, masks=np.roll(MASKS, 1, axis=1))
