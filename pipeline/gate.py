"""The gate (AlphaGo Zero's evaluator): the current net against the best net so far.

After the match against pure MCTS, with ``evaluation.gate`` on, the current net (A) plays the
best net (B) a match (match.py) of ``evaluation.n_games`` games from the same balanced openings,
both searching as ``evaluation.search`` says. At a score of at least ``GATE_SCORE`` the current
weights become the best (the run writes them to best_policy.model).

The best weights are the caller's (the run keeps those of best_policy.model, and its checkpoints
keep them, so a resumed run gates against the same best); before the first new best they are the
run's initial weights, kept here from the start. They are played by a second PolicyValueNet,
made at the first gate.
"""
from __future__ import annotations

from dataclasses import dataclass

from mcts.search_config import SearchConfig

from . import match
from .players import NetPlayer

GATE_SCORE = 0.55


@dataclass(frozen=True)
class GateResult:
    """The current net's wins, losses and draws against the best, its score, and whether it
    became the best."""

    wins: int
    losses: int
    draws: int
    score: float
    replaced: bool


class Gate:
    """Plays the current net against the best weights (``challenge``)."""

    def __init__(self, net):
        self._initial = net.get_weights_and_optimizer()  # the best until a first new best
        self._best = None  # the PolicyValueNet that plays the best weights

    def challenge(self, net, best_weights: dict | None, search: SearchConfig, n_games: int,
                  openings, seed: int) -> GateResult:
        """Play ``net`` against ``best_weights`` (``get_weights_and_optimizer`` arrays; None:
        the initial weights); ``replaced`` when its score is at least GATE_SCORE."""
        if self._best is None:
            from net import PolicyValueNet
            self._best = PolicyValueNet.for_game(net.board, net.config)
        self._best.set_weights_and_optimizer(self._initial if best_weights is None
                                             else best_weights)
        result = match.play_games(NetPlayer(net, search, "current net"),
                                  NetPlayer(self._best, search, "best net"), net.board, n_games,
                                  openings, seed, desc="gate vs best")
        c = result.counts()
        return GateResult(c.wins, c.losses, c.draws, c.score, c.score >= GATE_SCORE)
