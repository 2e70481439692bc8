"""The programs the GUI plays against, and what one search of theirs found (a ``Thought``).

Invariants:
- ``think(board, thinking)`` searches ``board`` (a game not over, never modified) and returns
  the move to play, always an empty point, with the root's visit counts; a net's thought also has
  each root move's mean value (Q), the net's policy and value for the player to move and the
  principal variation; pure MCTS has only its visit counts (the other fields are None).
- Every value is seen by the player to move on the board searched, in [-1, 1].
- ``think`` may run in several threads at once: each call builds its own search, and a net's
  evaluations are serialised by a lock, so TensorFlow is never called concurrently.
- A net plays only the board it was trained on (``board``); pure MCTS (``board`` None) any board.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import mcts
from gomoku import Board, BoardConfig
from mcts.analysis import principal_variation, root_q

from .. import brain
from ..brain import C_PUCT  # the reference's, as `play` and `pbrain` search
from .errors import ApiError, quoted

PLAYOUT_LIMITS = (2, 100_000)  # playouts a move may be given; 2: the root's evaluation, one move
MS_LIMITS = (10, 60_000)  # milliseconds a move may be given
DEFAULT_MS = 1000
TIMED_PLAYOUT_CAP = 100_000  # a timed move stops here too: bounds a search's memory on a fast board
NET_DEFAULT_PLAYOUTS = 400  # as `gomoku-zero play`
PURE_DEFAULT_PLAYOUTS = 1000  # as `gomoku-zero play --pure 1000` and the training's first opponent
PV_MOVES = 10


@dataclass(frozen=True)
class Thinking:
    """How long a move is searched: ``mode`` "playouts" (``amount`` playouts) or "ms" (``amount``
    milliseconds, and TIMED_PLAYOUT_CAP playouts at most)."""

    mode: str
    amount: int

    @classmethod
    def from_json(cls, body: dict, default_playouts: int) -> "Thinking":
        """From a request body ``{"mode": ..., "amount": ...}`` (both optional; default:
        ``default_playouts`` playouts); ApiError naming what is wrong."""
        unknown = sorted(set(body) - {"mode", "amount"})
        if unknown:
            raise ApiError(f"unknown field {quoted(unknown[0])}: thinking takes mode and amount")
        mode = body.get("mode", "playouts")
        if mode not in ("playouts", "ms"):
            raise ApiError(f"mode must be \"playouts\" or \"ms\", got {quoted(mode)}")
        low, high = PLAYOUT_LIMITS if mode == "playouts" else MS_LIMITS
        amount = body.get("amount", default_playouts if mode == "playouts" else DEFAULT_MS)
        if isinstance(amount, bool) or not isinstance(amount, int) or not low <= amount <= high:
            raise ApiError(f"amount of {mode} must be a whole number from {low} to {high}, "
                           f"got {quoted(amount)}")
        return cls(mode, amount)

    def limits(self, start: float) -> tuple[int, float | None]:
        """(playout cap, ``time.monotonic()`` deadline or None) of a search started at ``start``."""
        if self.mode == "playouts":
            return self.amount, None
        return TIMED_PLAYOUT_CAP, start + self.amount / 1000


@dataclass
class Thought:
    """One search of a position: see the module docstring for what each field holds."""

    move: int
    playouts: int
    seconds: float
    visits: np.ndarray  # int [A]: visits of each root move, 0 on occupied points
    q: np.ndarray | None = None  # float32 [A]: mean value of each root move, NaN where unvisited
    policy: np.ndarray | None = None  # float [A]: the net's priors over the empty points
    value: float | None = None  # the net's value of the position
    pv: list[int] | None = None  # the principal variation, starting with the best move

    def to_json(self) -> dict:
        def numbers(array, digits):
            return None if array is None else [None if np.isnan(x) else round(float(x), digits)
                                               for x in array]
        return {"move": self.move, "playouts": self.playouts, "seconds": round(self.seconds, 4),
                "visits": [int(v) for v in self.visits], "q": numbers(self.q, 4),
                "policy": numbers(self.policy, 5),
                "value": None if self.value is None else round(self.value, 4), "pv": self.pv}


def best_move(visits: np.ndarray, board: Board) -> int:
    """The most visited legal point (lowest move number on ties): an empty point, and under
    renju not one forbidden to black."""
    return int(np.argmax(np.where(board.legal_mask(), visits, -1)))


class PureEngine:
    """Pure-rollout MCTS (``mcts.MCTSPurePlayer``) on any board; a new random seed every move."""

    kind = "pure"
    board = None
    label = "pure MCTS"
    default_playouts = PURE_DEFAULT_PLAYOUTS

    def think(self, board: Board, thinking: Thinking) -> Thought:
        start = time.monotonic()
        cap, deadline = thinking.limits(start)
        player = mcts.MCTSPurePlayer(c_puct=C_PUCT, n_playout=cap)
        move, shares = player.get_action(board, return_prob=1, deadline=deadline)
        # the shares are visits / (playouts - 1): the first playout only evaluates the root
        visits = np.rint(shares * (player.playouts - 1)).astype(np.int64)
        return Thought(move=int(move), playouts=player.playouts,
                       seconds=time.monotonic() - start, visits=visits)

    def warm_up(self) -> None:
        """Compile the search (numba) now rather than on the first move."""
        self.think(Board.from_config(BoardConfig(6, 6, 4)), Thinking("playouts", PLAYOUT_LIMITS[0]))


class NetEngine:
    """PUCT search guided by a policy-value net (``net.PolicyValueNet``), on the net's board."""

    kind = "model"
    default_playouts = NET_DEFAULT_PLAYOUTS

    def __init__(self, pvnet, board: BoardConfig, label: str):
        if (pvnet.board_width, pvnet.board_height) != (board.width, board.height):
            raise ValueError(f"a {pvnet.board_width}x{pvnet.board_height} net cannot play "
                             f"a {board.width}x{board.height} board")
        self._pvnet = pvnet
        self._lock = threading.Lock()
        self.board = board
        self.label = label

    def _evaluate(self, states: np.ndarray):
        with self._lock:
            return self._pvnet.evaluate(states)

    def think(self, board: Board, thinking: Thinking) -> Thought:
        start = time.monotonic()
        cap, deadline = thinking.limits(start)
        search = mcts.BatchedSearch(self.board, 1, mcts.SearchConfig(c_puct=C_PUCT, n_playout=cap))
        search.reset(0, board)
        playouts = int(search.run(self._evaluate, deadline=deadline)[0])
        visits = search.root_visits()[0]
        priors, values = self._evaluate(board.current_state()[None])
        legal = board.legal_mask()
        policy = np.where(legal, priors[0], 0.0)
        policy = policy / policy.sum() if policy.sum() > 0 else legal / legal.sum()
        return Thought(move=best_move(visits, board), playouts=playouts,
                       seconds=time.monotonic() - start, visits=visits, q=root_q(search, 0),
                       policy=policy, value=float(values[0]),
                       pv=principal_variation(search, 0, PV_MOVES))

    def warm_up(self) -> None:
        """Compile the net's graph (XLA) and the search now rather than on the first move."""
        self.think(Board.from_config(self.board), Thinking("playouts", PLAYOUT_LIMITS[0]))


def load_net_engine(path: Path) -> NetEngine:
    """The net saved at ``path`` with the game its file records (``pipeline.brain``).

    Imports TensorFlow. Raises gomoku.InputError when the file is missing or unusable.
    """
    net_brain = brain.net_brain(path, NET_DEFAULT_PLAYOUTS)
    return NetEngine(net_brain.net, net_brain.board, f"model {path.parent.name}/{path.name}")
