import numpy as np
import pytest

from skmoe.datasets import image_statistics, make_steel_defects


def test_statistics_separate_defects_from_clean_steel():
    """Defective images differ from defect-free ones in their statistics; uint8 is scaled."""
    X, y = make_steel_defects(200, image_size=32, random_state=0)
    features = image_statistics(X)
    assert features.shape == (200, 11) and features.dtype == np.float32
    np.testing.assert_allclose(image_statistics(X / 255.0), features, atol=1e-5)
    clean = y == "background"
    assert abs(features[clean, 1].mean() - features[~clean, 1].mean()) > 0.005


def test_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"shape \(n_images, height, width\)"):
        image_statistics(np.zeros((4, 8, 8, 3)))
