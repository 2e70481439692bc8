"""Batched self-play: G games searched together, one evaluator call per playout step.

Every game has its own search under way; a step gives each a playout, and a game whose search
is done plays its move and starts the next search, so games whose searches differ in size
(playout cap randomization) still share every network call.

Invariants:
- Game ``i`` of a run (``first_game`` + position in the run) draws from ``game_rng(config.seed,
  i)`` only, every move in this order: whether the search is full (only when
  ``full_search_prob`` < 1), then the root's noise (PUCT: Dirichlet, full searches only;
  Gumbel: the Gumbel draws), then the move (PUCT, while fewer than ``temp_moves`` moves are
  played, or always when it is 0). Its moves and records depend on nothing
  else than the evaluator, so the games of a batch are the games played one at a time, and
  with the reference's settings game 0 is ``MCTSPlayer(..., is_selfplay=1, seed=config.seed)``
  playing itself at ``config.temp``.
- Player 1 moves first in every game (the reference's ``start_self_play``).
- PUCT: moves are sampled from the root visits at ``config.temp`` (after ``temp_moves`` moves,
  if set, the most visited is played); the tree of the move played is kept. Gumbel: the search's chosen move is played, and every move is searched afresh.
- Policy targets: the visit distribution at ``config.temp`` (pruned of forced playouts when
  ``forced_playouts_k`` > 0), or Gumbel's improved policy; all zero after a fast search, which
  leaves its position a value target only (the loss's policy term is 0 on such a row).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gomoku.board import Board
from gomoku.board_config import BoardConfig
from gomoku.rules import DRAW
from gomoku.validation import Int

from .analysis import root_q, root_value
from .batched import BatchedSearch, dirichlet_noise, pruned_visits, visit_distribution
from .search_config import SearchConfig, game_rng


@dataclass(frozen=True)
class GameRecord:
    """One finished self-play game, one row per position where a move was searched."""

    game_index: int
    states: np.ndarray  # float32 [T, 4, H, W]: Board.current_state() before the move
    mcts_probs: np.ndarray  # float32 [T, H*W]: the policy target, zero after a fast search
    z: np.ndarray  # float32 [T]: the result for the player to move (1 win, -1 loss, 0 draw)
    moves: np.ndarray  # int32 [T]: the moves played
    root_values: np.ndarray  # float32 [T]: the search's value for the player to move
    # (analysis.root_value), what a value target mixing in the search's Q takes
    winner: int  # PLAYER_1 or PLAYER_2, or DRAW
    generation: int = 0  # the weights' generation it started with (distributed self-play)
    full_searches: int = -1  # moves with a full search (playout cap randomization); -1: all

    @property
    def policy_targets(self) -> int:
        """Positions with a policy target (the others had a fast search)."""
        return self.length if self.full_searches < 0 else self.full_searches

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
    root_values: list = field(default_factory=list)
    full: list = field(default_factory=list)  # bool per move: its search was full
    left: int = 0  # playouts left in the search of the move to play
    full_search: bool = True  # that search is full

    def record(self, winner: int) -> GameRecord:
        players = np.array(self.players)
        z = np.zeros(len(players), np.float32)
        if winner != DRAW:
            z[:] = np.where(players == winner, 1.0, -1.0)
        return GameRecord(self.index, np.stack(self.states),
                          np.stack(self.probs).astype(np.float32), z,
                          np.array(self.moves, np.int32),
                          np.array(self.root_values, np.float32), winner,
                          full_searches=int(sum(self.full)))


class SelfPlay:
    """Up to ``n_parallel`` self-play games at a time on one BatchedSearch (one tree per slot).

    ``evaluate(states float32 [B, 4, H, W]) -> (priors [B, H*W], values [B])`` is called with
    ``B <= n_parallel`` rows per step (``n_threads`` > 1: see ``BatchedSearch``). ``search``
    exposes the benchmark counters; ``full_searches`` counts the full searches done.
    """

    def __init__(self, evaluate, board: BoardConfig, config: SearchConfig, n_parallel: int,
                 n_threads: int = 1):
        self.evaluate = evaluate
        self.config = config
        self.search = BatchedSearch(board, n_parallel, config, n_threads)
        self._slots: list[_Game | None] = [None] * self.search.n_trees
        self.moves_played = 0
        self.full_searches = 0

    @property
    def n_active(self) -> int:
        return sum(game is not None for game in self._slots)

    def start_game(self, game_index: int) -> None:
        """Begin game ``game_index`` in a free slot (ValueError if none is free)."""
        if None not in self._slots:
            raise ValueError(f"no free slot: {self.search.n_trees} games are already being played")
        slot = self._slots.index(None)
        board = Board.from_config(self.search.board)
        game = _Game(game_index, board, game_rng(self.config.seed, game_index))
        self._slots[slot] = game
        self.search.reset(slot, board)
        self._begin_search(slot, game)

    def _begin_search(self, slot: int, game: _Game) -> None:
        """Draw the next move's search (full or fast, its noise) and set its tree."""
        cfg = self.config
        game.full_search = cfg.full_search_prob >= 1 or bool(game.rng.random() <
                                                             cfg.full_search_prob)
        game.left = cfg.n_playout if game.full_search else cfg.n_playout_fast
        if cfg.gumbel:
            gumbel = game.rng.gumbel(size=(1, self.search.n_moves))
            self.search.set_gumbel([slot], gumbel, game.left)
        elif game.full_search and cfg.dirichlet_weight > 0:
            legal = game.board.legal_mask()
            self.search.add_root_noise([slot], dirichlet_noise(game.rng, legal,
                                                               cfg.dirichlet_alpha)[None])

    def play_move(self) -> list[GameRecord]:
        """Step every active game's search until at least one is done, and play the moves of
        those; returns the games that ended. When all searches have one size, every active
        game plays one move."""
        slots = [i for i, game in enumerate(self._slots) if game is not None]
        if not slots:
            return []
        steps = min(self._slots[i].left for i in slots)
        self.search.run(self.evaluate, slots, playouts=steps)
        finished = []
        for slot in slots:
            game = self._slots[slot]
            game.left -= steps
            if game.left == 0:
                record = self._play(slot, game)
                if record is not None:
                    finished.append(record)
        return finished

    def _play(self, slot: int, game: _Game) -> GameRecord | None:
        """Play the move game's finished search chose; its record if the game ended."""
        cfg = self.config
        legal = game.board.legal_mask()
        if cfg.gumbel:
            move = int(self.search.chosen_moves([slot])[0])
            target = self.search.improved_policy([slot])[0]
        else:
            visits = self.search.root_visits([slot])[0]
            probs = visit_distribution(visits, legal, cfg.temp)
            if cfg.temp_moves and len(game.moves) >= cfg.temp_moves:
                move = int(np.argmax(np.where(legal, visits, -1)))
            else:
                move = int(game.rng.choice(probs.size, p=probs))
            target = probs
            if cfg.forced_playouts_k > 0 and game.full_search:
                target = visit_distribution(pruned_visits(
                    visits, self.search.tree.child_prior[slot, 0], root_q(self.search, slot),
                    cfg.c_puct, cfg.forced_playouts_k), legal, cfg.temp)
        game.states.append(game.board.current_state())
        game.probs.append(target if game.full_search else np.zeros_like(target))
        game.players.append(game.board.current_player)
        game.moves.append(move)
        game.root_values.append(root_value(self.search, slot))
        game.full.append(game.full_search)
        self.moves_played += 1
        self.full_searches += int(game.full_search)
        game.board.do_move(move)
        ended, winner = game.board.game_end()
        if ended:
            self._slots[slot] = None
            return game.record(winner)
        if cfg.gumbel:
            self.search.reset(slot, game.board)
        else:
            self.search.advance(slot, move)
        self._begin_search(slot, game)
        return None

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
