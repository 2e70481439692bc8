"""The trainer on the real network: the loss has the reference's scale and falls."""
import math

import numpy as np
import pytest

from pipeline.run_config import TrainingConfig
from pipeline.learner import Trainer

net_module = pytest.importorskip("net")


def _batch(rng, n, height, width):
    """Random positions with one-hot targets on random points and random results."""
    states = (rng.random((n, 4, height, width)) < 0.2).astype(np.float32)
    probs = np.zeros((n, height * width), np.float32)
    probs[np.arange(n), rng.integers(0, height * width, n)] = 1.0
    winners = rng.choice([-1.0, 1.0], n).astype(np.float32)
    return states, probs, winners


def test_first_loss_on_a_fresh_15x15_net_is_about_ln_moves_plus_one():
    net = net_module.PolicyValueNet(15, 15, seed=0)
    trainer = Trainer(net, TrainingConfig(batch_size=64, buffer_size=64, epochs=1))
    result = trainer.update(*_batch(np.random.default_rng(0), 64, 15, 15))
    # policy term ~ ln(225) = 5.42 on a fresh net, value term ~ mean(z^2) = 1
    assert result.loss > 4
    assert abs(result.loss - (math.log(225) + 1)) < 0.5
    assert abs(result.entropy - math.log(225)) < 0.2


def test_loss_falls_over_updates_on_fixed_data():
    net = net_module.PolicyValueNet(4, 4, seed=1)
    trainer = Trainer(net, TrainingConfig(batch_size=32, buffer_size=32))
    data = _batch(np.random.default_rng(1), 32, 4, 4)
    results = [trainer.update(*data) for _ in range(15)]
    # the first train step's loss is the fresh net's
    assert results[0].epoch_losses[0] == pytest.approx(math.log(16) + 1, abs=0.4)
    assert results[-1].loss < results[0].loss - 0.5
    assert results[-1].explained_var_new > results[0].explained_var_old
    assert all(len(r.epoch_losses) <= 5 for r in results)
