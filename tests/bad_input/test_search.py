"""Bad input to coordinate_search: each a clear error naming the argument and what it takes."""

import numpy as np
import pytest

from skmoe.ensemble import coordinate_search

from ._table import case, check_case

rng = np.random.RandomState(0)
P = rng.rand(2, 90, 3)
y = np.array([0, 1, 2] * 30)

CASES = [
    case("2-D probabilities", lambda: coordinate_search(P[0], y),
         ValueError, "expert_proba must be a non-empty array of shape \\(n_experts, n_samples, "
                     "n_classes\\); got shape \\(90, 3\\)"),
    case("no samples", lambda: coordinate_search(P[:, :0], y[:0]),
         ValueError, "non-empty array .* got shape \\(2, 0, 3\\)"),
    case("NaN", lambda: coordinate_search(np.where(P > 0.9, np.nan, P), y),
         ValueError, "expert_proba contain NaN or infinite values .* check the model"),
    case("infinity", lambda: coordinate_search(np.where(P > 0.9, np.inf, P), y),
         ValueError, "NaN or infinite"),
    case("above 1", lambda: coordinate_search(P * 2, y),
         ValueError, "must lie in \\[0, 1\\].*not scores or logits"),
    case("negative", lambda: coordinate_search(P - 0.5, y),
         ValueError, "must lie in \\[0, 1\\]"),
    case("ragged experts", lambda: coordinate_search([P[0], P[1][:, :2]], y),
         ValueError, "expert_proba must be an array of numbers of one shape"),
    case("strings", lambda: coordinate_search(np.full((2, 90, 3), "a"), y),
         ValueError, "expert_proba must be an array of numbers"),
    case("y of another length", lambda: coordinate_search(P, y[:10]),
         ValueError, "y_true must have shape \\(90, 3\\) \\(indicator\\) or \\(90,\\)"),
    case("y a column", lambda: coordinate_search(P, y[:, None]),
         ValueError, "y_true must have shape .* got shape \\(90, 1\\)"),
    case("y floats", lambda: coordinate_search(P, y + 0.5),
         ValueError, "y_true as a 1-D array must hold class indices in 0 .. 2"),
    case("y out of range", lambda: coordinate_search(P, y + 1),
         ValueError, "class indices in 0 .. 2 \\(the columns of expert_proba\\)"),
    case("y labels", lambda: coordinate_search(P, np.array(["a", "b", "c"] * 30)),
         ValueError, "must hold class indices"),
    case("indicator not 0/1", lambda: coordinate_search(P, np.eye(3)[y] * 2),
         ValueError, "y_true as a 2-D array must be a 0/1 indicator matrix"),
    case("quorum 0", lambda: coordinate_search(P, y, quorum=0),
         ValueError, "quorum must lie in \\(0, 1\\]"),
    case("quorum shape", lambda: coordinate_search(P, y, quorum=[0.5, 0.5]),
         ValueError, "quorum must be a number or one per class \\(3\\)"),
    case("thresholds shape", lambda: coordinate_search(P, y, thresholds=[0.5] * 3),
         ValueError, "thresholds must be a number or of shape \\(2,\\) or \\(2, 3\\)"),
    case("threshold above 1", lambda: coordinate_search(P, y, thresholds=2),
         ValueError, "thresholds must lie in \\[0, 1\\]"),
    case("weights negative", lambda: coordinate_search(P, y, weights=[-1, 1]),
         ValueError, "weights must be finite and non-negative with a positive sum"),
    case("weights shape", lambda: coordinate_search(P, y, weights=[1]),
         ValueError, "weights must have one value per expert \\(2\\)"),
    case("objective unknown", lambda: coordinate_search(P, y, objective="f2"),
         ValueError, "The 'objective' parameter of coordinate_search must be a str among"),
    case("method unknown", lambda: coordinate_search(P, y, method="random"),
         ValueError, "The 'method' parameter of coordinate_search must be a str among"),
    case("max_iter 0", lambda: coordinate_search(P, y, max_iter=0),
         ValueError, "The 'max_iter' parameter of coordinate_search must be an int in the range"),
    case("max_iter a numpy float", lambda: coordinate_search(P, y, max_iter=np.float64(2.5)),
         ValueError, "The 'max_iter' parameter of coordinate_search must be an int in the range"),
    case("tol negative", lambda: coordinate_search(P, y, tol=-1),
         ValueError, "The 'tol' parameter of coordinate_search must be a float in the range"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)
