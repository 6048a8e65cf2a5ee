"""Fuzzing box arrays through the detectors' box checks: valid boxes pass, the rest is refused."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmoe.experts.detection._boxes import check_boxes

from ._contract import works_or_refuses

N_CLASSES = 3
SIZES = np.array([[20, 30], [10, 10]])
VALUES = st.one_of(st.floats(-5, 40), st.sampled_from([np.nan, np.inf, -np.inf, 0.5, 2.0]))
BOX_ARRAYS = arrays(np.float64, st.tuples(st.integers(0, 3), st.integers(3, 6)), elements=VALUES)
ODD = st.one_of(st.none(), st.just([]), st.just("boxes"), st.just([[1, 2], [1, 2, 3]]),
                st.lists(st.integers(-2, 12), max_size=6))


@settings(max_examples=400, deadline=1000)
@given(boxes=st.lists(st.one_of(BOX_ARRAYS, ODD), min_size=0, max_size=3))
def test_any_boxes_pass_or_are_refused(boxes):
    checked = works_or_refuses(lambda: check_boxes(boxes, SIZES, N_CLASSES))
    if checked is None:
        return
    assert len(checked) == len(SIZES)
    for array, (height, width) in zip(checked, SIZES):
        assert array.shape[1] == 5 and np.isfinite(array).all()
        classes, x1, y1, x2, y2 = array.T
        assert ((classes == np.round(classes)) & (classes >= 0) & (classes < N_CLASSES)).all()
        assert ((0 <= x1) & (x1 < x2) & (x2 <= width) & (0 <= y1) & (y1 < y2)
                & (y2 <= height)).all()
