"""The players of a match, and the specs that name them.

A spec is one of::

    model:PATH[:PLAYOUTS]   a saved net (PUCT search, PLAYOUTS a move, default 400); a bare PATH too
    pure:N                  pure-rollout MCTS with N playouts a move
    random                  a uniformly random legal move
    pbrain:COMMAND ARGS     a Gomocup protocol engine, one argument split like a shell (shlex)

A player answers ``moves(games)`` for the games of a match that wait for it, all at once, and
gets ``start(board, n_games, seed)`` before each match. Invariants: a net searches every waiting
game in one ``BatchedSearch.search`` (one network call per playout step) without noise, with a
fresh tree each move, and plays its most visited move; pure MCTS runs its games' searches on a
thread pool (the compiled search releases the GIL); the moves of a pure or random player in game
``i`` of a match depend only on its seed and ``i``, never on thread timing. Only an engine can
fail to move: its ``moves`` gives a ``Forfeit`` saying why, for that game alone.
"""
from __future__ import annotations

import os
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gomoku import Board, BoardConfig, InputError
from mcts import MCTSPurePlayer
from mcts.batched import BatchedSearch
from mcts.search_config import SearchConfig

from .brain import C_PUCT, net_brain
from .gomocup_manager import EngineFailure, EngineProcess

DEFAULT_NET_PLAYOUTS = 400
DEFAULT_TURN_MS = 5000
SPEC_FORMS = "model:PATH[:PLAYOUTS], a model file, pure:N, random or pbrain:COMMAND"


class SpecError(InputError):
    """A player spec that names no usable player (one line naming the spec)."""


@dataclass
class GameState:
    """A game of a match as a player sees it: its number, position and every move so far."""

    index: int
    board: Board
    history: list[int]  # from the empty board, opening included, alternating from black


@dataclass(frozen=True)
class Forfeit:
    """A player that gave no legal move: it loses the game."""

    reason: str


def _game_seeds(seed: int, n_games: int) -> list[int]:
    """One 32-bit seed per game, from ``(seed, game)``."""
    return [int(np.random.SeedSequence([seed, i]).generate_state(1)[0]) for i in range(n_games)]


class NetPlayer:
    """A net searching ``search.n_playout`` playouts a move (no noise; ``chosen_moves``)."""

    def __init__(self, net, search: SearchConfig, label: str, spec: str | None = None):
        self.net, self.search, self.label = net, search, label
        self.spec = spec or label
        self.board = net.board
        self._searcher = None

    def start(self, board: BoardConfig, n_games: int, seed: int) -> None:
        self._searcher = BatchedSearch(board, n_games, self.search)

    def moves(self, games: list[GameState]) -> list[int]:
        self._searcher.search([g.board for g in games], self.net.evaluate)
        return [int(m) for m in self._searcher.chosen_moves(np.arange(len(games)))]

    def close(self) -> None:
        self._searcher = None


class PurePlayer:
    """Pure-rollout MCTS of ``playouts`` playouts a move, its games' moves on a thread pool."""

    board = None

    def __init__(self, playouts: int, c_puct: float = C_PUCT, threads: int | None = None,
                 spec: str | None = None):
        self.playouts, self.c_puct = playouts, c_puct
        self.threads = threads or os.cpu_count() or 1
        self.label = f"pure MCTS ({playouts} playouts)"
        self.spec = spec or f"pure:{playouts}"
        self._players, self._pool = [], None

    def start(self, board: BoardConfig, n_games: int, seed: int) -> None:
        self._players = [MCTSPurePlayer(c_puct=self.c_puct, n_playout=self.playouts, seed=s)
                         for s in _game_seeds(seed, n_games)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads)

    def moves(self, games: list[GameState]) -> list[int]:
        return list(self._pool.map(lambda g: int(self._players[g.index].get_action(g.board)),
                                   games))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class RandomPlayer:
    """A uniformly random legal move, from one generator per game."""

    board = None
    label = "random"
    spec = "random"

    def __init__(self):
        self._rngs = []

    def start(self, board: BoardConfig, n_games: int, seed: int) -> None:
        self._rngs = [np.random.default_rng(s) for s in _game_seeds(seed, n_games)]

    def moves(self, games: list[GameState]) -> list[int]:
        return [int(self._rngs[g.index].choice(g.board.legal_moves())) for g in games]

    def close(self) -> None:
        pass


class EnginePlayer:
    """A Gomocup engine process (see gomocup_manager), asked game after game."""

    board = None

    def __init__(self, command: str, argv: list[str], turn_ms: int):
        self.spec, self.label = f"pbrain:{command}", f"engine {command}"
        self.engine = EngineProcess(argv, turn_ms)
        self._board, self._match = None, 0

    def start(self, board: BoardConfig, n_games: int, seed: int) -> None:
        """Start the engine and see that it takes the board: SpecError if not."""
        try:
            self.engine.check(board)
        except EngineFailure as exc:
            raise SpecError(f"{self.spec}: {exc}") from None
        self._board = board
        self._match += 1  # a new match: no game of the last one is the engine's current game

    def moves(self, games: list[GameState]) -> list[int | Forfeit]:
        out = []
        for g in games:
            try:
                out.append(self.engine.move((self._match, g.index), self._board, g.history))
            except EngineFailure as exc:
                out.append(Forfeit(f"engine {exc}"))
        return out

    def close(self) -> None:
        self.engine.close()


def _positive(spec: str, text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SpecError(f"player {spec!r}: {what} must be a positive integer, got {text!r}")
    return int(text)


def parse_spec(spec: str, turn_ms: int = DEFAULT_TURN_MS, threads: int | None = None,
               base: Path | None = None):
    """The player a spec names (see the module docstring); SpecError when it names none.

    A relative model path is taken from ``base`` when given (else the working directory). A model
    spec loads the net (and imports TensorFlow); an engine is started by ``start``.
    """
    kind, sep, rest = spec.partition(":")
    if spec == "random":
        return RandomPlayer()
    if sep and kind == "pure":
        return PurePlayer(_positive(spec, rest, "pure MCTS playouts"), threads=threads, spec=spec)
    if sep and kind == "pbrain":
        try:
            argv = shlex.split(rest)
        except ValueError as exc:
            raise SpecError(f"player {spec!r}: cannot split the command: {exc}") from None
        if not argv:
            raise SpecError(f"player {spec!r}: pbrain: needs a command")
        return EnginePlayer(rest.strip(), argv, turn_ms)
    text, playouts = spec, DEFAULT_NET_PLAYOUTS
    if sep and kind == "model":
        text = rest
        head, colon, tail = rest.rpartition(":")
        if colon and tail.isascii() and tail.isdigit():
            text, playouts = head, _positive(spec, tail, "the net's playouts")
    path = Path(text) if base is None else Path(base) / text
    if not (text and path.is_file()):
        if not (sep and kind == "model"):
            raise SpecError(f"player {spec!r}: not a player ({SPEC_FORMS}) and no such file")
        raise SpecError(f"player {spec!r}: no model file {str(path)!r}")
    brain = net_brain(path, playouts)
    return NetPlayer(brain.net, SearchConfig(n_playout=playouts, c_puct=C_PUCT), brain.label,
                     spec)
