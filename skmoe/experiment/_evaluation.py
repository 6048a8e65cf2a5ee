"""Scoring from saved probabilities: experts, the votes and other combiners, the ablation.

No expert predicts anything here: every score comes from the validation and test probabilities
saved when it was trained, so that tuning many ensembles costs seconds.
"""

import itertools
import math
import time
import warnings

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed

from ..ensemble import LeastOverkill, MultiExpertVotingClassifier, tune_vote, vote_decision
from ..metrics import defect_report
from ..utils._labels import predict_from_proba, to_indicator
from ..utils._sklearn_compat import check_params
from ._config import ConfigError, closest_match


def check_ensemble_params(params):
    """Check the config's ``[ensemble]`` table against MultiExpertVotingClassifier's parameters.

    Run before any expert trains, so that a typo there does not surface hours later.
    """
    accepted = sorted(set(MultiExpertVotingClassifier([]).get_params(deep=False)) - {"experts"})
    for key in params:
        if key not in accepted:
            raise ConfigError(f"[ensemble] has an unknown key {key!r}"
                              f"{closest_match(key, accepted)}: the keys are the parameters of "
                              f"MultiExpertVotingClassifier, {', '.join(accepted)}.")
    try:
        ensemble = MultiExpertVotingClassifier([], **params)
        check_params(ensemble)
        ensemble._search_objective()  # a name that is no objective fails here, as in fit
    except ValueError as exc:
        raise ConfigError(f"[ensemble]: {exc}") from None


