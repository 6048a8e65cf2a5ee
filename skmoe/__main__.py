"""``python -m skmoe``: the same as the ``skmoe`` command."""

from .cli import main

raise SystemExit(main())
