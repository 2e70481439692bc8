"""The program that plays: a saved net with its game, or pure MCTS on any board.

Console play, the Gomocup engine and the GUI all make their players through a ``Brain``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mcts
from gomoku import BoardConfig, InputError
from mcts.search_config import ALGORITHMS, MAX_LEAF_BATCH

from . import run_config

C_PUCT = 5.0  # the reference's, for both searches
WARNED_RULES = ("standard", "caro")  # rules a freestyle net plays, with a warning
# how a net brain runs its net: "tensorflow" (net.PolicyValueNet, the trainer's net) or "light"
# (net.numpy_net.NumpyNet: the same forward pass in NumPy from the model file's weights, without
# TensorFlow; the Gomocup engine's default, see docs/play.md "Gomocup limits")
RUNTIMES = ("tensorflow", "light")


@dataclass
class Brain:
    """A way to make players: a net with its board, or pure MCTS on any board.

    ``board`` is the one game a net was trained for (None for pure MCTS, which plays any board of
    at least ``n_in_row`` points a side); ``make_player(board_config)`` returns a fresh player
    with the reference interface, whose ``get_action(board, deadline=None)`` -> move stops its
    search at a ``time.monotonic()`` deadline and sets ``playouts`` to the playouts it ran.
    ``net`` is the net of a net brain (None for pure MCTS): a PolicyValueNet, or a NumpyNet
    for the light runtime; both have ``board`` and ``evaluate(states) -> (priors, values)``.
    """

    label: str
    board: BoardConfig | None
    make_player: Callable[[BoardConfig], object]
    net: object = None

    def rule_warning(self, rule: str) -> str | None:
        """Whether this brain plays the game under ``rule`` (a ``BoardConfig`` rule name).

        Pure MCTS plays every rule, and a net its own: None. A freestyle net also plays standard
        and caro, whose positions are freestyle's and whose only change is which lines win (the
        search judges them by the rule; the net never learnt it): the warning to show. Anything
        else raises InputError: a net does not know renju's forbidden points unless it was
        trained under renju, nor another rule's games.
        """
        own = "freestyle" if self.board is None else self.board.rule
        if self.board is None or rule == own:
            return None
        if own == "freestyle" and rule in WARNED_RULES:
            return (f"warning: this net was trained for freestyle; it plays {rule} with its "
                    f"search judging the lines that win")
        raise InputError(f"this net was trained for {own} and cannot play {rule}")


def pure_brain(playouts: int, seed: int | None = None) -> Brain:
    """Pure MCTS with ``playouts`` playouts a move (at most, when a move has a deadline)."""
    if playouts < 1:
        raise InputError(f"pure MCTS needs a positive playout count, got {playouts}")

    def make_pure(board: BoardConfig):
        return mcts.MCTSPurePlayer(c_puct=C_PUCT, n_playout=playouts, seed=seed)
    return Brain(f"pure MCTS ({playouts} playouts)", None, make_pure)


def net_brain(path: Path, playouts: int, n_in_row: int | None = None,
              seed: int | None = None, runtime: str = "tensorflow",
              leaf_batch: int = 1, algorithm: str = "puct") -> Brain:
    """The net saved at ``path`` searching ``playouts`` playouts a move (at most, with a
    deadline), ``leaf_batch`` leaves a network call (``mcts.leaf_batch``; 1: the exact search),
    by ``algorithm`` (``puct``, or ``gumbel``: ``mcts.gumbel``'s root search, leaf batch 1); its
    game is the one the file records (see ``model_game``).

    ``runtime`` (one of RUNTIMES) says what runs the net: "tensorflow" imports TensorFlow;
    "light" never does (same priors and values within 1e-4, a fifth of the memory). Raises
    InputError for a bad count, runtime or an unusable model file.
    """
    if playouts < 1:
        raise InputError(f"the net needs a positive playout count, got {playouts}")
    if not 1 <= leaf_batch <= MAX_LEAF_BATCH:
        raise InputError(f"the leaf batch must be from 1 to {MAX_LEAF_BATCH}, got {leaf_batch}")
    if algorithm not in ALGORITHMS:
        raise InputError(f"unknown search algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})")
    if algorithm == "gumbel" and leaf_batch != 1:
        raise InputError(f"the gumbel search walks one leaf a step: leaf batch 1, got {leaf_batch}")
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime {runtime!r} (one of {', '.join(RUNTIMES)})")
    if not path.exists():
        raise InputError(f"model {path} not found (train one with `gomoku-zero train`, "
                         f"or play pure MCTS with --pure 1000)")
    from net.model_file import read_model_file
    try:
        recorded = read_model_file(path).board  # None in a v1 file
        pvnet = load_net(path, runtime)
    except ValueError as exc:
        raise InputError(f"cannot load model {path}: {exc}") from None
    board = model_game(path, recorded, pvnet.board_width, pvnet.board_height, n_in_row)

    def make_net_player(board_config: BoardConfig):
        # evaluation play: a new noiseless tree every move, searched on the net's batched path
        return mcts.MCTSPlayer(evaluate=pvnet.evaluate, c_puct=C_PUCT, n_playout=playouts,
                               leaf_batch=leaf_batch, algorithm=algorithm,
                               seed=0 if seed is None else seed)
    batch = f", leaf batch {leaf_batch}" if leaf_batch > 1 else ""
    search = ", gumbel" if algorithm == "gumbel" else ""
    label = f"net {path.name} {board.label} ({playouts} playouts{batch}{search})"
    return Brain(label, board, make_net_player, pvnet)


def load_net(path: Path, runtime: str = "tensorflow"):
    """The net saved at ``path`` on ``runtime`` (see RUNTIMES); ValueError if unusable."""
    if runtime == "light":
        from net.numpy_net import NumpyNet
        return NumpyNet.from_model_file(path)
    import net
    return net.PolicyValueNet.from_model_file(path)


def model_game(path: Path, recorded: BoardConfig | None, width: int, height: int,
               n_in_row: int | None = None) -> BoardConfig:
    """The game of a saved ``width`` x ``height`` net, ``n_in_row`` overriding its line length
    (its rule is kept).

    A model file records its game (``recorded``). One of the format's v1 has only its size: its
    line length and rule come from the run config written beside it (``config.yaml``), else five
    in a row, freestyle (Gomocup's rule).
    """
    try:
        if n_in_row is not None:
            rule = recorded.rule if recorded is not None else "freestyle"
            return BoardConfig(width, height, n_in_row, rule)
        if recorded is not None:
            return recorded
        beside = path.parent / run_config.RUN_CONFIG_FILE
        if not beside.is_file():
            return BoardConfig(width, height, 5)
    except ValueError as exc:
        raise InputError(f"{path}: {exc} (give the rule with --n-in-row)") from None
    try:
        board = run_config.load(beside).board
    except run_config.ConfigError as exc:
        raise InputError(f"{beside}: {exc}") from None
    if (board.width, board.height) != (width, height):
        raise InputError(f"{beside} is for a {board.width}x{board.height} board but "
                         f"{path.name} is a {width}x{height} net")
    return board
