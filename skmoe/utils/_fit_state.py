"""A fit that fails leaves its estimator unfitted, never half-fitted."""

import functools


def unfitted_on_error(fit):
    """Decorate ``fit`` so that an exception (or an interrupt) inside it removes the fitted state.

    ``fit`` sets its attributes as it goes (``classes_`` before the experts train, say); an
    expert that raises halfway would leave an estimator that ``check_is_fitted`` accepts but
    cannot predict with. On any exception the attributes ending in ``_``, and the private ones
    this fit added, are removed before the exception goes on, so that the estimator is clearly
    unfitted (``NotFittedError``). Parameters, and the estimators passed as parameters, are
    never touched.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = set(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            params = set(self.get_params(deep=False))
            for name in list(vars(self)):
                fitted = name.endswith("_") and not name.startswith("__")
                added = name.startswith("_") and name not in before
                if (fitted or added) and name not in params:
                    delattr(self, name)
            raise

    return wrapper


def check_frozen_is_fitted(estimator, label, advice):
    """Refuse a ``FrozenEstimator`` of an unfitted estimator: nothing will ever fit it.

    ``label`` names it in the message (``"Expert 'cnn'"``, ``"The gate"``), ``advice`` says
    what to do besides fitting it before freezing it.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.frozen import FrozenEstimator
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(estimator, FrozenEstimator):
        return
    try:
        check_is_fitted(estimator.estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"{label} is a FrozenEstimator of an unfitted {type(estimator.estimator).__name__}; "
            f"fit it before freezing it{advice}."
        ) from exc
