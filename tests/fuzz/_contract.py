"""The fuzzing contract: an input either works or gets a ValueError raised by skmoe's own checks.

"Raised by skmoe" means the innermost frame of the traceback is skmoe code: a message written
for the user, never an IndexError from numpy, a torch error or an XML parser's error text.
"""

import traceback
from pathlib import Path

import skmoe

PACKAGE = Path(skmoe.__file__).resolve().parent


def works_or_refuses(call):
    """Run ``call``; return its result, or None when skmoe refused the input (ValueError).

    Any other exception, or a ValueError raised outside skmoe, fails the test.
    """
    try:
        return call()
    except ValueError as exc:
        origin = Path(traceback.extract_tb(exc.__traceback__)[-1].filename).resolve()
        assert PACKAGE in origin.parents, (
            f"ValueError raised in {origin}, not by skmoe's checks: {exc}")
        assert str(exc), "an empty message"
        return None
