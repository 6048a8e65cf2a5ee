"""The main job: train the experts of a config, tune the ensembles, write the report."""

import shutil
from contextlib import contextmanager
from pathlib import Path

import joblib
import numpy as np
from joblib import parallel_config
from sklearn.utils import Bunch

from .._model_folder import save_model
from ..datasets._common import take
from ..utils._optional import import_optional
from ._cache import load_proba, read_json, write_json
from ._config import ConfigError, config_differences, fingerprint, results_config
from ._data import background_label, load_dataset, split_dataset
from ._evaluation import Scorer, ablation, check_ensemble_params, evaluate_seed
from ._experts import build_expert, expert_kind, uses_masks
from ._report import write_report
from ._training import expert_folder, train_missing

CONFIG_FILE = "config.json"


def run_experiment(config, *, force=False, log=print):
    """Run the job a checked config describes (see :func:`load_config`).

    Trains every expert not yet saved in the output folder (each saved as soon as it is done),
    scores the experts, the plain vote and the tuned ensembles on the test images from the
    saved probabilities, runs the ensemble-size ablation and writes the report.

    Parameters
    ----------
    config : dict
        A checked configuration.
    force : bool, default=False
        Retrain every expert, also in a folder made with another config.
    log : callable, default=print
        Where progress lines go.

    Returns
    -------
    result : Bunch
        ``seeds`` (one dict per seed: reports, ensembles, ablation, records), ``report``
        (paths of the written files by kind), ``main_table`` (the test scores as Markdown)
        and ``output`` (the folder).
    """
    output = Path(config["output"]).expanduser()
    bunch = load_dataset(config["dataset"],
                         masks=any(uses_masks(spec) for spec in config["experts"].values()))
    kinds = {name: expert_kind(spec) for name, spec in config["experts"].items()}
    # Everything is checked, every expert of every seed built, before anything is written.
    check_ensemble_params(config["ensemble"])
    plans = [_plan(config, bunch, seed, output / f"seed-{seed}") for seed in config["seeds"]]
    _claim(output, config, force)
    log(f"skmoe run: {len(bunch.images)} images of {len(bunch.target_names)} classes "
        f"({config['dataset']['loader']}), {len(kinds)} expert(s), seeds {config['seeds']}, "
        f"output {output}")
    for seed, data, _ in plans:
        log(f"seed {seed}: train/val/test {len(data.y_train)}/{len(data.y_val)}/"
            f"{len(data.y_test)} images")
    # Every seed's experts in one pool: with n_jobs > 1 no worker idles at a seed's end.
    all_jobs = [job for _, _, jobs in plans for job in jobs]
    with _parallel(config) as n_jobs:
        all_records = iter(train_missing(all_jobs, n_jobs=n_jobs, log=log))
    seeds = []
    for seed, data, jobs in plans:
        records = {job["name"]: next(all_records) for job in jobs}
        probas = {job["name"]: load_proba(job["folder"]) for job in jobs}
        scorer = Scorer(probas, data.y_val, data.y_test, bunch.target_names,
                        config["ensemble"], {n: r["seconds_per_image"] for n, r in records.items()},
                        background=background_label(bunch))
        log(f"seed {seed}: tuning the ensembles on {len(data.y_val)} validation images")
        # Operating points need a defect-free class and one decision per image.
        max_escapes = config["operating_point"]["max_escapes"] \
            if scorer.background is not None and np.ndim(data.y_val) == 1 else []
        result = evaluate_seed(scorer, kinds, data.y_train, max_escapes=max_escapes)
        save_tuned_votes(result["ensembles"], jobs, output / f"seed-{seed}" / "models", log)
        log(f"seed {seed}: ensemble-size ablation")
        result["ablation"] = ablation(
            scorer, list(kinds), min_size=config["ablation"]["min_size"],
            max_per_size=config["ablation"]["max_subsets_per_size"], random_state=seed,
            n_jobs=_joblib_n_jobs(config["n_jobs"]))
        result.update(seed=seed, records=records, folder=output / f"seed-{seed}",
                      y_test=data.y_test)
        seeds.append(result)
    report, main_table = write_report(output, config, bunch, kinds, seeds)
    return Bunch(seeds=seeds, report=report, main_table=main_table, output=output)


