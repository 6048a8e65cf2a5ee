"""ExpertNet and the shared training settings: the one loop of the torch experts."""

import types

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skmoe.experts._expert_net import (  # noqa: E402
    ExpertNet,
    SummedLosses,
    train_expert_net,
)


def _expert(verbose=0, random_state=0):
    """What train_expert_net reads of an expert."""
    return types.SimpleNamespace(device_="cpu", num_workers=0, random_state=random_state,
                                 verbose=verbose)


def _regression_data(n=40):
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(n, 3, generator=generator)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]])
    return torch.utils.data.TensorDataset(X, y)


class _OwnLoss(torch.nn.Module):
    """A module that returns its losses in training, as torchvision's detectors do."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, X, y):
        return {"mse": torch.nn.functional.mse_loss(self.linear(X), y), "zero": 0 * y.sum()}


def _train(module, **kwargs):
    torch.manual_seed(0)
    arguments = dict(expert=_expert(), criterion=torch.nn.MSELoss,
                     optimizer=torch.optim.SGD, lr=0.1, max_epochs=5, batch_size=8)
    return train_expert_net(module, _regression_data(), **{**arguments, **kwargs})


def test_history_has_the_columns_every_expert_shares():
    module, history = _train(torch.nn.Linear(3, 1))
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]
    losses = history[:, "train_loss"]
    assert losses[-1] < losses[0] / 4  # it learns
    assert history[:, "lr"] == pytest.approx([0.1] * 5)
    assert all(row["dur"] > 0 for row in history)
    assert isinstance(module, torch.nn.Linear)


def test_a_per_batch_scheduler_and_the_lr_column():
    """The scheduler steps after every batch (5 per epoch here); lr is the rate after the
    epoch's last step."""
    from functools import partial

    _, history = _train(torch.nn.Linear(3, 1), scheduler=partial(
        torch.optim.lr_scheduler.StepLR, step_size=5, gamma=0.5))
    assert history[:, "lr"] == pytest.approx([0.1 * 0.5 ** epoch for epoch in range(1, 6)])


def test_a_forward_that_takes_the_targets_and_sums_its_losses():
    _, history = _train(_OwnLoss(), criterion=SummedLosses, forward_takes_targets=True)
    losses = history[:, "train_loss"]
    assert losses[-1] < losses[0] / 4


def test_the_same_seed_trains_the_same_network():
    first, _ = _train(torch.nn.Linear(3, 1))
    second, _ = _train(torch.nn.Linear(3, 1))
    for a, b in zip(first.parameters(), second.parameters()):
        torch.testing.assert_close(a, b)


def test_batch_transform_runs_on_every_training_batch():
    seen = []

    def double(X, y):
        seen.append(len(X))
        return 2 * X, 2 * y

    _train(torch.nn.Linear(3, 1), batch_transform=double, max_epochs=2)
    assert seen == [8] * 10


def test_an_infinite_loss_is_refused_with_advice():
    with pytest.raises(FloatingPointError, match="became infinite or NaN; lower lr"):
        _train(torch.nn.Linear(3, 1), lr=1e30)


def test_gradient_clipping_bounds_each_step():
    """With the norm clipped at 0.01, an SGD step at lr 1 moves the weights by at most 0.01."""
    module = torch.nn.Linear(3, 1)
    before = [p.detach().clone() for p in module.parameters()]
    trained, _ = _train(module, lr=1.0, max_epochs=1, batch_size=40, clip_norm=0.01)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(trained.parameters(),
                                                                  before)])
    assert float(moved.norm()) <= 0.01 + 1e-6


def test_verbose_prints_one_plain_line_per_epoch(capsys):
    _train(torch.nn.Linear(3, 1), expert=_expert(verbose=1), max_epochs=3)
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # no colour codes where output is not a terminal
    header, rule, *rows = out.strip().splitlines()
    assert header.split() == ["epoch", "lr", "train_loss", "dur"]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]


def test_quiet_by_default(capsys):
    _train(torch.nn.Linear(3, 1))
    assert capsys.readouterr().out == ""


def test_its_own_parameters_are_skorch_parameters():
    """get_params, set_params and clone know ExpertNet's parameters as skorch's own."""
    from sklearn.base import clone

    net = ExpertNet(torch.nn.Linear(1, 1), criterion=SummedLosses, forward_takes_targets=True,
                    divergence_advice="check the boxes.")
    assert net.get_params()["forward_takes_targets"] is True
    copy = clone(net.set_params(mixed_precision=True))
    assert copy.mixed_precision and copy.divergence_advice == "check the boxes."
