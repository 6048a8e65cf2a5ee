"""Bad input to TwoStagePipeline: each a clear error naming the parameter and fix."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skmoe import TwoStagePipeline

from ._table import case, check_case

rng = np.random.RandomState(0)
X = rng.normal(size=(90, 4))
y = np.array([0, 1, 2] * 30)
Y = np.eye(3, dtype=int)[y]  # indicator, column 0 defect-free


def two_stage(gate=None, classifier=None, **params):
    return TwoStagePipeline(gate or LogisticRegression(), classifier or LogisticRegression(),
                            **{"background_class": 0, **params})


CASES = [
    case("no image of the background class",
         lambda: two_stage(background_class="bg").fit(X, y),
         ValueError, "no image of background_class='bg'.*every training image is defective.*"
                     "set background_class"),
    case("background class of an indicator by name",
         lambda: two_stage(background_class="bg").fit(X, Y),
         ValueError, "indicator matrix, so pass the column index"),
    case("background_class a float", lambda: two_stage(background_class=0.5).fit(X, y),
         ValueError, "'background_class' parameter"),
    case("one class", lambda: two_stage().fit(X, np.zeros(90, int)),
         ValueError, "y has 1 class \\(0\\); a two-stage model needs the defect-free class"),
    case("no defect-free image in an indicator", lambda: two_stage().fit(X, Y * [0, 1, 1]),
         ValueError, "row\\(s\\) of y .* mark no class at all"),
    case("indicator rows with no class",
         lambda: two_stage().fit(X, Y * (np.arange(90) % 5 != 0)[:, None]),
         ValueError, "18 row\\(s\\) of y \\(the first is row 0\\) mark no class at all.*Fix"),
    case("indicator rows defect-free and defective",
         lambda: two_stage().fit(X, np.column_stack([np.ones(90, int), Y[:, 1:]])),
         ValueError, "mark both the defect-free class and a defect"),
    case("multi-label y for a 1-D classifier", lambda: two_stage().fit(X, Y + Y[:, [0, 2, 1]]
                                                                          * [0, 1, 1]),
         ValueError, "the classifier \\(LogisticRegression\\) does not take one"),
    case("gate without predict_proba", lambda: two_stage(gate=object()).fit(X, y),
         ValueError, "'gate' parameter .* implementing 'fit' and 'predict_proba'"),
    case("gating word", lambda: two_stage(gating="sometimes").fit(X, y),
         ValueError, "'gating' parameter .* among"),
    case("gate_threshold 1", lambda: two_stage(gate_threshold=1).fit(X, y),
         ValueError, "'gate_threshold' parameter .* range \\(0.0, 1.0\\)"),
    case("prefit gate of three classes",
         lambda: two_stage(gate=FrozenEstimator(LogisticRegression().fit(X, y))).fit(X, y),
         ValueError, "The gate must be a binary classifier.*classes are \\[0, 1, 2\\].*0/1"),
    case("prefit classifier of other classes",
         lambda: two_stage(classifier=FrozenEstimator(LogisticRegression().fit(X, y + 5))
                           ).fit(X, y),
         ValueError, "does not know the defect classes \\[1, 2\\] \\(it knows \\[5, 6, 7\\]\\)"),
    case("frozen unfitted gate",
         lambda: two_stage(gate=FrozenEstimator(LogisticRegression())).fit(X, y),
         NotFittedError, "The gate is a FrozenEstimator of an unfitted LogisticRegression; fit "
                         "it before freezing it"),
    case("gate fails on the data", lambda: two_stage().fit(np.full_like(X, np.nan), y),
         ValueError, "^gate: Input X contains NaN"),
    case("y None", lambda: two_stage().fit(X, None), ValueError, "requires y to be passed"),
    case("predict before fit", lambda: two_stage().predict(X), NotFittedError, "not fitted yet"),
    case("predict with other features", lambda: two_stage().fit(X, y).predict(X[:, :2]),
         ValueError, "^gate: X has 2 features"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)
