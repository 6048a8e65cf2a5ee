import subprocess
import sys


def test_import_is_light():
    """`import skmoe` and its sub-packages do not load torch, timm or ultralytics."""
    code = (
        "import sys, skmoe, skmoe.metrics, skmoe.datasets, skmoe.model_selection, skmoe.pipeline,"
        " skmoe.ensemble,"
        " skmoe.experts, skmoe.experiment, skmoe.cli;"
        "print(','.join(m for m in ('torch', 'timm', 'ultralytics') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names():
    """The names the issues promise are importable from where they are documented."""
    import skmoe
    from skmoe.datasets import make_steel_defects  # noqa: F401
    from skmoe.metrics import defect_report  # noqa: F401
    from skmoe.model_selection import train_val_test_split  # noqa: F401

    assert "TwoStagePipeline" in skmoe.__all__


def test_show_versions_names_cpu_threads_and_packages(capsys, monkeypatch):
    """show_versions prints the CPU line, the thread settings and each package's version."""
    import skmoe

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    skmoe.show_versions()
    out = capsys.readouterr().out
    assert "OMP_NUM_THREADS: 3" in out
    for label in ("cpu:", "cpu flags:", "scikit-learn:", "torch:", "skmoe:"):
        assert label in out
