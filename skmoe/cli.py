"""The ``skmoe`` command: ``run`` (the main job), ``demo``, ``predict`` and ``summary``.

A user error (a bad config, a missing dataset, an output folder of another config) prints one
``skmoe: error: ...`` line and exits with status 2, without a traceback.
"""

import argparse
import sys
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Layout name on the command line -> loader in skmoe.datasets.
_LOADERS = {
    "neu": "load_neu",
    "severstal": "load_severstal",
    "magnetic-tile": "load_magnetic_tile",
    "folder": "load_image_folder",
}
DEMO_CONFIG = "demo.toml"


def main(argv=None):
    """Entry point of the ``skmoe`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    from .experiment import ConfigError

    try:
        if args.command == "summary":
            return _summary(args)
        if args.command == "predict":
            return _predict(args)
        return _run(args)
    except (ConfigError, FileNotFoundError, FileExistsError, ImportError) as exc:
        # ImportError: a missing optional dependency; its message names the extra to install.
        print(f"skmoe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if args.command == "predict":  # every finished batch is in the output already
            print("\nskmoe: interrupted. The rows written are kept; run the same command with "
                  "--resume to go on.", file=sys.stderr)
            return 130
        # Experts are saved one by one, each only once finished: the same command resumes.
        detail = f" ({exc})" if str(exc) else ""
        print(f"\nskmoe: interrupted{detail}. Finished experts are kept; run the same command "
              "again to go on.", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def _parser():
    parser = argparse.ArgumentParser(prog="skmoe", description="Multi-expert defect ensembles.")
    parser.add_argument("--version", action="version", version=f"skmoe {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="train the experts of a config, tune the ensembles, write the report")
    run.add_argument("config", help="TOML config file (see benchmarks/configs/)")
    demo = commands.add_parser(
        "demo", help="the main job on synthetic steel images: a CNN, frozen-feature experts, YOLO")
    for command in (run, demo):
        command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                             help="override a config value, e.g. experts.cnn.max_epochs=5")
        command.add_argument("--output", help="output folder (overrides the config's)")
        command.add_argument("--scheduler", help="dask scheduler address: one expert per worker")
        command.add_argument("--force", action="store_true",
                             help="retrain every expert, also in a folder of another config")
    predict = commands.add_parser(
        "predict", help="decide new images with a model folder; one row per image")
    predict.add_argument("model", help="model folder (skmoe run writes seed-<n>/models/...)")
    predict.add_argument("inputs", nargs="+",
                         help="image files, folders, glob patterns, .txt lists of paths")
    predict.add_argument("--output", default=None,
                         help="prediction file (default predictions.csv, or .jsonl with --json)")
    predict.add_argument("--json", action="store_true", help="write JSON lines instead of CSV")
    predict.add_argument("--overlays", metavar="DIR",
                         help="draw each image with its decision, boxes and masks into DIR")
    predict.add_argument("--batch-size", type=int, default=64, help="images per batch")
    predict.add_argument("--resume", action="store_true",
                         help="go on with an existing output: skip the images it has")
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
    summary = commands.add_parser(
        "summary", help="class counts per split and the long-tail ratio of a dataset")
    summary.add_argument("dataset", choices=sorted(_LOADERS), help="dataset layout")
    summary.add_argument("root", help="dataset folder")
    summary.add_argument("--split-file", help="CSV with image and split columns")
    summary.add_argument("--annotations",
                         help="severstal only: the annotations CSV inside root (train.csv)")
    summary.add_argument("--images", help="severstal only: text file of the images to load")
    return parser


def _version():
    try:
        return version("skmoe")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"


def _run(args):
    from .experiment import load_config, run_experiment

    overrides = list(args.set)
    if args.output:
        overrides.append(f"output={_quoted(args.output)}")
    if args.scheduler:
        overrides.append(f"scheduler={_quoted(args.scheduler)}")
    if args.command == "demo":
        with resources.as_file(resources.files("skmoe.experiment") / DEMO_CONFIG) as path:
            config = load_config(path, overrides)
    else:
        config = load_config(args.config, overrides)
    result = run_experiment(config, force=args.force)
    print(f"\nTest scores\n\n{result.main_table}")
    print(f"Report: {result.report['html'].resolve()}")
    return 0


def _predict(args):
    from . import load_model
    from .experiment import ConfigError
    from .predict import find_images, predict_images

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size {args.batch_size}: give at least 1.")
    output = args.output or ("predictions.jsonl" if args.json else "predictions.csv")
    images = find_images(args.inputs)
    try:
        model = load_model(args.model)
        done = predict_images(model, images, output, json_lines=args.json,
                              overlays=args.overlays, batch_size=args.batch_size,
                              resume=args.resume, progress=not args.quiet)
    except ValueError as exc:  # a refused model folder; an output of another model to resume
        raise ConfigError(str(exc)) from None
    skipped = f", {done.n_skipped} already in the output" if done.n_skipped else ""
    print(f"{done.n_decided} images decided, {done.n_errors} could not be (their error column "
          f"says why); {done.images_per_second:.1f} images/s{skipped}.")
    print(f"Predictions: {done.output.resolve()}")
    if args.overlays:
        print(f"Overlays: {Path(args.overlays).resolve()}")
    return 0


def _quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _summary(args):
    from . import datasets
    from .experiment import ConfigError

    options = {"split_file": args.split_file}
    if args.dataset == "severstal":
        options.update(annotations=args.annotations or "train.csv", images=args.images)
    else:
        given = [f"--{name}" for name in ("annotations", "images") if getattr(args, name)]
        if given:
            raise ConfigError(f"{' and '.join(given)} apply to severstal only, not to "
                              f"{args.dataset}.")
    try:
        bunch = getattr(datasets, _LOADERS[args.dataset])(args.root, **options)
    except (ValueError, OSError) as exc:  # a folder of another layout, an empty one, ...
        raise ConfigError(f"{args.dataset} at {args.root}: {exc}") from None
    print(f"{args.dataset}: {len(bunch.images)} images from {args.root}\n")
    print(datasets.summarize(bunch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
