"""The gallery: six examples or more, each a sphinx-gallery script. `make docs` runs them all
(an example that fails fails the build); `make test` builds the docs after the suite."""

import ast
from pathlib import Path

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "docs" / "examples").glob("plot_*.py"))


def test_there_are_six_examples_or_more():
    assert len(EXAMPLES) >= 6


def test_every_example_has_a_gallery_title():
    for example in EXAMPLES:
        docstring = ast.get_docstring(ast.parse(example.read_text()))
        title, underline = docstring.strip().splitlines()[:2]
        assert set(underline) == {"="} and len(underline) >= len(title), example.name
