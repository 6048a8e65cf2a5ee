"""Training the experts: one at a time or in parallel (joblib, dask), each saved when done."""

import resource
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.utils.parallel import Parallel, delayed

from ..utils._inputs import take_rows
from ..utils._proba import predict_class_proba
from ._cache import discard_unfinished, load_record, save_expert
from ._experts import fit_data
from ._interrupts import ExpertInterrupted, noticing_interrupts

# Rows predicted once before an expert's inference is timed (a GPU's first call is slow).
WARM_UP_ROWS = 16


def train_missing(jobs, *, n_jobs, log=print):
    """Train every expert whose folder holds no finished record; return all records.

    Parameters
    ----------
    jobs : list of dict
        One per expert and seed: ``name``, ``label`` (how logs name it, e.g.
        ``'lite0' (seed 0)``), ``expert`` (unfitted estimator), ``folder``, ``data`` (the
        split's Bunch) and ``fingerprint`` (of its config).
    n_jobs : int or None
        Experts trained at once through joblib; inside ``joblib.parallel_config(backend=
        "dask")`` each runs on a dask worker. All seeds' experts share one pool, so that no
        worker waits for the last expert of a seed.

    Returns
    -------
    records : list of dict
        One per job, in the order of ``jobs``.
    """
    records, pending = {}, []
    for index, job in enumerate(jobs):
        record = load_record(job["folder"])
        if record is not None and record.get("fingerprint") == job["fingerprint"]:
            log(f"  reusing expert {job['label']} (trained {record['finished']}, "
                f"{record['fit_seconds']:.1f} s)")
            records[index] = record
        else:
            pending.append(index)
    if pending:
        log(f"  training {len(pending)} expert(s): "
            f"{', '.join(jobs[i]['label'] for i in pending)}")
    trained = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(train_expert)(jobs[i]["name"], jobs[i]["expert"], jobs[i]["data"],
                              jobs[i]["folder"], jobs[i]["fingerprint"], label=jobs[i]["label"])
        for i in pending
    )
    for index, record in zip(pending, trained):
        # An expert without a training history (frozen features, a scikit-learn model) has no
        # epochs to speak of.
        epochs = f" ({record['epochs']} epoch(s))" if record["history_parts"] else ""
        log(f"  trained expert {jobs[index]['label']} in {record['fit_seconds']:.1f} s{epochs}, "
            f"{record['images_per_second']:.1f} images/s")
        records[index] = record
    return [records[index] for index in range(len(jobs))]


def train_expert(name, expert, data, folder, fingerprint, label=None):
    """Fit one expert, time it, predict validation and test images, save it all; its record."""
    label = label or repr(name)
    print(f"  [{time.strftime('%H:%M:%S')}] training expert {label} on {len(data.y_train)} "
          "images", flush=True)
    # Boxes and masks, for the expert or (routed) for its parts: a two-stage's classifier.
    fit_params = {key: data[f"{key}_train"] for key in fit_data(expert)}
    _reset_peak_memory()
    start = time.perf_counter()
    with noticing_interrupts() as interrupts, \
            sklearn.config_context(enable_metadata_routing=bool(fit_params)):
        expert.fit(data.X_train, data.y_train, **fit_params)
    if interrupts:  # the trainer stopped early and returned: the expert is not finished
        discard_unfinished(folder)
        raise ExpertInterrupted(f"training of expert {label} was interrupted; it is not kept")
    fit_seconds = time.perf_counter() - start

    predict_class_proba(expert, take_rows(data.X_val, np.arange(min(WARM_UP_ROWS,
                                                                     len(data.y_val)))))
    start = time.perf_counter()
    proba = {"val": predict_class_proba(expert, data.X_val, name=name),
             "test": predict_class_proba(expert, data.X_test, name=name),
             "classes": np.asarray(expert.classes_)}
    predict_seconds = time.perf_counter() - start
    histories = training_histories(expert)
    epochs = sum(len(rows) for rows in histories.values()) or 1
    record = {
        "name": name,
        "fingerprint": fingerprint,
        "estimator": type(expert).__name__,
        "fit_seconds": fit_seconds,
        "epochs": epochs,
        "seconds_per_epoch": fit_seconds / epochs,
        "images_per_second": (len(data.y_val) + len(data.y_test)) / predict_seconds,
        "seconds_per_image": predict_seconds / (len(data.y_val) + len(data.y_test)),
        "peak_memory_mib": _peak_memory_mib(),
        "history_parts": sorted(histories),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    save_expert(folder, expert, proba, histories, record)
    return record


def training_histories(expert):
    """Per-epoch rows of every trained network in ``expert``, by part (``""`` when one).

    Reads the CNN expert's ``net_.history``, another expert's ``history_`` and, in a
    two-stage expert, its gate's and classifier's.
    """
    if hasattr(expert, "gate_"):
        parts = {"gate": expert.gate_, "classifier": expert.classifier_}
        return {part: rows for part, model in parts.items()
                if model is not None and (rows := training_histories(model).get(""))}
    net = getattr(expert, "net_", None)
    history = net.history if net is not None else getattr(expert, "history_", None)
    if history is None:
        return {}
    # A skorch History, whichever the expert: a list of per-epoch dicts (batches left out).
    rows = [{key: value for key, value in epoch.items()
             if isinstance(value, int | float) and not isinstance(value, bool)}
            for epoch in history]
    return {"": rows}


def _reset_peak_memory():
    """Start a new peak: the GPU's, and the process's resident peak where Linux allows it."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    try:  # Linux: writing 5 to clear_refs resets VmHWM, the peak resident set size
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_memory_mib():
    """Peak GPU memory when a GPU was used, else the process's peak resident memory."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.max_memory_allocated():
        return {"device": "cuda", "mib": torch.cuda.max_memory_allocated() / 2**20}
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):  # in kB, since the last reset
                return {"device": "cpu (peak RSS)", "mib": int(line.split()[1]) / 1024}
    return {"device": "cpu (process peak RSS)",
            "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def expert_folder(seed_folder, name):
    """Where an expert of a seed is saved."""
    return Path(seed_folder) / "experts" / name
