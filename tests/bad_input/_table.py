"""The shape of every bad-input table: a call, the exception it raises and what the message says.

Each case asserts the exception type and a fragment of the message that names what is wrong
(the parameter, the file, the expert) and, where there is one, the fix.
"""

import re

import pytest


def case(id, call, error, message):
    """One row: ``call()`` raises ``error`` whose message matches ``message`` (a regex)."""
    return pytest.param(call, error, message, id=id)


def check_case(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert re.search(message, str(caught.value)), (
        f"{type(caught.value).__name__}: {caught.value}\ndoes not match {message!r}")
    # Values show as Python values, not numpy reprs such as np.int64(0).
    assert "np.int64(" not in str(caught.value) and "np.str_(" not in str(caught.value)
