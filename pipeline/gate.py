"""The gate (AlphaGo Zero's evaluator): the current net against the best net so far.

After the match against pure MCTS, with ``evaluation.gate`` on, the current net (A) plays the
best net (B) a match (match.py) of ``evaluation.n_games`` games from the same balanced openings,
both searching as ``evaluation.search`` says. At a score of at least ``GATE_SCORE`` the best net
takes the current weights (and the run writes best_policy.model).

The best net is a second PolicyValueNet, made at the first gate: from ``best_file`` when the run
directory holds one (a resumed run), else from the run's initial weights, kept from the start.
best_policy.model is written at each new best, not with the checkpoints: a run resumed from a
checkpoint older than its last new best meets that newer best at its next gate.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    """Holds the best net; ``challenge`` plays the current net against it."""

    def __init__(self, net, best_file: Path):
        self._initial = net.get_weights_and_optimizer()  # the best net until one is made
        self._best_file = Path(best_file)
        self.best = None

    def _best_net(self, like):
        if self.best is None:
            from net import PolicyValueNet
            if self._best_file.is_file():
                self.best = PolicyValueNet.from_model_file(self._best_file)
            else:
                self.best = PolicyValueNet.for_game(like.board, like.config)
                self.best.set_weights_and_optimizer(self._initial)
            self._initial = None
        return self.best

    def challenge(self, net, search: SearchConfig, n_games: int, openings,
                  seed: int) -> GateResult:
        """Play ``net`` against the best net; the best takes its weights on a score of at least
        GATE_SCORE."""
        best = self._best_net(net)
        result = match.play_games(NetPlayer(net, search, "current net"),
                                  NetPlayer(best, search, "best net"), net.board, n_games,
                                  openings, seed, desc="gate vs best")
        c = result.counts()
        replaced = c.score >= GATE_SCORE
        if replaced:
            best.set_weights_and_optimizer(net.get_weights_and_optimizer())
        return GateResult(c.wins, c.losses, c.draws, c.score, replaced)
