"""Fuzzing masks through SegmentationExpert's mask checks: valid masks pass, the rest is refused.

Shapes, dtypes, value sets and channel orders at random, checked as ``fit`` checks them (the
network is never built).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ._contract import works_or_refuses

pytest.importorskip("torch")
from skmoe.experts import SegmentationExpert  # noqa: E402
from skmoe.experts._segmentation import check_masks  # noqa: E402

N_CLASSES, SIZES = 3, np.array([[6, 8], [6, 8]])
DTYPES = st.sampled_from([np.bool_, np.uint8, np.int64, np.float32, np.float64])
ELEMENTS = st.sampled_from([0.0, 1.0, 0.0, 1.0, 2.0, 0.5, 255.0])
SHAPES = st.sampled_from([(3, 6, 8), (3, 6, 8), (3, 8, 6), (2, 6, 8), (6, 8), (1, 3, 6, 8)])
MASKS = st.one_of(
    st.tuples(arrays(np.float64, SHAPES, elements=ELEMENTS), DTYPES).map(
        lambda drawn: drawn[0].astype(drawn[1])),
    st.sampled_from([None, "mask", [], [[0, 1], [1]]]))


@settings(max_examples=300, deadline=2000)
@given(masks=st.one_of(st.lists(MASKS, min_size=2, max_size=2), st.lists(MASKS, max_size=3)),
       labels=st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=2),
       order=st.permutations([0, 1, 2]))
def test_any_masks_pass_or_are_refused(masks, labels, order):
    masks = [m[list(order)] if isinstance(m, np.ndarray) and m.shape[:1] == (3,) else m
             for m in masks]
    checked = works_or_refuses(lambda: check_masks(masks, SIZES, N_CLASSES))
    if checked is None:
        return
    assert all(m.dtype == bool and m.shape == (N_CLASSES, 6, 8) for m in checked)
    # What fit checks next, against the labels: it works, warns or refuses by name.
    expert = SegmentationExpert(background_class=None)
    expert.classes_ = np.array(["a", "b", "c"])
    indicator = (np.array(labels)[:, None] == expert.classes_).astype(np.int8)
    works_or_refuses(lambda: expert._check_masks_against_labels(checked, indicator,
                                                                np.arange(N_CLASSES)))
