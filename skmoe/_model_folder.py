"""Model folders: a fitted estimator saved so that loading it runs no code from the folder.

A model folder holds ``model.json`` (the format, the versions that wrote it, the sha256 of
each weight file, and the estimator as a tree: classes by name, their parameters and fitted
state), ``arrays.npz`` (every numpy array of the tree, read with ``allow_pickle=False``) and,
for torch experts, ``networks.safetensors`` (their networks' state dicts). Loading rebuilds
only classes and functions of trusted packages (skmoe, scikit-learn, numpy, scipy), as pickle
would but without its code execution: an unpickled file can run anything, a model folder can
only name what these packages define. A torch expert's network is rebuilt by the expert from
its parameters (``_network_architecture``, or the architecture the folder describes, as
ultralytics' model definitions) and given its saved weights. A folder written by another skmoe
version, with a missing or changed weight file, is refused.
"""

import copyreg
import hashlib
import importlib
import json
import math
import types
from collections import namedtuple
from pathlib import Path, PurePath

import numpy as np
from sklearn.utils import Bunch

FORMAT = "skmoe-model"
FORMAT_VERSION = 1
MODEL_FILE, ARRAYS_FILE, NETWORKS_FILE = "model.json", "arrays.npz", "networks.safetensors"
# Packages whose classes and functions a model folder may name.
TRUSTED = ("skmoe", "sklearn", "numpy", "scipy")
# The functions loading may call to rebuild an object (pickle's "reduce"), beside named
# tuples: constructors of compiled objects of scikit-learn and numpy (trees, losses, k-d
# trees, random generators). Any other callable of a trusted package (numpy.save, a dataset
# fetcher) could write files or reach the network: never called.
CONSTRUCTORS = frozenset({
    "sklearn.tree._tree:Tree",
    "sklearn._loss._loss:__pyx_unpickle_CyHalfMultinomialLoss",
    "sklearn.metrics._dist_metrics:newObj",
    "sklearn.neighbors._kd_tree:newObj",
    "sklearn.neighbors._ball_tree:newObj",
    "numpy.random._pickle:__randomstate_ctor",
    "numpy.random._pickle:__generator_ctor",
    "numpy.random._pickle:__bit_generator_ctor",
    "numpy.random.bit_generator:__pyx_unpickle_SeedSequence",
})
# What a torch expert gets back for each network it saved (``_restore_networks``): the
# state dict, the skorch history (or None) and the architecture's description (or None).
SavedNetwork = namedtuple("SavedNetwork", "weights history architecture")


def save_model(estimator, folder):
    """Save a fitted estimator as a model folder (created; an existing one is refused).

    Parameters
    ----------
    estimator : estimator
        Built from skmoe and scikit-learn parts: any expert, heads, pipelines, the vote,
        the two-stage pipeline.
    folder : str or Path

    Returns
    -------
    folder : Path

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path, PurePath
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmoe import load_model, save_model
    >>> X, y = np.arange(20.0)[:, None], np.arange(20) >= 10
    >>> model = LogisticRegression().fit(X, y)
    >>> folder = save_model(model, Path(tempfile.mkdtemp()) / "model")
    >>> bool((load_model(folder).predict_proba(X) == model.predict_proba(X)).all())
    True
    """
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{str(folder)!r} exists: save a model into a new folder.")
    writer = _Writer()
    tree = writer.encode(estimator)
    folder.mkdir(parents=True)
    np.savez(folder / ARRAYS_FILE, **writer.arrays)
    files = [ARRAYS_FILE]
    if writer.tensors:
        from safetensors.torch import save_file

        save_file(writer.tensors, folder / NETWORKS_FILE)
        files.append(NETWORKS_FILE)
    description = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "versions": _versions(),
        "files": {name: _sha256(folder / name) for name in files}, "model": tree,
    }
    (folder / MODEL_FILE).write_text(json.dumps(description, indent=1))
    return folder


