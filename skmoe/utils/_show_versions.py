"""``skmoe.show_versions()``: what a result depends on besides the code, in a few lines.

Floating-point results differ between machines (instruction sets, the kernels a library picks
for them, thread counts); a short training amplifies that like a change of seed. So a CI log or
a bug report starts with these lines, and a result from another machine can be compared with
them. scikit-learn's ``sklearn.show_versions()`` is the model.
"""

import os
import platform
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = ("skmoe", "numpy", "scipy", "scikit-learn", "torch", "torchvision", "timm",
             "skorch", "ultralytics", "joblib", "dask", "pandas")
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# The instruction sets that decide which vectorised kernels numpy, BLAS and torch run.
_CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "asimd",
              "sve")


def environment():
    """The environment as (label, value) pairs: Python, platform, CPU, threads, packages."""
    lines = [("python", sys.version.split()[0]), ("platform", platform.platform()),
             ("cpu", _cpu_model()), ("cpu flags", " ".join(_cpu_flags()) or "unknown"),
             ("cpu count", str(os.cpu_count()))]
    lines += [(name, os.environ.get(name, "unset")) for name in _THREAD_VARIABLES]
    torch = _torch_if_installed()
    if torch is not None:
        lines += [("torch threads", str(torch.get_num_threads())),
                  ("torch cpu capability", torch.backends.cpu.get_cpu_capability()),
                  ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available()
                   else "not available")]
    lines += [(package, _version(package)) for package in _PACKAGES]
    return lines


def show_versions():
    """Print the environment a result depends on: Python, platform, CPU model and instruction
    sets, thread settings, and the versions of skmoe and the packages it runs on.

    Examples
    --------
    >>> import skmoe
    >>> skmoe.show_versions()  # doctest: +SKIP
    python: 3.11.7
    ...
    """
    labels = environment()
    width = max(len(label) for label, _ in labels)
    for label, value in labels:
        print(f"{label:>{width}}: {value}")


def _cpu_model():
    for line in _cpuinfo():
        if line.startswith(("model name", "Model", "Hardware")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _cpu_flags():
    for line in _cpuinfo():
        if line.startswith(("flags", "Features")):
            present = set(line.split(":", 1)[1].split())
            return [flag for flag in _CPU_FLAGS if flag in present]
    return []


def _cpuinfo():
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:  # not Linux
        return []


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _torch_if_installed():
    try:
        import torch
    except ImportError:
        return None
    return torch
