"""Error messages that show plain values and name the part that failed."""

import os
import re
import sys
import warnings
from contextlib import contextmanager

import numpy as np

# Characters of an inner error kept in the message that names the failing part.
_MAX_MESSAGE = 600


def warn_at_caller(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line: the first frame outside skmoe and the
    scikit-learn decorators around its methods (``_fit_context``), however deep the call."""
    import sklearn.base

    inside = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
              os.path.abspath(sklearn.base.__file__))
    frame, level = sys._getframe(1), 2  # stacklevel 2: the caller of this function
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            inside):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def plain(value):
    """``value`` with numpy scalars and arrays turned into plain Python values.

    Messages then show ``0`` and ``[0, 1]``, not ``np.int64(0)`` (numpy 2's repr).
    """
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


@contextmanager
def naming(who):
    """Prefix ``who`` (e.g. ``"expert 'resnet'"``) to a ValueError or TypeError raised inside.

    Inside an ensemble an expert's own message ("X has 3 features, but LogisticRegression is
    expecting 4") does not say which expert failed. The exception keeps its type (so that
    ``except NotFittedError`` still works) and chains the original.
    """
    try:
        yield
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if message.startswith(f"{who}: ") or len(exc.args) != 1:
            raise
        # scikit-learn prints the whole input ("Expected 2D array ... array=[...]"): kilobytes
        # of numbers that hide the advice after them.
        message = re.sub(r"\s*array=.*?(?=\s*Reshape|$)", "", message, count=1,
                         flags=re.DOTALL)
        if len(message) > _MAX_MESSAGE:
            message = f"{message[:_MAX_MESSAGE // 2]} ... {message[-_MAX_MESSAGE // 2:]}"
        try:
            renamed = type(exc)(f"{who}: {message}")
        except Exception:  # an exception class that does not take one message
            exc.add_note(f"raised by {who}")
            raise exc from None
        raise renamed from exc
