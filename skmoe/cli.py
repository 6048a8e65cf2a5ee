"""The ``skmoe`` command."""

import argparse

# Layout name on the command line -> loader in skmoe.datasets.
_LOADERS = {
    "neu": "load_neu",
    "severstal": "load_severstal",
    "magnetic-tile": "load_magnetic_tile",
    "folder": "load_image_folder",
}


def main(argv=None):
    """Entry point of the ``skmoe`` command."""
    parser = argparse.ArgumentParser(prog="skmoe", description="Multi-expert defect ensembles.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train two cheap experts on synthetic steel images, tune the vote, report")
    demo.add_argument("--n-samples", type=int, default=3000, help="number of images")
    demo.add_argument("--image-size", type=int, default=32, help="image side in pixels")
    demo.add_argument("--random-state", type=int, default=0, help="seed")
    summary = commands.add_parser(
        "summary", help="class counts per split and the long-tail ratio of a dataset")
    summary.add_argument("dataset", choices=sorted(_LOADERS), help="dataset layout")
    summary.add_argument("root", help="dataset folder")
    summary.add_argument("--split-file", help="CSV with image and split columns")
    summary.add_argument("--annotations", default="train.csv",
                         help="severstal only: the annotations CSV inside root")
    summary.add_argument("--images", help="severstal only: text file of the images to load")
    args = parser.parse_args(argv)

    if args.command == "summary":
        from . import datasets

        options = {"split_file": args.split_file}
        if args.dataset == "severstal":
            options.update(annotations=args.annotations, images=args.images)
        bunch = getattr(datasets, _LOADERS[args.dataset])(args.root, **options)
        print(f"{args.dataset}: {len(bunch.images)} images from {args.root}\n")
        print(datasets.summarize(bunch))
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(n_samples=args.n_samples, image_size=args.image_size,
                 random_state=args.random_state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
