"""SearchConfig: the settings of the AlphaZero PUCT search, as the pipeline reads them from YAML."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np


def _is_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


@dataclass(frozen=True)
class SearchConfig:
    """PUCT search settings (defaults are the reference trainer's).

    - ``c_puct`` > 0 weighs the prior term of ``Q + c_puct * P * sqrt(N_parent) / (1 + N)``;
    - ``n_playout`` >= 1 playouts per move, the first of which evaluates the root if it is new;
    - ``dirichlet_alpha`` > 0 and ``dirichlet_weight`` in [0, 1]: self-play mixes
      ``Dir(alpha)`` noise into the root's priors with this weight;
    - ``temp`` > 0: self-play samples moves from visit counts at this temperature;
    - ``seed`` >= 0: game ``i`` of a run draws its noise and moves from ``game_rng(seed, i)``.
    """

    c_puct: float = 5.0
    n_playout: int = 400
    dirichlet_alpha: float = 0.3
    dirichlet_weight: float = 0.25
    temp: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("c_puct", "dirichlet_alpha", "temp"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"SearchConfig.{name} must be a positive number, got {value!r}")
            object.__setattr__(self, name, float(value))
        weight = self.dirichlet_weight
        if not _is_number(weight) or not 0.0 <= weight <= 1.0:
            raise ValueError(f"SearchConfig.dirichlet_weight must be in [0, 1], got {weight!r}")
        object.__setattr__(self, "dirichlet_weight", float(weight))
        if not _is_int(self.n_playout) or self.n_playout < 1:
            raise ValueError(
                f"SearchConfig.n_playout must be a positive integer, got {self.n_playout!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"SearchConfig.seed must be an integer >= 0, got {self.seed!r}")
        object.__setattr__(self, "n_playout", int(self.n_playout))
        object.__setattr__(self, "seed", int(self.seed))

    @classmethod
    def from_dict(cls, values: dict) -> "SearchConfig":
        """A config from a mapping (e.g. a YAML section); unknown keys are an error."""
        if not isinstance(values, dict):
            raise ValueError(f"search config must be a mapping, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown search config key(s): {', '.join(map(str, unknown))}")
        return cls(**values)


def game_rng(seed: int, game_index: int) -> np.random.Generator:
    """The generator of one game: its root noise and its sampled moves, nothing else."""
    return np.random.default_rng([seed, game_index])
