"""Lazy imports of the heavy optional back-ends (torch, timm, ultralytics)."""

import importlib

# Which ``pip install 'skmoe[extra]'`` brings each optional module.
_EXTRA_OF = {
    "torch": "torch",
    "torchvision": "torch",
    "timm": "torch",
    "skorch": "torch",
    "PIL": "torch",
    "torchmetrics": "torch",
    "pycocotools": "torch",
    "ultralytics": "yolo",
    "dask": "dask",
    "distributed": "dask",
    "matplotlib": "docs",
}


def import_optional(module_name, *, needed_by):
    """Import an optional dependency, or raise an ImportError naming the extra to install.

    Parameters
    ----------
    module_name : str
        The module to import, e.g. ``"torch"``.
    needed_by : str
        What needs it, used in the error message, e.g. ``"ImageClassifier"``.

    Returns
    -------
    module
        The imported module.

    Examples
    --------
    >>> from skmoe.utils import import_optional
    >>> import_optional("numpy", needed_by="this example").__name__
    'numpy'
    >>> import_optional("no_such_package", needed_by="MyExpert")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ImportError: MyExpert needs 'no_such_package', which is not installed: pip install ...
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        top = module_name.split(".")[0]
        extra = _EXTRA_OF.get(top)
        hint = f"pip install 'skmoe[{extra}]'" if extra else f"pip install {top}"
        raise ImportError(f"{needed_by} needs {top!r}, which is not installed: {hint}") from exc