def save_tuned_votes(ensembles, jobs, folder, log):
    """Each tuned vote ("Ours 1s", "Ours 2s") as a model folder under ``folder``, its
    experts as they were trained; a vote with an expert a model folder cannot hold (one of a
    user's own classes) is named in the log and left out."""
    experts = {}
    for label, fitted in ensembles.items():
        if label not in ("Ours 1s", "Ours 2s"):
            continue
        for job in jobs:
            if job["name"] in fitted["experts"] and job["name"] not in experts:
                experts[job["name"]] = joblib.load(Path(job["folder"]) / "model.joblib")
        target = folder / label.lower().replace(" ", "-")  # ours-1s, ours-2s
        shutil.rmtree(target, ignore_errors=True)  # a rerun's vote replaces the last
        try:
            save_model(fitted["model"](experts), target)
        except TypeError as exc:
            log(f"  {label}: no model folder ({exc})")
            continue
        log(f"  {label}: model folder {target}")


def _plan(config, bunch, seed, seed_folder):
    """One seed's split and its experts to train: (seed, data, jobs)."""
    data = _split(bunch, split_dataset(bunch, config["dataset"], seed))
    background = background_label(bunch)
    jobs = []
    for name, spec in config["experts"].items():
        folder = expert_folder(seed_folder, name)
        defaults = {"random_state": seed, "device": config["device"],
                    "run_dir": str(folder / "run"),
                    "feature_cache": str(Path(seed_folder).parent / "feature-cache")}
        jobs.append({
            "name": name, "label": f"{name!r} (seed {seed})", "data": data, "folder": folder,
            "expert": build_expert(name, spec, defaults=defaults, background_label=background),
            "fingerprint": fingerprint([spec, seed, config["dataset"], config["device"]]),
        })
    return seed, data, jobs


def _claim(output, config, force):
    """Refuse a folder made with another config (unless forced); record this config in it."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / ".writable").touch()
        (output / ".writable").unlink()
    except OSError as exc:  # a file, a path through a file, no permission, a read-only place
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"output folder {str(output)!r} cannot be created or written "
                          f"({reason}): set output (or --output) to a folder you can write."
                          ) from None
    path = output / CONFIG_FILE
    if path.is_file():
        differences = config_differences(results_config(read_json(path)), results_config(config))
        if differences and not force:
            shown = "; ".join(differences[:5]) + ("; ..." if len(differences) > 5 else "")
            raise ConfigError(
                f"output folder {str(output)!r} holds a run of another config ({shown}). Use "
                "--force to retrain there, or set output to a new folder.")
    if force:
        for seed in config["seeds"]:
            shutil.rmtree(output / f"seed-{seed}", ignore_errors=True)
    write_json(path, config)


def _split(bunch, rows):
    """Train, validation and test inputs, labels and boxes of one split."""
    data = Bunch()
    for name, part in rows.items():
        subset = take(bunch, part)
        data[f"X_{name}"] = subset.images
        data[f"y_{name}"] = subset.target
        data[f"boxes_{name}"] = subset.boxes
        if "masks" in subset:
            data[f"masks_{name}"] = subset.masks
    return data


def _joblib_n_jobs(n_jobs):
    # 1 defers to joblib's context, so that parallel_config(backend="dask") reaches the experts.
    return None if n_jobs == 1 else n_jobs


@contextmanager
def _parallel(config):
    """The joblib n_jobs to train with; on the config's dask scheduler when it names one."""
    if not config["scheduler"]:
        yield _joblib_n_jobs(config["n_jobs"])
        return
    distributed = import_optional("distributed", needed_by="scheduler")
    try:
        client = distributed.Client(config["scheduler"], timeout="10s")
    except OSError as exc:
        raise ConfigError(f"cannot reach the dask scheduler {config['scheduler']!r}: {exc}") \
            from None
    with client, parallel_config(backend="dask"):
        yield -1  # one expert per worker
