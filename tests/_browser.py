"""A headless Chromium, for the tests that look at a page as a reader's browser shows it.

The tests that use it skip, saying why, on a machine without Chromium and ChromeDriver
(Debian: ``apt-get install chromium chromium-driver``) or without selenium (the dev extra).
"""

import shutil
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# What the page shows, read by the browser after it loaded: headings, tables, and each image
# with whether it decoded (naturalWidth is 0 for a broken image).
_PAGE_STATE = """
return {
  title: document.title,
  headings: [...document.querySelectorAll("h1, h2, h3")].map(h => h.textContent.trim()),
  tables: document.querySelectorAll("table").length,
  images: [...document.images].map(i => ({src: i.getAttribute("src"), complete: i.complete,
                                           width: i.naturalWidth})),
  text: document.body.innerText,
};
"""


def headless_chromium(width=1280, height=1600):
    """A selenium driver of the machine's Chromium, headless; skips the test without one."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the dev extra)")
    binary = next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("needs Chromium and ChromeDriver (Debian: apt-get install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    # An explicit ChromeDriver: selenium's own manager would try to download one.
    return webdriver.Chrome(options=options,
                            service=webdriver.ChromeService(executable_path=driver))


def open_page(browser, path, screenshot=None):
    """Load a local HTML file; return what the browser shows (see ``_PAGE_STATE``).

    With ``screenshot`` (a path), the whole page's height is captured there as PNG.
    """
    browser.get(Path(path).resolve().as_uri())
    state = browser.execute_script(_PAGE_STATE)
    if screenshot is not None:
        height = browser.execute_script("return document.body.scrollHeight")
        width = browser.get_window_size()["width"]
        browser.set_window_size(width, min(height, 8000))
        browser.save_screenshot(str(screenshot))
    return state
