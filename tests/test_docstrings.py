"""The Examples sections of the public docstrings run and print what they show (doctest)."""

import doctest
import importlib
import importlib.util

import pytest

MODULES = ["skmoe", "skmoe.pipeline", "skmoe.ensemble", "skmoe.experts", "skmoe.datasets",
           "skmoe.metrics", "skmoe.model_selection", "skmoe.utils"]


def _public_objects():
    seen = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and id(obj) not in seen:
                seen[id(obj)] = (f"{module_name}.{name}", obj)
    return sorted(seen.values())


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name, obj in _public_objects():
        for test in finder.find(obj, name, globs={}):
            if test.examples:
                yield pytest.param(test, id=test.name)


@pytest.fixture(scope="module", autouse=True)
def _ultralytics_settings_written():
    """ultralytics announces the settings file it writes on its first import in a new config
    folder (the suite's is new): let that happen before the examples' output is compared."""
    if importlib.util.find_spec("ultralytics") is not None:
        from skmoe.experts.detection._ultralytics import import_ultralytics

        import_ultralytics(needed_by="the docstring examples")


@pytest.mark.parametrize("test", list(_doctests()))
def test_docstring_example(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{test.name}: {runner.failures} failing example(s)"
