"""Batched self-play: G games searched together, one evaluator call per playout step.

Invariants:
- Game ``i`` of a run (``first_game`` + position in the run) draws its root noise and its moves
  from ``game_rng(config.seed, i)`` only, noise first then the move, every move. Its moves and
  records depend on nothing else than the evaluator, so the games of a batch are the games
  played one at a time, and game 0 is ``MCTSPlayer(..., is_selfplay=1, seed=config.seed)``
  playing itself at ``config.temp``.
- Player 1 moves first in every game (the reference's ``start_self_play``).
- Moves are sampled from the root visits at ``config.temp``; the tree of the move played is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gomoku.board import Board
from gomoku.board_config import BoardConfig
from gomoku.rules import DRAW
from gomoku.validation import Int

from .batched import BatchedSearch, dirichlet_noise, visit_distribution
from .search_config import SearchConfig, game_rng


@dataclass(frozen=True)
class GameRecord:
    """One finished self-play game, one row per position where a move was searched."""

    game_index: int
    states: np.ndarray  # float32 [T, 4, H, W]: Board.current_state() before the move
    mcts_probs: np.ndarray  # float32 [T, H*W]: root visit distribution at temp
    z: np.ndarray  # float32 [T]: the result for the player to move (1 win, -1 loss, 0 draw)
    moves: np.ndarray  # int32 [T]: the moves played
    winner: int  # PLAYER_1 or PLAYER_2, or DRAW
    generation: int = 0  # the weights' generation it started with (distributed self-play)

    @property
    def length(self) -> int:
        return len(self.moves)


@dataclass
class _Game:
    index: int
    board: Board
    rng: np.random.Generator
    states: list = field(default_factory=list)
    probs: list = field(default_factory=list)
    players: list = field(default_factory=list)
    moves: list = field(default_factory=list)

    def record(self, winner: int) -> GameRecord:
        players = np.array(self.players)
        z = np.zeros(len(players), np.float32)
        if winner != DRAW:
            z[:] = np.where(players == winner, 1.0, -1.0)
        return GameRecord(self.index, np.stack(self.states),
                          np.stack(self.probs).astype(np.float32), z,
                          np.array(self.moves, np.int32), winner)


class SelfPlay:
    """Up to ``n_parallel`` self-play games at a time on one BatchedSearch (one tree per slot).

    ``evaluate(states float32 [B, 4, H, W]) -> (priors [B, H*W], values [B])`` is called with
    ``B <= n_parallel`` rows per step (``n_threads`` > 1: see ``BatchedSearch``). ``search``
    exposes the benchmark counters.
    """

    def __init__(self, evaluate, board: BoardConfig, config: SearchConfig, n_parallel: int,
                 n_threads: int = 1):
        self.evaluate = evaluate
        self.config = config
        self.search = BatchedSearch(board, n_parallel, config, n_threads)
        self._slots: list[_Game | None] = [None] * self.search.n_trees
        self.moves_played = 0

    @property
    def n_active(self) -> int:
        return sum(game is not None for game in self._slots)

    def start_game(self, game_index: int) -> None:
        """Begin game ``game_index`` in a free slot (ValueError if none is free)."""
        if None not in self._slots:
            raise ValueError(f"no free slot: {self.search.n_trees} games are already being played")
        slot = self._slots.index(None)
        board = Board.from_config(self.search.board)
        self._slots[slot] = _Game(game_index, board, game_rng(self.config.seed, game_index))
        self.search.reset(slot, board)

    def play_move(self) -> list[GameRecord]:
        """Search and play one move in every active game; returns the games that ended."""
        slots = [i for i, game in enumerate(self._slots) if game is not None]
        if not slots:
            return []
        games = [self._slots[i] for i in slots]
        legal = np.stack([game.board.legal_mask() for game in games])  # bool [K, A]
        noise = None
        if self.config.dirichlet_weight > 0:
            noise = np.stack([dirichlet_noise(game.rng, legal[k], self.config.dirichlet_alpha)
                              for k, game in enumerate(games)])
        self.search.run(self.evaluate, slots, noise)
        visits = self.search.root_visits(slots)
        finished = []
        for k, (slot, game) in enumerate(zip(slots, games)):
            probs = visit_distribution(visits[k], legal[k], self.config.temp)
            move = int(game.rng.choice(probs.size, p=probs))
            game.states.append(game.board.current_state())
            game.probs.append(probs)
            game.players.append(game.board.current_player)
            game.moves.append(move)
            game.board.do_move(move)
            ended, winner = game.board.game_end()
            if ended:
                finished.append(game.record(winner))
                self._slots[slot] = None
            else:
                self.search.advance(slot, move)
        self.moves_played += len(slots)
        return finished

    def play_games(self, n_games: int, first_game: int = 0) -> list[GameRecord]:
        """Play games ``first_game .. first_game + n_games - 1`` to the end, refilling free slots.

        Returns their records ordered by game index. Games already active are played on too, and
        their records are returned if they end meanwhile.
        """
        Int(0).check("n_games", n_games)
        next_game, stop = first_game, first_game + n_games
        records = []
        while next_game < stop or self.n_active:
            while next_game < stop and None in self._slots:
                self.start_game(next_game)
                next_game += 1
            records.extend(self.play_move())
        return sorted(records, key=lambda r: r.game_index)


def play_games(evaluate, board: BoardConfig, config: SearchConfig, n_games: int,
               n_parallel: int | None = None, first_game: int = 0,
               n_threads: int = 1) -> list[GameRecord]:
    """Self-play ``n_games`` games, ``n_parallel`` (default: all) at a time; see ``SelfPlay``."""
    n_parallel = n_games if n_parallel is None else n_parallel
    runner = SelfPlay(evaluate, board, config, max(1, min(n_parallel, n_games)), n_threads)
    return runner.play_games(n_games, first_game)
