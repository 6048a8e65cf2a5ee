"""Cheap scikit-learn experts for the job's tests: intensity and gradient quantiles into a
forest or a logistic regression, seconds to train on small synthetic images."""

import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def texture_features(images):
    """Quantiles of each image's intensities and of its vertical and horizontal gradients."""
    images = np.asarray(images, dtype=np.float32)
    n_images = len(images)
    flat = images.reshape(n_images, -1)
    d_rows = np.abs(np.diff(images, axis=1)).reshape(n_images, -1)
    d_cols = np.abs(np.diff(images, axis=2)).reshape(n_images, -1)
    levels = np.linspace(0, 1, 11)
    return np.hstack([np.quantile(part, levels, axis=1).T for part in (flat, d_rows, d_cols)])


def texture_forest(n_estimators=60, random_state=None):
    """Texture statistics into a random forest."""
    return make_pipeline(FunctionTransformer(texture_features),
                         RandomForestClassifier(n_estimators, random_state=random_state))


def texture_logreg(C=1.0, random_state=None):
    """Texture statistics into a logistic regression."""
    return make_pipeline(FunctionTransformer(texture_features), StandardScaler(),
                         LogisticRegression(C=C, max_iter=2000, random_state=random_state))


class SlowExpert(ClassifierMixin, BaseEstimator):
    """A texture forest whose fit waits while a file exists: a test kills it mid-training."""

    def __init__(self, wait_while="", random_state=None):
        self.wait_while = wait_while
        self.random_state = random_state

    def fit(self, X, y):
        while self.wait_while and Path(self.wait_while).exists():
            time.sleep(0.1)
        self.model_ = texture_forest(20, self.random_state).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class InterruptibleExpert(ClassifierMixin, BaseEstimator):
    """Like skorch: a KeyboardInterrupt in fit ends training early, and fit returns normally.

    It trains while a file exists (a test interrupts it then), with one tree per round;
    interrupted, it keeps the trees it has: a half-trained model.
    """

    def __init__(self, train_while="", random_state=None):
        self.train_while = train_while
        self.random_state = random_state

    def fit(self, X, y):
        n_trees = 1
        try:
            while self.train_while and Path(self.train_while).exists():
                time.sleep(0.1)
            n_trees = 40
        except KeyboardInterrupt:
            pass
        self.model_ = texture_forest(n_trees, self.random_state).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)
