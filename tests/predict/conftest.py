"""A vote of two cheap experts and images written as files, shared by the predict tests."""

import pytest
from PIL import Image
from sklearn.frozen import FrozenEstimator

from skmoe import MultiExpertVotingClassifier
from skmoe.datasets import make_steel_defects
from skmoe.experts import TextureExpert


@pytest.fixture(scope="session")
def steel_files(tmp_path_factory):
    """60 synthetic steel images as PNG files, their labels."""
    X, y = make_steel_defects(60, image_size=32, random_state=0)
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for i, image in enumerate(X):
        path = folder / f"image-{i:03d}.png"
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
        paths.append(str(path))
    return paths, y


@pytest.fixture(scope="session")
def vote(steel_files):
    paths, y = steel_files
    experts = [(name, FrozenEstimator(TextureExpert(bins=bins).fit(paths, y)))
               for name, bins in (("coarse", 8), ("fine", 32))]
    return MultiExpertVotingClassifier(experts).fit(paths, y)
