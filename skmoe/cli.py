"""The ``skmoe`` command."""

import argparse


def main(argv=None):
    """Entry point of the ``skmoe`` command."""
    parser = argparse.ArgumentParser(prog="skmoe", description="Multi-expert defect ensembles.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train two cheap experts on synthetic steel images, tune the vote, report")
    demo.add_argument("--n-samples", type=int, default=3000, help="number of images")
    demo.add_argument("--image-size", type=int, default=32, help="image side in pixels")
    demo.add_argument("--random-state", type=int, default=0, help="seed")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from ._demo import run_demo

        run_demo(n_samples=args.n_samples, image_size=args.image_size,
                 random_state=args.random_state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
