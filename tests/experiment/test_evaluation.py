import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator

from skmoe import MultiExpertVotingClassifier
from skmoe.ensemble import LeastOverkill
from skmoe.experiment._evaluation import Scorer, ensemble_subsets, evaluate_seed


def test_every_subset_when_few_a_seeded_sample_when_many():
    names = [f"e{i}" for i in range(7)]
    subsets = ensemble_subsets(names, min_size=2, max_per_size=30, random_state=0)
    sizes = [len(s) for s in subsets]
    assert sizes.count(2) == math.comb(7, 2) == 21  # all of them
    assert sizes.count(3) == 30 < math.comb(7, 3)  # a sample, without repeats
    assert len({tuple(s) for s in subsets if len(s) == 3}) == 30
    assert sizes.count(7) == 1
    assert subsets == ensemble_subsets(names, min_size=2, max_per_size=30, random_state=0)


class _Rows(ClassifierMixin, BaseEstimator):
    """The oracle: an expert whose X holds row numbers of its saved probabilities."""

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return self.proba[np.asarray(X).ravel()]


@pytest.mark.parametrize("params", [{}, {"max_experts": 2, "quorum": {"b": 0.7}},
                                    {"threshold_scope": "expert_class", "objective": "f1"},
                                    {"objective": LeastOverkill(0.05, background="a"),
                                     "guard_resamples": 0}])
def test_the_run_tunes_as_the_estimator_does(params):
    """skmoe run tunes on saved probabilities with no expert to run; the estimator fitted on
    experts that give the same probabilities decides the same."""
    rng = np.random.default_rng(1)
    classes = np.array(["a", "b", "c"])
    y = rng.integers(0, 3, 150)
    probas = {name: np.clip(np.eye(3)[y] * skill + rng.random((150, 3)) * 0.8, 0, 1)
              for name, skill in (("strong", 0.6), ("weak", 0.2), ("scaled", 0.3))}
    times = {"strong": 0.03, "weak": 0.01, "scaled": 0.02}
    saved = {name: {"val": p[:100], "test": p[100:], "classes": classes}
             for name, p in probas.items()}
    scorer = Scorer(saved, classes[y[:100]], classes[y[100:]], list(classes), params, times)
    vote = scorer.ensemble(list(probas))
    experts = [(name, FrozenEstimator(_Rows(p, classes).fit())) for name, p in probas.items()]
    estimator = MultiExpertVotingClassifier(experts, **params, expert_times=times).fit(
        np.arange(100)[:, None], classes[y[:100]])
    assert vote.voters == list(estimator.named_experts_)
    np.testing.assert_array_equal(vote.tuning.thresholds, estimator.thresholds_)
    np.testing.assert_array_equal(vote.tuning.weights, estimator.weights_)
    assert vote.tuning.tuning_kept == estimator.tuning_kept_
    np.testing.assert_array_equal(vote.predictions, estimator.predict(np.arange(100, 150)[:, None]))


@pytest.mark.parametrize("kinds, ensembles", [
    ({"a": "one-stage", "b": "detector"}, ["Voting", "Ours 1s"]),
    ({"a": "two-stage", "b": "two-stage"}, ["Voting 2s", "Ours 2s"]),
    ({"a": "one-stage", "b": "two-stage"}, ["Voting", "Ours 1s", "Voting 2s", "Ours 2s"]),
])
def test_ensembles_of_the_kinds_a_job_has(kinds, ensembles):
    """A job of two-stage experts only has no one-stage ensemble (it used to fail at the end)."""
    rng = np.random.default_rng(0)
    classes = np.array(["background", "pits", "scratches"])
    y_val, y_test = rng.choice(classes, 30), rng.choice(classes, 20)
    probas = {name: {"val": rng.dirichlet(np.ones(3), 30), "test": rng.dirichlet(np.ones(3), 20),
                     "classes": classes} for name in kinds}
    scorer = Scorer(probas, y_val, y_test, list(classes), {},
                    dict.fromkeys(kinds, 0.01))
    result = evaluate_seed(scorer, kinds, y_val)
    assert list(result["ensembles"]) == ensembles
    combiners = [f"{how}{label[len('Voting'):]}" for label in ensembles if "Voting" in label
                 for how in ("Soft mean", "Stacking")]
    assert list(result["combiners"]) == combiners
    assert list(result["reports"]) == [*kinds, *ensembles, *combiners]


