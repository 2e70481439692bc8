"""The learner: the reference trainer's KL-adaptive policy update.

One update: keep the net's policy and values on a minibatch, run up to ``epochs`` train steps on
it at ``learn_rate * lr_multiplier``, stop early once KL(old || new) exceeds ``4 * kl_targ``, then
adapt the multiplier from the last KL (``adapt_multiplier``). The loss and entropy reported are
those the last train step returned (computed before its weight change, as TF1's session.run did).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .run_config import TrainingConfig

KL_STOP_FACTOR = 4.0  # stop the epochs once kl > 4 * kl_targ
KL_HIGH_FACTOR = 2.0  # kl > 2 * kl_targ: lower the multiplier
KL_LOW_FACTOR = 0.5  # kl < kl_targ / 2: raise the multiplier
MULTIPLIER_STEP = 1.5
MULTIPLIER_MIN = 0.1  # lowered only while above this ...
MULTIPLIER_MAX = 10.0  # ... raised only while below this
LOG_EPSILON = 1e-10  # keeps log() finite for zero probabilities, as the reference does


def adapt_multiplier(kl: float, multiplier: float, kl_targ: float) -> float:
    """The reference rule: /1.5 when kl is high and multiplier > 0.1, *1.5 when low and < 10."""
    if kl > kl_targ * KL_HIGH_FACTOR and multiplier > MULTIPLIER_MIN:
        return multiplier / MULTIPLIER_STEP
    if kl < kl_targ * KL_LOW_FACTOR and multiplier < MULTIPLIER_MAX:
        return multiplier * MULTIPLIER_STEP
    return multiplier


def kl_divergence(old_probs: np.ndarray, new_probs: np.ndarray) -> float:
    """Batch mean of KL(old || new); both float [N, H*W]."""
    return float(np.mean(np.sum(
        old_probs * (np.log(old_probs + LOG_EPSILON) - np.log(new_probs + LOG_EPSILON)), axis=1)))


def explained_variance(winners: np.ndarray, values: np.ndarray) -> float:
    """1 - var(z - v) / var(z); NaN when every z is equal (no variance to explain)."""
    var_z = float(np.var(winners))
    if var_z == 0.0:
        return float("nan")
    return 1.0 - float(np.var(winners - values)) / var_z


@dataclass
class UpdateResult:
    kl: float
    lr_multiplier: float  # after adaptation
    loss: float
    entropy: float
    explained_var_old: float
    explained_var_new: float
    epoch_losses: list[float] = field(default_factory=list)  # one per train step run


class Trainer:
    """Runs KL-adaptive updates of ``net`` (a net.PolicyValueNet) and owns the lr multiplier."""

    def __init__(self, net, config: TrainingConfig, lr_multiplier: float | None = None):
        self.net = net
        self.config = config
        self.lr_multiplier = config.lr_multiplier if lr_multiplier is None else lr_multiplier

    def update(self, states: np.ndarray, mcts_probs: np.ndarray, winners: np.ndarray) -> UpdateResult:
        """One update on a minibatch: states float32 [N, 4, H, W], mcts_probs [N, H*W], winners [N]."""
        cfg = self.config
        old_probs, old_values = self.net.policy_value(states)
        old_values = np.asarray(old_values).reshape(-1)
        learn_rate = cfg.learn_rate * self.lr_multiplier
        losses = []
        for _ in range(cfg.epochs):
            loss, entropy = self.net.train_step(states, mcts_probs, winners, learn_rate)
            losses.append(float(loss))
            new_probs, new_values = self.net.policy_value(states)
            kl = kl_divergence(old_probs, new_probs)
            if kl > cfg.kl_targ * KL_STOP_FACTOR:
                break
        self.lr_multiplier = adapt_multiplier(kl, self.lr_multiplier, cfg.kl_targ)
        new_values = np.asarray(new_values).reshape(-1)
        return UpdateResult(
            kl=kl, lr_multiplier=self.lr_multiplier, loss=float(loss), entropy=float(entropy),
            explained_var_old=explained_variance(winners, old_values),
            explained_var_new=explained_variance(winners, new_values),
            epoch_losses=losses)
