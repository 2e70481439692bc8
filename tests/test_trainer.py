"""The KL-adaptive update: the multiplier rule on the user's log, early stop, the lr fed, log lines."""
import numpy as np
import pytest

from pipeline.run_config import TrainingConfig
from pipeline.log_lines import batch_line, update_line
from pipeline.learner import Trainer, UpdateResult, adapt_multiplier, explained_variance, kl_divergence


def test_multiplier_rule_reproduces_the_users_log():
    kls = [0.00178, 0.00068, 0.00425, 0.07804, 0.06898, 0.03346, 0.04336]
    multiplier, shown = 1.5, []
    for kl in kls:
        multiplier = adapt_multiplier(kl, multiplier, kl_targ=0.02)
        shown.append(f"{multiplier:.3f}")
    assert shown == ["2.250", "3.375", "5.062", "3.375", "2.250", "2.250", "1.500"]


def test_multiplier_stays_within_its_bounds():
    m = 1.0
    for _ in range(50):
        m = adapt_multiplier(0.0, m, 0.02)
    assert 10 <= m < 15
    for _ in range(50):
        m = adapt_multiplier(1.0, m, 0.02)
    assert 0.1 / 1.5 <= m <= 0.1


class FakeNet:
    """A policy that moves a fixed amount of probability per train step; records the lr fed."""

    def __init__(self, n_moves, step):
        self.logits = np.zeros(n_moves)
        self.step = step
        self.lrs = []

    def policy_value(self, states):
        p = np.exp(self.logits) / np.exp(self.logits).sum()
        return np.tile(p, (len(states), 1)), np.zeros((len(states), 1))

    def train_step(self, states, probs, winners, lr):
        self.lrs.append(lr)
        loss = 10.0 - len(self.lrs)
        self.logits[0] += self.step
        return loss, 1.0


def _batch(n=4, moves=9):
    return (np.zeros((n, 4, 3, 3), np.float32), np.full((n, moves), 1 / moves, np.float32),
            np.array([1, -1, 1, -1], np.float32))


def test_update_runs_all_epochs_when_kl_stays_small_and_raises_the_multiplier():
    net = FakeNet(9, step=0.01)
    trainer = Trainer(net, TrainingConfig(learn_rate=2e-3, epochs=5, batch_size=4, buffer_size=8),
                      lr_multiplier=1.5)
    result = trainer.update(*_batch())
    assert net.lrs == pytest.approx([2e-3 * 1.5] * 5)
    assert result.epoch_losses == [9.0, 8.0, 7.0, 6.0, 5.0]
    assert result.loss == 5.0  # the last step's loss
    assert result.kl < 0.01
    assert result.lr_multiplier == pytest.approx(2.25)
    assert trainer.lr_multiplier == pytest.approx(2.25)


def test_update_stops_early_once_kl_passes_four_targets_and_lowers_the_multiplier():
    net = FakeNet(9, step=0.6)  # KL after one step ~0.03, after two ~0.12 > 0.08
    trainer = Trainer(net, TrainingConfig(epochs=5, batch_size=4, buffer_size=8))
    result = trainer.update(*_batch())
    assert len(net.lrs) == 2
    assert result.kl > 0.08
    assert result.lr_multiplier == pytest.approx(1 / 1.5)


def test_kl_and_explained_variance():
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-9)
    q = np.array([[0.9, 0.1], [0.5, 0.5]])
    expected = np.mean([0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1), np.log(2)])
    assert kl_divergence(p, q) == pytest.approx(expected, rel=1e-6)
    z = np.array([1.0, -1.0, 1.0, -1.0])
    assert explained_variance(z, z) == 1.0
    assert explained_variance(z, np.zeros(4)) == 0.0
    assert np.isnan(explained_variance(np.zeros(4), np.zeros(4)))


def test_log_lines_have_the_reference_format():
    assert batch_line(12, 31) == "batch i:12, episode_len:31"
    r = UpdateResult(kl=0.01234, lr_multiplier=1.5, loss=4.12341, entropy=3.45671,
                     explained_var_old=0.0121, explained_var_new=0.0339)
    assert update_line(r) == ("kl:0.01234,lr_multiplier:1.500,loss:4.1234,entropy:3.4567,"
                              "explained_var_old:0.012,explained_var_new:0.034")
