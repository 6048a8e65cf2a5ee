"""Which optimum a step takes among ties: the current value if optimal, else the widest middle."""

import numpy as np

from skmoe.ensemble._choice import DECIMALS, middle_grid_point, widest_optimal_run


def test_the_current_value_stays_when_nothing_beats_it():
    values = np.array([0.5, 0.7, 0.7])
    assert widest_optimal_run(values, np.arange(3), np.arange(3), current=0.7) is None
    # A gain below the rounding of objective values is no gain.
    assert widest_optimal_run(values + 10.0 ** -(DECIMALS + 2), np.arange(3), np.arange(3),
                              current=0.7) is None


def test_the_widest_run_of_optima_wins():
    """Two optimal runs: the wider along the coordinate wins, whatever its candidate count."""
    values = np.array([0.9, 0.9, 0.1, 0.9, 0.2])
    starts = np.array([0.0, 0.1, 0.2, 0.3, 0.9])
    ends = np.array([0.1, 0.2, 0.3, 0.9, 1.0])
    assert widest_optimal_run(values, starts, ends, current=0.5) == (3, 3, 0.3, 0.9)


def test_a_run_along_a_decreasing_coordinate():
    """Candidates may run downwards (a weight's share seen from the other end)."""
    starts, ends = np.array([1.0, 0.6, 0.5]), np.array([0.6, 0.5, 0.0])
    first, last, low, high = widest_optimal_run(np.array([0.2, 0.8, 0.8]), starts, ends, 0.1)
    assert (first, last, low, high) == (1, 2, 0.0, 0.6)


def test_middle_grid_point():
    assert middle_grid_point(np.array([0.1, 0.8, 0.8, 0.8, 0.8, 0.2]), current=0.5) == 2
    assert middle_grid_point(np.array([0.1, 0.3]), current=0.5) is None