def test_operating_points_add_escape_bounded_votes_and_every_report_has_the_rates():
    rng = np.random.default_rng(0)
    classes = np.array(["background", "pits", "scratches"])
    kinds = {"a": "one-stage", "b": "two-stage"}
    y = rng.integers(0, 3, 100)
    y_val, y_test = classes[y[:60]], classes[y[60:]]
    # Informative experts: half their probability on the true class.
    proba = {name: np.eye(3)[y] * 0.5 + rng.dirichlet(np.ones(3), 100) * 0.5 for name in kinds}
    probas = {name: {"val": p[:60], "test": p[60:], "classes": classes}
              for name, p in proba.items()}
    scorer = Scorer(probas, y_val, y_test, list(classes), {"guard_resamples": 0},
                    dict.fromkeys(kinds, 0.01), background="background")
    result = evaluate_seed(scorer, kinds, y_val, max_escapes=[0.0, 0.1])
    assert list(result["ensembles"]) == [
        "Voting", "Ours 1s", "Voting 2s", "Ours 2s", "Ours 1s, escape<=0", "Ours 2s, escape<=0",
        "Ours 1s, escape<=0.1", "Ours 2s, escape<=0.1"]
    assert all(report.operating_point is not None for report in result["reports"].values())
    # The bound holds on the validation images the vote was tuned on.
    bounded = result["ensembles"]["Ours 1s, escape<=0.1"]
    assert bounded["tuning"].score > 0  # feasible: 1 - overkill, not minus an escape rate


@pytest.mark.parametrize("multilabel", [False, True])
def test_soft_mean_and_stacking_of_saved_probabilities(multilabel):
    """The mean of the experts' probabilities; a regression learns to trust the right expert."""
    rng = np.random.default_rng(0)
    n_val, n_test = 60, 40
    y = rng.integers(0, 3, n_val + n_test)
    truth = np.eye(3)[y]
    # "good" knows the labels; "noise" does not, and is confident.
    good = 0.2 + 0.6 * truth
    noise = rng.dirichlet(np.full(3, 0.2), n_val + n_test)
    classes = np.arange(3) if multilabel else np.array(["a", "b", "c"])
    labels = truth.astype(int) if multilabel else classes[y]
    probas = {name: {"val": p[:n_val], "test": p[n_val:], "classes": classes}
              for name, p in (("good", good), ("noise", noise))}
    scorer = Scorer(probas, labels[:n_val], labels[n_val:], ["a", "b", "c"], {}, {})
    mean = scorer.soft_mean(["good", "noise"])
    expected = (good + noise)[n_val:] / 2
    expected = (expected >= 0.5).astype(int) if multilabel else classes[expected.argmax(1)]
    np.testing.assert_array_equal(mean, expected)
    np.testing.assert_array_equal(scorer.stacking(["good", "noise"]), labels[n_val:])


def test_combiners_need_the_same_classes():
    proba = {"val": np.full((4, 2), 0.5), "test": np.full((2, 2), 0.5)}
    probas = {"a": {**proba, "classes": np.array(["x", "y"])},
              "b": {**proba, "classes": np.array(["x", "z"])}}
    scorer = Scorer(probas, ["x", "y", "x", "y"], ["x", "y"], ["x", "y"], {}, {})
    with pytest.raises(ValueError, match="do not share their classes"):
        scorer.soft_mean(["a", "b"])
