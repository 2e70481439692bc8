"""SearchConfig: the settings of the AlphaZero PUCT search, as the pipeline reads them from YAML."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from gomoku.validation import Float, Fraction, InputError, Int, check_fields

MAX_PLAYOUTS = 10**9  # visit counts are int32; a cap this high is meant for a deadline
MAX_LEAF_BATCH = 64  # walks per tree and step; each needs a row of the evaluator's batch


@dataclass(frozen=True)
class SearchConfig:
    """PUCT search settings (defaults are the reference trainer's).

    - ``c_puct`` > 0 weighs the prior term of ``Q + c_puct * P * sqrt(N_parent) / (1 + N)``;
    - ``n_playout`` >= 1 playouts per move, the first of which evaluates the root if it is new;
    - ``dirichlet_alpha`` > 0 and ``dirichlet_weight`` in [0, 1]: self-play mixes
      ``Dir(alpha)`` noise into the root's priors with this weight;
    - ``temp`` > 0: self-play samples moves from visit counts at this temperature;
    - ``seed`` >= 0: game ``i`` of a run draws its noise and moves from ``game_rng(seed, i)``;
    - ``leaf_batch`` in [1, MAX_LEAF_BATCH]: walks per tree and playout step, with virtual loss
      (``mcts.leaf_batch``); 1 is the exact search, one playout a step.
    """

    c_puct: float = 5.0
    n_playout: int = 400
    dirichlet_alpha: float = 0.3
    dirichlet_weight: float = 0.25
    temp: float = 1.0
    seed: int = 0
    leaf_batch: int = 1

    def __post_init__(self) -> None:
        check_fields(self, c_puct=Float(high=1e6), n_playout=Int(1, MAX_PLAYOUTS),
                     dirichlet_alpha=Float(high=1e3), dirichlet_weight=Fraction(),
                     temp=Float(high=1e3), seed=Int(0, 2**63 - 1),
                     leaf_batch=Int(1, MAX_LEAF_BATCH))

    @classmethod
    def from_dict(cls, values: dict) -> "SearchConfig":
        """A config from a mapping (e.g. a YAML section); unknown keys are an error."""
        if not isinstance(values, dict):
            raise InputError(f"search config must be a mapping, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown search config key(s): {', '.join(map(str, unknown))}")
        return cls(**values)


def game_rng(seed: int, game_index: int) -> np.random.Generator:
    """The generator of one game: its root noise and its sampled moves, nothing else."""
    return np.random.default_rng([seed, game_index])
