"""The user guide's Python snippets run in order, as written, on the real datasets."""

import re
from pathlib import Path

import matplotlib
import pytest
import sklearn

from ._packages import skip_without

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide.md"


@pytest.mark.slow
def test_user_guide_snippets_run(data_root, tmp_path, monkeypatch):
    pytest.importorskip("skorch")
    skip_without("ultralytics")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(data_root, target_is_directory=True)
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) >= 8
    namespace = {}
    try:
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"{GUIDE.name}, snippet {number}", "exec"), namespace)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    assert namespace["search"].best_params_ and namespace["report"].macro.f1 >= 0
