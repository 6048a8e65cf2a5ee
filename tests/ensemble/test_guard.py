import numpy as np
import pytest

from skmoe.ensemble._guard import resampled_gains, tuning_generalises


def _experts(n_samples, scale, seed):
    """A strong expert whose scores are multiplied by ``scale`` and two weak ones."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_samples)
    truth = y[:, None] == np.arange(3)

    def expert(skill, factor):
        logits = skill * (2 * truth - 1) + rng.normal(0, 1, truth.shape)
        return factor / (1 + np.exp(-logits))

    return np.stack([expert(3.0, scale), expert(0.3, 1.0), expert(0.3, 1.0)]), y


def test_guard_lets_a_consistent_gain_through():
    """A strong expert that never reaches 0.5 is ignored by the plain vote: tuning is kept."""
    proba, y = _experts(300, 0.45, 0)
    gains = resampled_gains(proba, y, n_resamples=5, random_state=0)
    assert gains.shape == (10,)
    assert tuning_generalises(gains) and gains.mean() > 0.2


def test_guard_keeps_the_start_on_noise():
    """Gains that are as often losses as wins, or zero on average, keep the start."""
    assert not tuning_generalises([0.02, -0.02, 0.0, 0.01, -0.01])
    assert not tuning_generalises([0.0, 0.0, 0.0])
    assert not tuning_generalises([0.05, 0.05, 0.05, -0.2])
    assert tuning_generalises([0.01, 0.02, 0.0, 0.01])


def test_guard_keeps_the_plain_vote_on_real_experts(data_root):
    """NEU-DET: three good CNNs agree; tuning on 180 images does not generalise."""
    saved = np.load(data_root / "expert-probas" / "neu-det-224.npz", allow_pickle=True)
    classes = list(saved["classes"])
    y_val = np.array([classes.index(label) for label in saved["y_val"]])
    gains = resampled_gains(saved["P_val"], y_val, n_resamples=10, random_state=0)
    assert not tuning_generalises(gains)


@pytest.mark.parametrize("seed", [0, 1])
def test_gains_are_reproducible(seed):
    """The same seed gives the same halvings and gains."""
    proba, y = _experts(120, 0.45, seed)
    np.testing.assert_array_equal(resampled_gains(proba, y, n_resamples=2, random_state=seed),
                                  resampled_gains(proba, y, n_resamples=2, random_state=seed))


def test_too_few_images_to_hold_out_keep_the_start():
    """One tuning image cannot be halved: no error, and no evidence to tune."""
    proba, y = _experts(300, 0.45, 0)
    gains = resampled_gains(proba[:, :1], y[:1], n_resamples=5, random_state=0)
    assert gains.shape == (0,)
    assert not tuning_generalises(gains)
