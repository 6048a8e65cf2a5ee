"""Fuzzing run-length strings: any text decodes to a mask of the asked shape or is refused."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from skmoe.datasets import rle_decode, rle_encode

from ._contract import works_or_refuses

# Digits and spaces mostly, with the characters malformed files hold.
TEXT = st.text(alphabet="0123456789   -.\t\nxe+", max_size=40)
SHAPES = st.tuples(st.integers(1, 20), st.integers(1, 20))


@settings(max_examples=500, deadline=1000)
@given(text=TEXT, shape=SHAPES)
def test_any_text_decodes_or_is_refused(text, shape):
    mask = works_or_refuses(lambda: rle_decode(text, shape=shape))
    if mask is not None:
        assert mask.shape == shape and mask.dtype == bool
        # What decodes encodes back to canonical runs covering the same pixels.
        np.testing.assert_array_equal(rle_decode(rle_encode(mask), shape=shape), mask)


@settings(max_examples=300, deadline=1000)
@given(runs=st.lists(st.tuples(st.integers(-3, 500), st.integers(-3, 50)), max_size=8),
       shape=SHAPES)
def test_any_runs_decode_or_are_refused(runs, shape):
    """Runs out of the image, empty, negative, overlapping or out of order: refused (an
    encoder writes runs in pixel order, apart); the rest decoded."""
    text = " ".join(f"{start} {length}" for start, length in runs)
    mask = works_or_refuses(lambda: rle_decode(text, shape=shape))
    in_image = all(start >= 1 and length >= 1 and start - 1 + length <= shape[0] * shape[1]
                   for start, length in runs)
    in_order = all(later[0] - 1 >= start - 1 + length
                   for (start, length), later in zip(runs, runs[1:]))
    valid = in_image and in_order
    assert (mask is not None) == valid
    if valid:
        expected = np.zeros(shape[0] * shape[1], dtype=bool)
        for start, length in runs:
            expected[start - 1: start - 1 + length] = True
        np.testing.assert_array_equal(mask.T.ravel(), expected)