def load_model(folder):
    """The fitted estimator of a model folder written by :func:`save_model`.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    estimator
    """
    folder = Path(folder)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{str(folder)!r} is not a model folder: it has no {MODEL_FILE}.")
    description = json.loads(path.read_text())
    if description.get("format") != FORMAT or description.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{str(path)!r} is not a skmoe model description of format version "
                         f"{FORMAT_VERSION}.")
    written_by, here = description["versions"]["skmoe"], _versions()["skmoe"]
    if written_by != here:
        raise ValueError(f"The model in {str(folder)!r} was written by skmoe {written_by}; this is "
                         f"skmoe {here}. Load it with skmoe {written_by}, or save it again.")
    for name, digest in description["files"].items():
        if not (folder / name).is_file():
            raise FileNotFoundError(f"The model folder {str(folder)!r} lacks {name}.")
        if _sha256(folder / name) != digest:
            raise ValueError(f"{name} in {str(folder)!r} changed after the model was saved (its "
                             "sha256 differs): the folder is refused.")
    tensors = {}
    if NETWORKS_FILE in description["files"]:
        from safetensors.torch import load_file

        tensors = load_file(folder / NETWORKS_FILE, device="cpu")
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as arrays:
        return _Reader(dict(arrays), tensors).decode(description["model"])


class _Writer:
    """The tree of a value: JSON with arrays set apart, shared objects written once."""

    def __init__(self):
        self.arrays = {}
        self.tensors = {}  # the networks' weights, "n<object>.<attribute>.<parameter>"
        self.memo = {}  # id(object) -> its number in the tree
        # Objects memoised by id, kept alive: a state made while reducing (a copy) could be
        # freed and its id reused by another object.
        self.alive = []

    def encode(self, value):
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float) and not isinstance(value, np.floating):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, np.generic):
            return {"scalar": self._array(np.asarray(value))}
        if isinstance(value, np.dtype):
            return {"dtype": value.str}
        if type(value).__module__ == "skorch.history":  # a list of per-epoch dicts
            return {"history": [self.encode(dict(row)) for row in value]}
        if type(value) is list:
            return [self.encode(v) for v in value]
        if isinstance(value, tuple) and type(value) is tuple:
            return {"tuple": [self.encode(v) for v in value]}
        if type(value) in (dict, Bunch) and all(isinstance(k, str) for k in value):
            return {"bunch" if isinstance(value, Bunch) else "dict":
                    {k: self.encode(v) for k, v in value.items()}}
        if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            return {"global": _trusted_name(value)}
        if isinstance(value, PurePath):
            return {"path": str(value)}
        if id(value) in self.memo:
            return {"ref": self.memo[id(value)]}
        return self._object(value)

    def _array(self, array):
        if array.dtype.hasobject:
            if not all(isinstance(v, str) for v in array.ravel()):
                raise TypeError("An array of Python objects other than strings cannot be saved.")
            return {"strings": array.tolist(), "shape": list(array.shape)}
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return {"array": key}

    def _object(self, value):
        number = self.memo[id(value)] = len(self.memo)
        self.alive.append(value)
        reduced = value.__reduce_ex__(4)
        if isinstance(reduced, str) or len(reduced) > 3 and any(
                part is not None for part in reduced[3:]):
            raise TypeError(f"A {type(value).__name__} cannot be saved in a model folder.")
        function, args, state = (tuple(reduced) + (None,))[:3]
        if function is copyreg.__newobj__:
            node = {"object": _trusted_name(args[0]), "id": number}
            # A torch expert's networks as weights. Only those in its own state: a wrapper
            # that forwards attribute access (FrozenEstimator) names its expert's networks
            # but holds none of them.
            saved = getattr(value, "_saved_networks", ()) if isinstance(state, dict) else ()
            networks = [name for name in saved if state.get(name) is not None]
            if networks:
                state = {k: v for k, v in state.items() if k not in networks}
                node["networks"] = {
                    name: self._network(f"n{number}.{name}", *value._network_to_save(name))
                    for name in networks}
            node["state"] = self.encode(state)
            return node
        name = _trusted_name(function)
        _check_constructor(name, function)
        return {"reduce": name, "id": number, "args": self.encode(tuple(args)),
                "state": self.encode(state)}

    def _network(self, prefix, module, history, architecture):
        """A torch module's weights into the tensors; its node."""
        for name, tensor in module.state_dict().items():
            # Copies: safetensors refuses tensors that share memory (tied weights).
            self.tensors[f"{prefix}.{name}"] = tensor.detach().to("cpu").contiguous().clone()
        return {"weights": prefix, "history": self.encode(history),
                "architecture": self.encode(architecture)}


