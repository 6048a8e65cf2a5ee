"""Fuzzing box_average_precision: any truth and detections score in [0, 1] or are refused."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmoe.metrics import box_average_precision

from ._contract import works_or_refuses

pytest.importorskip("torchmetrics")

VALUES = st.one_of(st.floats(-3, 30), st.integers(-1, 4),
                   st.sampled_from([np.nan, np.inf, 0.5, 0.6, 7.5]))


def boxes(width):
    return st.one_of(arrays(np.float64, st.tuples(st.integers(0, 3), st.just(width)),
                            elements=VALUES),
                     arrays(np.float64, st.tuples(st.integers(0, 2), st.integers(3, 7)),
                            elements=VALUES),
                     st.sampled_from([[], [[0, 1, 2]], [[0, 1, 2, 3, 4], [1, 2]], "box"]))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n_images=st.integers(1, 3))
def test_any_boxes_score_or_are_refused(data, n_images):
    truth = data.draw(st.lists(boxes(5), min_size=n_images, max_size=n_images))
    found = data.draw(st.lists(boxes(6), min_size=n_images, max_size=n_images + 1))
    result = works_or_refuses(lambda: box_average_precision(truth, found))
    if result is None:
        return
    scored = result.per_class[~np.isnan(result.per_class)]
    assert ((0 <= scored) & (scored <= 1)).all()