class Scorer:
    """Everything an ensemble needs from one seed's saved probabilities.

    Parameters
    ----------
    probas : dict of str to dict
        Per expert its ``val``, ``test`` and ``classes`` arrays.
    y_val, y_test : ndarray
        True labels (1-D) or indicator matrices.
    target_names : list of str
    ensemble_params : dict
        Parameters of :class:`~skmoe.MultiExpertVotingClassifier` from the config.
    seconds_per_image : dict of str to float
        Each expert's measured inference time, for ``max_experts``.
    background : label, int or None, default=None
        The defect-free class (a label, or an indicator column): the test reports then give
        the escape and overkill rates.
    """

    def __init__(self, probas, y_val, y_test, target_names, ensemble_params, seconds_per_image,
                 *, background=None):
        self.background = background
        self.probas = probas
        self.y_val, self.y_test = np.asarray(y_val), np.asarray(y_test)
        self.multilabel = self.y_val.ndim == 2
        self.target_names = list(target_names)
        self.ensemble_params = dict(ensemble_params)
        self.seconds_per_image = seconds_per_image

    def expert_predictions(self, name):
        """An expert's test predictions, from its saved probabilities."""
        return predict_from_proba(self._saved(name, "test"), self.probas[name]["classes"],
                                  multilabel=self.multilabel)

    def ensemble(self, names, plain=False, objective=None):
        """The vote of ``names`` tuned on their validation probabilities (or the plain vote);
        ``objective`` replaces the config's (e.g. a :class:`~skmoe.ensemble.LeastOverkill`).

        The same tuning as :class:`~skmoe.MultiExpertVotingClassifier`'s ``fit`` (its
        parameters from the config, read by the estimator itself; :func:`~skmoe.ensemble.
        tune_vote`), on the saved probabilities: no expert runs.

        Returns
        -------
        vote : Bunch
            ``voters`` (the experts that vote, after ``max_experts``), ``tuning``
            (:class:`~skmoe.ensemble.VoteTuning`), ``predictions`` (of the test rows) and
            ``model``, a function of the fitted experts by name that returns the tuned vote as
            a fitted :class:`~skmoe.MultiExpertVotingClassifier` (to save it).
        """
        params = dict(self.ensemble_params)
        if objective is not None:
            params["objective"] = objective
        if plain:
            params.update(thresholds=0.5, weights="uniform", max_experts=None)
        vote = MultiExpertVotingClassifier([], **params)
        classes = self._classes(names)
        times = vote._given_times(names) or {n: self.seconds_per_image[n] for n in names}
        keep, arguments = vote._tuning_arguments(names, times, classes)
        voters = [names[i] for i in keep]
        indicator, _, _ = to_indicator(self.y_val, classes=classes)
        tuning = tune_vote(np.stack([self._saved(name, "val") for name in voters]),
                           indicator if self.multilabel else indicator.argmax(axis=1),
                           **arguments)
        decision = vote_decision(np.stack([self._saved(name, "test") for name in voters]),
                                 tuning.thresholds, tuning.weights, arguments["quorum"],
                                 single_label=not self.multilabel)

        def model(experts):
            fitted = MultiExpertVotingClassifier(
                [(name, FrozenEstimator(experts[name])) for name in names], **params)
            fitted.classes_, fitted.multilabel_, fitted.expert_times_ = \
                classes, self.multilabel, times
            frozen = [estimator for _, estimator in fitted.experts]
            fitted._set_tuning(names, frozen, keep, arguments["quorum"], tuning)
            return fitted

        return Bunch(voters=voters, tuning=tuning, model=model,
                     predictions=decision if self.multilabel else classes[decision])

    def soft_mean(self, names):
        """Test predictions of the mean of the experts' probabilities (no learning at all)."""
        proba = np.mean([self._saved(name, "test") for name in names], axis=0)
        return predict_from_proba(proba, self._classes(names), multilabel=self.multilabel)

    def stacking(self, names):
        """Test predictions of a logistic regression on the experts' validation probabilities.

        What ``StackingClassifier`` does with frozen experts and ``stack_method=
        "predict_proba"``, written out because it also takes an indicator ``y`` (one regression
        per class). Classes are weighed (``class_weight="balanced"``): a validation set holds a
        few images of a tail class.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self._classes(names)
        head = LogisticRegression(class_weight="balanced", max_iter=2000)
        head = OneVsRestClassifier(head) if self.multilabel else head
        head.fit(np.hstack([self._saved(name, "val") for name in names]), self.y_val)
        return head.predict(np.hstack([self._saved(name, "test") for name in names]))

    def _saved(self, name, split):
        return np.asarray(self.probas[name][split], dtype=float)

    def _classes(self, names):
        """The experts' common classes; a combiner of probabilities needs the same columns."""
        classes = [np.asarray(self.probas[name]["classes"]) for name in names]
        if any(not np.array_equal(classes[0], other) for other in classes[1:]):
            raise ValueError(f"experts {names} do not share their classes: "
                             f"{[c.tolist() for c in classes]}.")
        return classes[0]

    def majority_report(self, y_train):
        """Test report of always predicting the most frequent training label(s)."""
        dummy = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y_train), 1)),
                                                              y_train)
        return self.test_report(dummy.predict(np.zeros((len(self.y_test), 1))))

    def test_report(self, y_pred):
        """Test-set :func:`~skmoe.metrics.defect_report` of predictions of the test rows."""
        if self.multilabel:
            return defect_report(self.y_test, y_pred, target_names=self.target_names,
                                 background=self.background)
        # Every class is a row, also one that no test image has and no model predicts (the
        # split already warned about such a class).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="labels .* occur in neither y_true")
            return defect_report(self.y_test, y_pred, labels=self.target_names,
                                 background=self.background)


