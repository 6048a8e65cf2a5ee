"""The built documentation site, as a headless browser shows it.

``make docs`` runs this module after building (SKMOE_DOCS_SITE names the built site) and
keeps a screenshot of each page in ``docs/_build/screenshots/``; the plain test run skips it,
since the site is built after the tests.
"""

import os
from pathlib import Path

import pytest

from ._browser import open_page

SITE = os.environ.get("SKMOE_DOCS_SITE")
pytestmark = pytest.mark.skipif(
    not SITE, reason="checks a built site: make docs runs it (SKMOE_DOCS_SITE=docs/_build/html)")


@pytest.fixture(scope="module")
def site():
    root = Path(SITE)
    if not (root / "index.html").is_file():
        pytest.fail(f"SKMOE_DOCS_SITE={SITE!r} holds no built site (index.html): run make docs")
    (root.parent / "screenshots").mkdir(exist_ok=True)
    return root


def shown(browser, site, page):
    """What the browser shows of one page of the site; its screenshot is kept beside it."""
    name = Path(page).stem
    state = open_page(browser, site / page, screenshot=site.parent / "screenshots" / f"{name}.png")
    broken = [image["src"] for image in state["images"] if not image["width"]]
    assert not broken, f"{page}: images that did not load: {broken}"
    return state


def test_index_links_the_guide_the_api_and_the_gallery(browser, site):
    page = shown(browser, site, "index.html")
    assert page["title"].startswith("skmoe")
    for part in ("User guide", "API reference", "Examples"):
        assert part in page["text"]


def test_api_page_of_the_vote(browser, site):
    page = shown(browser, site, "generated/skmoe.MultiExpertVotingClassifier.html")
    assert "MultiExpertVotingClassifier" in page["headings"][0]
    for part in ("Parameters", "Attributes", "See also", "Examples", "predict_proba",
                 "TwoStagePipeline"):
        assert part in page["text"], part


def test_gallery_page_shows_its_output_and_plot(browser, site):
    page = shown(browser, site, "auto_examples/plot_vote_on_synthetic_steel.html")
    plots = [image for image in page["images"] if "sphx_glr_plot_" in (image["src"] or "")]
    assert plots and all(image["width"] >= 300 for image in plots)
    assert "Total running time of the script" in page["text"]
