"""SearchConfig: the settings of the AlphaZero PUCT search, as the pipeline reads them from YAML."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from gomoku.validation import (Choice, FieldError, Float, Fraction, InputError, Int,
                               check_fields)

MAX_PLAYOUTS = 10**9  # visit counts are int32; a cap this high is meant for a deadline
MAX_LEAF_BATCH = 64  # walks per tree and step; each needs a row of the evaluator's batch
MAX_GUMBEL_K = 1024  # root moves a Gumbel search considers (at most the board's points anyway)
ALGORITHMS = ("puct", "gumbel")


@dataclass(frozen=True)
class SearchConfig:
    """PUCT search settings (defaults are the reference trainer's).

    - ``c_puct`` > 0 weighs the prior term of ``Q + c_puct * P * sqrt(N_parent) / (1 + N)``;
    - ``n_playout`` >= 1 playouts per move, the first of which evaluates the root if it is new;
    - ``dirichlet_alpha`` > 0 and ``dirichlet_weight`` in [0, 1]: self-play mixes
      ``Dir(alpha)`` noise into the root's priors with this weight;
    - ``temp`` > 0: self-play samples moves from visit counts at this temperature;
    - ``temp_moves`` >= 0 (AlphaGo Zero's schedule): only the first ``temp_moves`` moves of a
      self-play game are sampled at ``temp``; later ones play the most visited move (the lowest
      index among equals), so results are less often decided by a sampled blunder. The policy
      target stays the visits at ``temp``; 0 samples every move (the reference);
    - ``seed`` >= 0: game ``i`` of a run draws its noise and moves from ``game_rng(seed, i)``;
    - ``leaf_batch`` in [1, MAX_LEAF_BATCH]: walks per tree and playout step, with virtual loss
      (``mcts.leaf_batch``); 1 is the exact search, one playout a step.
    - ``algorithm``: ``puct`` (the reference's search) or ``gumbel`` (``mcts.gumbel``: a fresh
      search of every move, sequential halving over the ``gumbel_k`` best root moves of a
      Gumbel-top-k draw, the improved policy of completed Q weighted by ``gumbel_c_visit`` and
      ``gumbel_c_scale`` as the target; no Dirichlet noise). Gumbel needs ``leaf_batch`` 1;
    - ``full_search_prob`` in [0, 1] (KataGo's playout cap randomization): in self-play, each
      move gets a full search of ``n_playout`` playouts with this probability, else a fast one
      of ``n_playout_fast`` (<= ``n_playout``), without noise, whose position keeps only its
      value target; 1 searches every move fully;
    - ``forced_playouts_k`` >= 0 (KataGo's forced playouts; PUCT, leaf_batch 1): a root move
      with prior ``P`` gets at least ``sqrt(k * P * N)`` of the root's ``N`` child visits, and
      self-play's policy target takes the visits forcing added back off (policy target
      pruning); 0 is off.
    """

    c_puct: float = 5.0
    n_playout: int = 400
    dirichlet_alpha: float = 0.3
    dirichlet_weight: float = 0.25
    temp: float = 1.0
    temp_moves: int = 0
    seed: int = 0
    leaf_batch: int = 1
    algorithm: str = "puct"
    gumbel_k: int = 16
    gumbel_c_visit: float = 50.0
    gumbel_c_scale: float = 1.0
    full_search_prob: float = 1.0
    n_playout_fast: int = 100
    forced_playouts_k: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self, c_puct=Float(high=1e6), n_playout=Int(1, MAX_PLAYOUTS),
                     dirichlet_alpha=Float(high=1e3), dirichlet_weight=Fraction(),
                     temp=Float(high=1e3), temp_moves=Int(0, MAX_PLAYOUTS), seed=Int(0, 2**63 - 1),
                     leaf_batch=Int(1, MAX_LEAF_BATCH), algorithm=Choice(ALGORITHMS),
                     gumbel_k=Int(1, MAX_GUMBEL_K), gumbel_c_visit=Float(0.0, 1e6, True),
                     gumbel_c_scale=Float(high=1e6), full_search_prob=Fraction(),
                     n_playout_fast=Int(1, MAX_PLAYOUTS),
                     forced_playouts_k=Float(0.0, 1e3, True))
        if self.algorithm == "gumbel" and self.leaf_batch > 1:
            raise FieldError("leaf_batch", f"must be 1 with the gumbel algorithm, "
                                           f"got {self.leaf_batch}")
        if self.algorithm == "gumbel" and self.forced_playouts_k > 0:
            raise FieldError("forced_playouts_k", "is for the puct algorithm: must be 0 with "
                                                  "gumbel")
        if self.forced_playouts_k > 0 and self.leaf_batch > 1:
            raise FieldError("forced_playouts_k", f"is for the exact search: must be 0 with "
                                                  f"leaf_batch {self.leaf_batch}")
        if self.full_search_prob < 1 and self.n_playout_fast > self.n_playout:
            raise FieldError("n_playout_fast", f"must be at most n_playout ({self.n_playout}), "
                                               f"got {self.n_playout_fast}")

    @property
    def gumbel(self) -> bool:
        return self.algorithm == "gumbel"

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
