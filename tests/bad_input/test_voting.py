"""Bad input to MultiExpertVotingClassifier: each a clear error naming the parameter and fix."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skmoe import MultiExpertVotingClassifier as Voting

from ._table import case, check_case

rng = np.random.RandomState(0)
X = rng.normal(size=(90, 4))
y = np.array([0, 1, 2] * 30)
LOGREG = LogisticRegression().fit(X, y)
BAYES = GaussianNB().fit(X, y)


def frozen():
    return [("logreg", FrozenEstimator(LOGREG)), ("bayes", FrozenEstimator(BAYES))]


def unfitted():
    return [("logreg", LogisticRegression()), ("bayes", GaussianNB())]


CASES = [
    case("experts not a list", lambda: Voting(LOGREG).fit(X, y),
         ValueError, "'experts' parameter .* must be an instance of 'list'"),
    case("experts empty", lambda: Voting([]).fit(X, y),
         ValueError, "experts must be a non-empty list of \\(name, estimator\\) tuples"),
    case("expert without a name", lambda: Voting([LOGREG, BAYES], cv="prefit").fit(X, y),
         ValueError, "experts must be a list of \\(name, estimator\\) tuples, e.g."),
    case("repeated names", lambda: Voting([("a", LOGREG), ("a", BAYES)], cv="prefit").fit(X, y),
         ValueError, "Expert names must be unique; \\['a'\\].*Rename"),
    case("name with __", lambda: Voting([("a__b", LOGREG), ("c", BAYES)], cv="prefit").fit(X, y),
         ValueError, "must not contain '__'.*rename \\['a__b'\\]"),
    case("name not a string", lambda: Voting([(1, LOGREG), ("c", BAYES)], cv="prefit").fit(X, y),
         TypeError, "Expert names must be strings; got \\[1\\]"),
    case("every expert dropped", lambda: Voting([("a", "drop")]).fit(X, y),
         ValueError, "All experts are 'drop'.*give an estimator"),
    case("expert without predict_proba",
         lambda: Voting([("a", LOGREG), ("box", object())], cv="prefit").fit(X, y),
         TypeError, "Expert 'box' \\(object\\) has no predict_proba"),
    case("cv above 1", lambda: Voting(frozen(), cv=1.5).fit(X, y),
         ValueError, "'cv' parameter .* float in the range \\(0.0, 1.0\\)"),
    case("cv unknown word", lambda: Voting(frozen(), cv="holdout").fit(X, y),
         ValueError, "'cv' parameter .* among \\{'prefit'\\}"),
    case("refit False with folds", lambda: Voting(unfitted(), cv=3, refit=False).fit(X, y),
         ValueError, "refit=False .* set cv to a fraction"),
    case("threshold above 1", lambda: Voting(frozen(), thresholds=2.0).fit(X, y),
         ValueError, "'thresholds' parameter .* range \\[0.0, 1.0\\]"),
    case("thresholds shape", lambda: Voting(frozen(), thresholds=[0.5] * 3).fit(X, y),
         ValueError, "thresholds must have shape \\(2,\\); got \\(3,\\)"),
    case("threshold NaN", lambda: Voting(frozen(), thresholds=[np.nan, 0.5]).fit(X, y),
         ValueError, "Every threshold must lie in \\[0, 1\\]"),
    case("threshold_scope", lambda: Voting(frozen(), threshold_scope="class").fit(X, y),
         ValueError, "'threshold_scope' parameter .* among .*'expert_class'"),
    case("weights word", lambda: Voting(frozen(), weights="equal").fit(X, y),
         ValueError, "'weights' parameter .* among .*'uniform'"),
    case("weights negative", lambda: Voting(frozen(), weights=[-1, 1]).fit(X, y),
         ValueError, "weights must be non-negative with a positive sum"),
    case("weights all zero", lambda: Voting(frozen(), weights=[0, 0]).fit(X, y),
         ValueError, "weights must be non-negative with a positive sum"),
    case("weights shape", lambda: Voting(frozen(), weights=[1, 1, 1]).fit(X, y),
         ValueError, "weights must have one value per expert \\(2\\)"),
    case("weights NaN", lambda: Voting(frozen(), weights=[np.nan, 1]).fit(X, y),
         ValueError, "weights must be finite"),
    case("quorum 0", lambda: Voting(frozen(), quorum=0).fit(X, y),
         ValueError, "'quorum' parameter .* range \\(0.0, 1.0\\]"),
    case("quorum shape", lambda: Voting(frozen(), quorum=[0.5, 0.5]).fit(X, y),
         ValueError, "quorum must have one value per class \\(3\\)"),
    case("quorum NaN", lambda: Voting(frozen(), quorum=[0.5, np.nan, 0.5]).fit(X, y),
         ValueError, "Every quorum must lie in \\(0, 1\\]"),
    case("quorum of an unknown class", lambda: Voting(frozen(), quorum={"x": 0.5}).fit(X, y),
         ValueError, "quorum names classes \\['x'\\] that are not in y \\(\\[0, 1, 2\\]\\)"),
    case("quorum of a numpy label", lambda: Voting(frozen(), quorum={np.int64(7): 0.5}).fit(X, y),
         ValueError, "quorum names classes \\[7\\]"),
    case("objective unknown", lambda: Voting(frozen(), objective="f2").fit(X, y),
         ValueError, "objective='f2' is unknown: give one of \\['f1', 'precision_recall'\\]"),
    case("objective of probabilities", lambda: Voting(frozen(), objective="roc_auc").fit(X, y),
         ValueError, "the search needs a scorer of hard predictions"),
    case("search", lambda: Voting(frozen(), search="random").fit(X, y),
         ValueError, "'search' parameter .* among .*'exact'"),
    case("max_iter 0", lambda: Voting(frozen(), max_iter=0).fit(X, y),
         ValueError, "'max_iter' parameter .* range \\[1, inf\\)"),
    case("tol negative", lambda: Voting(frozen(), tol=-1).fit(X, y),
         ValueError, "'tol' parameter .* range \\[0.0, inf\\)"),
    case("guard_resamples negative", lambda: Voting(frozen(), guard_resamples=-1).fit(X, y),
         ValueError, "'guard_resamples' parameter"),
    case("max_experts above the experts", lambda: Voting(frozen(), max_experts=3).fit(X, y),
         ValueError, "max_experts=3 but only 2 experts vote; lower max_experts"),
    case("expert_times missing one",
         lambda: Voting(frozen(), max_experts=1, expert_times={"logreg": 1}).fit(X, y),
         ValueError, "expert_times has no time for \\['bayes'\\]"),
    case("expert_times negative",
         lambda: Voting(frozen(), expert_times={"logreg": -1, "bayes": 1}).fit(X, y),
         ValueError, "expert_times must be finite seconds >= 0"),
    case("y None", lambda: Voting(frozen()).fit(X, None),
         ValueError, "requires y to be passed"),
    case("X empty", lambda: Voting(frozen()).fit(X[:0], y[:0]),
         ValueError, "X is empty \\(0 samples\\)"),
    case("X and y lengths", lambda: Voting(frozen()).fit(X, y[:10]),
         ValueError, "X and y have different lengths: 90 samples but 10 labels"),
    case("y continuous", lambda: Voting(frozen()).fit(X, rng.rand(90)),
         ValueError, "Unknown label type 'continuous': y must be 1-D class labels"),
    case("y with a class no expert knows", lambda: Voting(frozen()).fit(X, y + 1),
         ValueError, "y holds labels the fitted classes do not know: \\[3\\]"),
    case("tuning data of one class", lambda: Voting(frozen()).fit(X, np.zeros(90, int)),
         ValueError, "needs two or more classes present. Pass validation data"),
    case("unfitted expert with cv='prefit'",
         lambda: Voting([("logreg", LogisticRegression()), ("bayes", BAYES)],
                        cv="prefit").fit(X, y),
         NotFittedError, "Expert 'logreg' is not fitted.*FrozenEstimator"),
    case("frozen unfitted expert",
         lambda: Voting([("logreg", FrozenEstimator(LogisticRegression())),
                         ("bayes", FrozenEstimator(BAYES))]).fit(X, y),
         NotFittedError, "Expert 'logreg' is a FrozenEstimator of an unfitted LogisticRegression"
                         "; fit it before freezing it"),
    case("experts of other classes",
         lambda: Voting([("logreg", FrozenEstimator(LOGREG)),
                         ("bayes", FrozenEstimator(GaussianNB().fit(X, y % 2)))]).fit(X, y),
         ValueError, "Experts know different classes: 'logreg' has \\[0, 1, 2\\], 'bayes' has"),
    case("multi-label y for 1-D experts", lambda: Voting(unfitted()).fit(X, np.eye(3)[y]),
         ValueError, "the expert 'logreg' \\(LogisticRegression\\) does not take one.*"
                     "MultiOutputClassifier"),
    case("fit parameters without routing", lambda: Voting(frozen()).fit(X, y, boxes=[1]),
         ValueError, "got \\['boxes'\\].*enable_metadata_routing=True"),
    case("predict before fit", lambda: Voting(frozen()).predict(X),
         NotFittedError, "is not fitted yet"),
    case("predict with other features", lambda: Voting(frozen()).fit(X, y).predict(X[:, :3]),
         ValueError, "expert 'logreg': X has 3 features, but LogisticRegression is expecting 4"),
    case("NaN features", lambda: Voting(frozen()).fit(np.full_like(X, np.nan), y),
         ValueError, "expert 'logreg': Input X contains NaN"),
]


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_input(call, error, message):
    check_case(call, error, message)


def test_single_label_experts_on_a_multilabel_y_are_named():
    indicator = np.eye(3, dtype=int)[y]
    with pytest.warns(UserWarning, match=r"probabilities of experts \['logreg', 'bayes'\] sum "
                                         r"to 1 on every image, as a single-label"):
        Voting(frozen()).fit(X, indicator)


def test_unnamed_expert_columns_matched_by_position_are_named():
    pandas = pytest.importorskip("pandas")
    from sklearn.ensemble import RandomForestClassifier

    indicator = (rng.uniform(size=(90, 3)) < 0.4).astype(int)
    forest = RandomForestClassifier(5, random_state=0).fit(X, indicator)
    frame = pandas.DataFrame(indicator[:, ::-1], columns=["c", "b", "a"])
    with pytest.warns(UserWarning, match=r"y's columns \['c', 'b', 'a'\] are matched by "
                                         r"position to the probability columns of experts"):
        Voting([("forest", FrozenEstimator(forest)),
                ("again", FrozenEstimator(forest))]).fit(X, frame)


def test_an_expert_error_does_not_print_the_whole_input():
    with pytest.raises(ValueError) as caught:
        Voting(frozen()).fit(X[:, 0], y)
    message = str(caught.value)
    assert message.startswith("expert 'logreg': Expected 2D array, got 1D array instead")
    assert "Reshape your data" in message and len(message) < 400