def evaluate_seed(scorer, kinds, y_train, max_escapes=()):
    """Test reports of every expert, the votes and the other combiners of one seed.

    Parameters
    ----------
    scorer : Scorer
    kinds : dict of str to str
        ``"one-stage"``, ``"two-stage"`` or ``"detector"`` per expert (see ``expert_kind``).
    y_train : ndarray
        Training labels, for the majority-class baseline.
    max_escapes : sequence of float, default=()
        Operating points: for each e, the tuned votes again with the objective "least
        overkill with the escape rate at most e on validation" (``"Ours 1s, escape<=e"``);
        they need a defect-free class (``scorer.background``) and one label per image.

    Returns
    -------
    result : dict
        ``predictions`` and ``reports`` (model name -> test predictions, DefectReport; experts
        first, then the votes, then the combiners), ``ensembles`` (name -> dict of the fitted
        ``model``, its ``experts``, whether it is a ``plain`` vote and the tuning ``seconds``),
        ``combiners`` (``"Soft mean"`` and ``"Stacking"`` of the same experts, with the
        suffix `` 2s`` for two-stage ones -> their experts), ``majority`` (the majority-class
        report).
    """
    predictions = {name: scorer.expert_predictions(name) for name in kinds}
    one_stage = [name for name, kind in kinds.items() if kind != "two-stage"]
    two_stage = [name for name, kind in kinds.items() if kind != "one-stage"]
    groups = {}
    # A job of two-stage experts only has no one-stage ensemble, and one without any no
    # two-stage ensemble.
    if any(kind != "two-stage" for kind in kinds.values()):
        groups.update({"Voting": (one_stage, True), "Ours 1s": (one_stage, False)})
    if any(kind == "two-stage" for kind in kinds.values()):
        groups.update({"Voting 2s": (two_stage, True), "Ours 2s": (two_stage, False)})
    objectives = dict.fromkeys(groups)
    tuned = [label for label in groups if label.startswith("Ours")]
    for max_escape in max_escapes:
        for label in tuned:
            groups[f"{label}, escape<={max_escape:g}"] = groups[label]
            objectives[f"{label}, escape<={max_escape:g}"] = LeastOverkill(
                max_escape, background=scorer.background)
    ensembles = {}
    for label, (names, plain) in groups.items():
        start = time.perf_counter()
        vote = scorer.ensemble(names, plain=plain, objective=objectives[label])
        ensembles[label] = {"voters": vote.voters, "tuning": vote.tuning, "experts": names,
                            "plain": plain, "seconds": time.perf_counter() - start,
                            "model": vote.model}
        predictions[label] = vote.predictions
    # The two common combiners of the same experts beside the votes, so that users see which
    # wins on their data.
    combiners = {f"{how}{label[len('Voting'):]}": names  # "Voting 2s" -> "Stacking 2s"
                 for label, (names, plain) in groups.items() if plain
                 for how in ("Soft mean", "Stacking")}
    for label, names in combiners.items():
        combine = scorer.soft_mean if label.startswith("Soft mean") else scorer.stacking
        predictions[label] = combine(names)
    reports = {name: scorer.test_report(y_pred) for name, y_pred in predictions.items()}
    return {"predictions": predictions, "reports": reports, "ensembles": ensembles,
            "combiners": combiners, "majority": scorer.majority_report(y_train)}


def ensemble_subsets(names, *, min_size, max_per_size, random_state):
    """Every subset of ``min_size``..K experts, or a seeded sample of a size with too many."""
    rng = np.random.default_rng(random_state)
    subsets = []
    for size in range(min_size, len(names) + 1):
        if math.comb(len(names), size) <= max_per_size:
            subsets += [list(c) for c in itertools.combinations(names, size)]
            continue
        drawn = set()
        while len(drawn) < max_per_size:
            drawn.add(tuple(sorted(rng.choice(len(names), size, replace=False).tolist())))
        subsets += [[names[i] for i in combo] for combo in sorted(drawn)]
    return subsets


def ablation(scorer, names, *, min_size, max_per_size, random_state, n_jobs=None):
    """Macro and per-class test F1 of the tuned ensemble of every subset of experts.

    Returns
    -------
    rows : list of dict
        ``size``, ``experts`` (joined by ``+``), ``macro_f1``, and ``f1 <class>`` per class.
    """
    subsets = ensemble_subsets(names, min_size=min_size, max_per_size=max_per_size,
                               random_state=random_state)
    reports = Parallel(n_jobs=n_jobs)(
        delayed(_subset_report)(scorer, subset) for subset in subsets)
    rows = []
    for subset, report in zip(subsets, reports):
        row = {"size": len(subset), "experts": "+".join(subset), "macro_f1": report.macro.f1}
        row.update({f"f1 {c}": f for c, f in zip(report.target_names, report.f1)})
        rows.append(row)
    return rows


def _subset_report(scorer, subset):
    return scorer.test_report(scorer.ensemble(subset).predictions)
