"""The output folder's files, each written whole or not at all.

An expert's folder holds its fitted model, its validation and test probabilities, its training
history and, written last, ``record.json``: an expert counts as trained only when its record
exists, so a run killed mid-expert leaves nothing that a later run would take as finished.
"""

import csv
import json
import os
from pathlib import Path

import joblib
import numpy as np

RECORD = "record.json"


def atomic_write(path, write):
    """Call ``write(partial_path)`` and then move the finished file into ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    write(partial)
    os.replace(partial, path)


def write_json(path, value):
    """``value`` as indented JSON."""
    atomic_write(path, lambda p: p.write_text(json.dumps(value, indent=2, default=_plain) + "\n"))


def read_json(path):
    """The JSON value in ``path``."""
    return json.loads(Path(path).read_text())


def write_csv(path, rows):
    """A list of dicts as CSV, the columns in order of first appearance."""
    columns = list(dict.fromkeys(key for row in rows for key in row))

    def write(partial):
        with open(partial, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def save_expert(folder, model, proba, histories, record):
    """Save a trained expert; the record goes last and marks it finished."""
    folder = Path(folder)
    atomic_write(folder / "model.joblib", lambda p: joblib.dump(model, p))
    atomic_write(folder / "proba.npz", lambda p: _savez(p, **proba))
    for part, rows in histories.items():
        if rows:
            write_csv(folder / f"history{'-' + part if part else ''}.csv", rows)
    write_json(folder / RECORD, record)


def discard_unfinished(folder):
    """Remove what an unfinished training left: partial files, and a record it would outdate."""
    folder = Path(folder)
    for path in [*folder.glob("*.partial"), folder / RECORD]:
        path.unlink(missing_ok=True)


def _savez(path, **arrays):
    with open(path, "wb") as handle:  # a file object: numpy would append .npz to a name
        np.savez(handle, **arrays)


def load_record(folder):
    """The record of a finished expert, or None when it did not finish."""
    path = Path(folder) / RECORD
    return read_json(path) if path.is_file() else None


def load_proba(folder):
    """The saved probabilities (``val``, ``test``) and ``classes`` of an expert."""
    with np.load(Path(folder) / "proba.npz") as data:
        return {key: data[key] for key in data.files}


def _plain(value):
    """JSON form of numpy scalars and arrays."""
    return value.tolist() if isinstance(value, np.ndarray | np.generic) else str(value)
