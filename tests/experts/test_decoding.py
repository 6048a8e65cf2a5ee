"""Reading image files: JPEG through TorchCodec gives PIL's pixels (and PIL reads everything
without it); damaged files are refused by name."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from PIL import Image  # noqa: E402

from skmoe.experts import _decoding  # noqa: E402
from skmoe.experts._decoding import read_image  # noqa: E402

from .._packages import skip_without  # noqa: E402


@pytest.fixture(params=["torchcodec", "PIL"])
def jpeg_decoder(request, monkeypatch):
    """Every test below runs with TorchCodec decoding JPEG files, and with PIL alone (as where
    TorchCodec is not installed); the TorchCodec run fails if TorchCodec is not used."""
    if request.param == "PIL":
        monkeypatch.setattr(_decoding, "_jpeg_decoder", lambda: None)
        yield request.param
        return
    skip_without("torchcodec")
    decode_jpeg, calls = _decoding._jpeg_decoder(), []
    assert decode_jpeg is not None, "torchcodec is installed but does not load"

    def counted(*args, **kwargs):
        calls.append(args)
        return decode_jpeg(*args, **kwargs)

    monkeypatch.setattr(_decoding, "_jpeg_decoder", lambda: counted)
    yield request.param
    assert calls, "TorchCodec was not used"


def pil_pixels(path, shape, n_channels):
    """What skmoe read before JPEG files went through torchvision: PIL's decoding and
    bilinear resize, as (C, H, W)."""
    with Image.open(path) as image:
        image = image.convert("L" if n_channels == 1 else "RGB")
        if shape is not None:
            image = image.resize(shape[::-1], Image.BILINEAR)
        array = np.asarray(image)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def steel_like(tmp_path, colour, suffix=".jpg"):
    """A smooth textured image (as steel surfaces are), saved as JPEG or another format."""
    rows, cols = np.mgrid[0:60, 0:90]
    gray = (128 + 60 * np.sin(rows / 5) * np.cos(cols / 7)).astype(np.uint8)
    array = np.stack([gray, gray // 2 + 40, 255 - gray], axis=-1) if colour else gray
    path = str(tmp_path / f"image{suffix}")
    Image.fromarray(array).save(path, **({"quality": 90} if suffix == ".jpg" else {}))
    return path


@pytest.mark.parametrize("colour, n_channels", [(False, 1), (False, 3), (True, 3)])
def test_jpeg_at_its_own_size_has_pils_pixels(jpeg_decoder, tmp_path, colour, n_channels):
    path = steel_like(tmp_path, colour)
    image = read_image(path, None, n_channels)
    assert image.dtype == torch.uint8 and image.shape == (n_channels, 60, 90)
    np.testing.assert_array_equal(image.numpy(), pil_pixels(path, None, n_channels))


@pytest.mark.parametrize("shape", [(30, 45), (64, 64), (100, 150)])
@pytest.mark.parametrize("n_channels", [1, 3])
def test_resized_jpeg_within_one_level_of_pil(jpeg_decoder, tmp_path, shape, n_channels):
    path = steel_like(tmp_path, colour=n_channels == 3)
    image = read_image(path, shape, n_channels)
    assert image.shape == (n_channels, *shape)
    difference = np.abs(image.numpy().astype(int) - pil_pixels(path, shape, n_channels))
    assert difference.max() <= 1


def test_colour_jpeg_as_grayscale_is_its_luma(jpeg_decoder, tmp_path):
    """TorchCodec gives the stored luma channel, PIL recomputes luma from the decoded RGB: a
    few levels apart."""
    path = steel_like(tmp_path, colour=True)
    difference = np.abs(read_image(path, None, 1).numpy().astype(int)
                        - pil_pixels(path, None, 1))
    assert difference.max() <= 3


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_other_formats_read_by_pil(tmp_path, suffix):
    path = steel_like(tmp_path, colour=True, suffix=suffix)
    for shape, n_channels in [(None, 3), ((32, 48), 1)]:
        np.testing.assert_array_equal(read_image(path, shape, n_channels).numpy(),
                                      pil_pixels(path, shape, n_channels))


def test_real_files_at_their_own_size_have_pils_pixels(jpeg_decoder, data_root):
    """NEU-DET (grayscale JPEG) and Severstal (colour-coded JPEG of gray steel) files."""
    neu = sorted((data_root / "neu-det").rglob("*.jpg"))[:20]
    severstal = sorted((data_root / "severstal-sample").rglob("*.jpg"))[:5]
    assert neu and severstal
    for path, n_channels in [(p, 1) for p in neu] + [(p, 3) for p in severstal]:
        np.testing.assert_array_equal(read_image(path, None, n_channels).numpy(),
                                      pil_pixels(path, None, n_channels))


@pytest.mark.parametrize("damage", ["truncated", "garbage after the marker"])
def test_damaged_jpeg_is_refused_by_name(jpeg_decoder, tmp_path, damage):
    good = open(steel_like(tmp_path, colour=False), "rb").read()
    data = good[: len(good) // 2] if damage == "truncated" else good[:3] + b"x" * 50
    path = tmp_path / "damaged.jpg"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="damaged.jpg' is not an image that can be read"):
        read_image(str(path), (32, 32), 1)


def test_empty_file_is_refused_by_name(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.jpg' is not an image that can be read"):
        read_image(str(path), None, 3)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_files_keep_their_top_eight_bits(tmp_path, suffix):
    """Not clipped to white, as PIL's own conversion does."""
    pixels = (np.arange(60 * 90).reshape(60, 90) * 12).astype(np.uint16)
    path = str(tmp_path / f"deep{suffix}")
    Image.fromarray(pixels).save(path)
    expected = (pixels >> 8).astype(np.uint8)
    np.testing.assert_array_equal(read_image(path, None, 1).numpy()[0], expected)
    np.testing.assert_array_equal(read_image(path, None, 3).numpy(), np.stack([expected] * 3))
    resized = read_image(path, (30, 45), 1).numpy()[0]
    np.testing.assert_array_equal(resized, np.asarray(Image.fromarray(expected).resize(
        (45, 30), Image.BILINEAR)))


def test_float_file_in_unit_range_is_scaled_as_float_arrays_are(tmp_path):
    pixels = np.linspace(0, 1, 60 * 90, dtype=np.float32).reshape(60, 90)
    path = str(tmp_path / "float.tif")
    Image.fromarray(pixels).save(path)
    np.testing.assert_array_equal(read_image(path, None, 1).numpy()[0],
                                  np.round(pixels * 255).astype(np.uint8))


@pytest.mark.parametrize("pixels, message", [
    (np.full((8, 8), 2.5, dtype=np.float32), "float pixels from 2.5 to 2.5"),
    (np.full((8, 8), 70000, dtype=np.int32), "integer pixels from 70000 to 70000"),
])
def test_pixels_out_of_range_are_refused(tmp_path, pixels, message):
    path = str(tmp_path / "odd.tif")
    Image.fromarray(pixels).save(path)
    with pytest.raises(ValueError, match=f"odd.tif' holds {message}; skmoe reads 8- and 16-bit"):
        read_image(path, None, 1)
