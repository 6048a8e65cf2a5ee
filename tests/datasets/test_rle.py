import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmoe.datasets import rle_decode, rle_encode


@settings(max_examples=100, deadline=None)
@given(mask=arrays(bool, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_encode_decode_round_trip(mask):
    """Decoding an encoding gives the mask back."""
    np.testing.assert_array_equal(rle_decode(rle_encode(mask), shape=mask.shape), mask)


@settings(max_examples=100, deadline=None)
@given(mask=arrays(bool, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_encoding_matches_its_definition(mask):
    """Runs are maximal, 1-indexed, column-major, and cover exactly the mask's pixels."""
    values = [int(v) for v in rle_encode(mask).split()]
    starts, lengths = values[0::2], values[1::2]
    flat = mask.T.ravel()
    assert sum(lengths) == flat.sum()
    for start, length in zip(starts, lengths):
        assert flat[start - 1: start - 1 + length].all()
        assert start == 1 or not flat[start - 2]  # maximal: the pixel before is outside
    assert all(a + la < b for a, la, b in zip(starts, lengths, starts[1:]))


def test_decode_is_column_major():
    """Pixel 2 is the second row of the first column, as in the Kaggle convention."""
    mask = rle_decode("2 1", shape=(3, 4))
    assert mask[1, 0] and mask.sum() == 1


def test_empty_encoding_is_an_empty_mask():
    """An empty string or a CSV reader's NaN decodes to an empty mask."""
    assert not rle_decode("", shape=(2, 2)).any()
    assert not rle_decode(float("nan"), shape=(2, 2)).any()
    assert rle_encode(np.zeros((2, 2))) == ""


@pytest.mark.parametrize(
    "rle, err_msg",
    [
        ("1 2 5", "even count"),
        ("1 2 10 5", "past the 12 pixels"),
        ("0 2", "starts must be >= 1"),
        ("1 x", "non-integer"),
    ],
)
def test_malformed_rle(rle, err_msg):
    """Malformed encodings raise a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=err_msg):
        rle_decode(rle, shape=(3, 4))
