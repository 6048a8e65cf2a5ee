"""The report's pieces: mean (sd) cells and the two renderings of the same blocks."""

import numpy as np
import pytest

from skmoe.experiment._report import mean_sd, to_html, to_markdown


def test_mean_sd():
    assert mean_sd([0.5]) == "0.5000"
    assert mean_sd([0.5, 0.7], digits=2) == "0.60 (0.14)"  # the sample standard deviation


@pytest.fixture
def blocks(tmp_path):
    from PIL import Image

    figure = tmp_path / "figures" / "a.png"
    figure.parent.mkdir()
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(figure)
    return [("h1", "Run <1>"), ("p", "Some & text"),
            ("table", ["model", "macro F1"], [["lite0", "0.9500"], ["Voting", "0.9600"]]),
            ("figure", figure, "a figure")]


def test_markdown_and_html_show_the_same_blocks(blocks, tmp_path):
    markdown = to_markdown(blocks, tmp_path)
    assert markdown.splitlines()[:3] == ["# Run <1>", "", "Some & text"]
    assert "| model | macro F1 |\n|---|---|\n| lite0 | 0.9500 |" in markdown
    assert "![a figure](figures/a.png)" in markdown
    page = to_html(blocks, "title")
    assert "<h1>Run &lt;1&gt;</h1>" in page and "Some &amp; text" in page
    assert "<td>Voting</td><td>0.9600</td>" in page
    assert 'src="data:image/png;base64,' in page  # embedded: one file to send
