"""Values as error messages should show them."""

import numpy as np


def plain(value):
    """``value`` with numpy scalars and arrays turned into plain Python values.

    Messages then show ``0`` and ``[0, 1]``, not ``np.int64(0)`` (numpy 2's repr).
    """
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value