class _Reader:
    """Values back from their tree; only trusted classes and functions are looked up."""

    def __init__(self, arrays, tensors):
        self.arrays = arrays
        self.tensors = tensors
        self.objects = {}

    def decode(self, node):
        if not isinstance(node, dict | list):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        (kind, content), *_ = node.items()
        if kind == "float":
            return float(content)
        if kind == "array":
            return self.arrays[content]
        if kind == "strings":
            return np.array(content, dtype=object).reshape(node["shape"])
        if kind == "scalar":
            return self.decode(content)[()]
        if kind == "dtype":
            return np.dtype(content)
        if kind == "tuple":
            return tuple(self.decode(v) for v in content)
        if kind in ("dict", "bunch"):
            mapping = {k: self.decode(v) for k, v in content.items()}
            return Bunch(**mapping) if kind == "bunch" else mapping
        if kind == "global":
            return _trusted(content)
        if kind == "ref":
            return self.objects[content]
        if kind == "path":
            return Path(content)
        if kind == "history":
            from skorch.history import History

            return History(self.decode(content))
        if kind == "object":
            cls = _trusted(content)
            if not isinstance(cls, type):
                raise ValueError(f"The model description names {content!r} as a class: refused.")
            value = self.objects[node["id"]] = cls.__new__(cls)
            _set_state(value, self.decode(node["state"]))
            if node.get("networks"):
                value._restore_networks({
                    name: SavedNetwork(self._weights(saved["weights"]),
                                       self.decode(saved["history"]),
                                       self.decode(saved.get("architecture")))
                    for name, saved in node["networks"].items()})
            return value
        if kind == "reduce":
            function = _trusted(content)
            _check_constructor(content, function)
            value = function(*self.decode(node["args"]))
            self.objects[node["id"]] = value
            _set_state(value, self.decode(node["state"]))
            return value
        raise ValueError(f"Unknown node {kind!r} in a model description.")


    def _weights(self, prefix):
        start = prefix + "."
        return {key[len(start):]: tensor for key, tensor in self.tensors.items()
                if key.startswith(start)}


def _check_constructor(name, function):
    """Refuse a callable that rebuilding an object may not call (see ``CONSTRUCTORS``)."""
    if name in CONSTRUCTORS or (isinstance(function, type) and issubclass(function, tuple)):
        return
    raise TypeError(f"{name} would be called to rebuild an object when loading; a model folder "
                    "calls only the constructors it lists (CONSTRUCTORS) and named tuples.")


def _set_state(value, state):
    if state is None:
        return
    if hasattr(value, "__setstate__"):
        value.__setstate__(state)
    else:
        value.__dict__.update(state)


def _trusted_name(value):
    """``module:qualname`` of a class or function of a trusted package; else a clear error."""
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module is None or name is None or module.split(".")[0] not in TRUSTED or "<" in name:
        what = getattr(value, "__name__", type(value).__name__)
        raise TypeError(f"{what} (module {module}) cannot be saved in a model folder: only "
                        f"classes and functions of {', '.join(TRUSTED)} can (a torch "
                        "expert's networks are saved as weights).")
    return f"{module}:{name}"


def _trusted(name):
    module, _, qualname = name.partition(":")
    if module.split(".")[0] not in TRUSTED:
        raise ValueError(f"The model description names {name!r}, outside the trusted packages "
                         f"{', '.join(TRUSTED)}: refused.")
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _versions():
    import sklearn

    from . import __version__

    return {"skmoe": __version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__}


def _sha256(path):
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
