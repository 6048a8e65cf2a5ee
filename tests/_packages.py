"""Skipping a test when an optional package is missing, without importing that package."""

import importlib.util

import pytest


def skip_without(package):
    """Skip the calling test unless ``package`` is installed.

    Unlike ``pytest.importorskip`` it does not import the package: importing ultralytics
    changes numpy's and torch's print options for the whole test process, which skmoe undoes
    when it imports ultralytics itself, but a bare import in a test would leave in place.
    """
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
