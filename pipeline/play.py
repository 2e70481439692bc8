"""`gomoku-zero play`: a game in the console against the trained net or pure MCTS.

Also home of what the console game and the protocol engine (`pipeline.pbrain`) share: choosing
and loading the program that plays (`load_brain`).

Coordinates typed by the player are ``row,col`` (or ``row col``) as the picture labels them, row 0
at the bottom; a move is ``row * width + col``.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mcts
from gomoku import Board, BoardConfig
from gomoku.ascii import SYMBOLS, render

from .cli import UsageError
from .evaluate import DEFAULT_MODEL
from .train import REPO_ROOT

HELP = "play a game in the console against the trained model (or pure MCTS with --pure N)"

DEFAULT_PURE_BOARD = "6x6x4"
C_PUCT = 5.0
QUIT_WORDS = {"q", "quit", "exit"}


# -- the program that plays ---------------------------------------------------------------------
@dataclass
class Brain:
    """A way to make players: a net with its board, or pure MCTS on any board.

    ``board`` is the one board a net was trained for (None for pure MCTS, which plays any board of
    at least ``n_in_row`` points a side); ``make_player(board_config)`` returns a fresh player
    with the reference interface, whose ``get_action(board, deadline=None)`` -> move stops its
    search at a ``time.monotonic()`` deadline and sets ``playouts`` to the playouts it ran.
    """

    label: str
    board: BoardConfig | None
    make_player: Callable[[BoardConfig], object]


def parse_board_spec(text: str) -> BoardConfig:
    """``"WxHxN"`` (or ``"NxN"`` for 5 in a row) -> BoardConfig; UsageError naming the text."""
    parts = text.lower().split("x")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3):
        raise UsageError(f"--board must look like WxHxN (e.g. 8x8x5), got {text!r}")
    try:
        return BoardConfig(*numbers) if len(numbers) == 3 else BoardConfig(*numbers, n_in_row=5)
    except ValueError as exc:
        raise UsageError(f"--board {text}: {exc}") from None


def model_board_config(model_path: Path, width: int, height: int,
                       n_in_row: int | None = None) -> BoardConfig:
    """The board of a saved ``width`` x ``height`` net: n_in_row from the run's config beside it.

    The pipeline writes the resolved config (``config.yaml``) into the run directory that holds
    the model; a model without one is taken to play 5 in a row (Gomocup's rule). ``n_in_row``
    overrides both.
    """
    from . import config as config_module
    beside = model_path.parent / config_module.RUN_CONFIG_FILE
    if n_in_row is None and beside.is_file():
        try:
            board = config_module.load(beside).board
        except config_module.ConfigError as exc:
            raise UsageError(f"{beside}: {exc}") from None
        if (board.width, board.height) != (width, height):
            raise UsageError(f"{beside} is for a {board.width}x{board.height} board but "
                             f"{model_path.name} is a {width}x{height} net")
        return board
    try:
        return BoardConfig(width, height, 5 if n_in_row is None else n_in_row)
    except ValueError as exc:
        raise UsageError(f"{model_path}: {exc} (give the rule with --n-in-row)") from None


def resolve_model(model: str) -> Path:
    """``model`` as given, or under the repository root when it is a relative path not found from
    the working directory (as `evaluate` does), so the default works from anywhere."""
    path = Path(model)
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path


def load_brain(model: str, playouts: int, pure: int | None, n_in_row: int | None = None,
               seed: int | None = None) -> Brain:
    """The net saved at ``model`` searching ``playouts`` PUCT playouts, or pure MCTS with ``pure``
    playouts; either at most, when a move has a deadline.

    Imports TensorFlow only for a net. Raises UsageError for a bad count or an unusable model.
    """
    if seed is not None and seed < 0:
        raise UsageError(f"--seed must be >= 0, got {seed}")
    if pure is not None:
        if pure < 1:
            raise UsageError(f"--pure must be a positive playout count, got {pure}")

        def make_pure(board: BoardConfig):
            return mcts.MCTSPurePlayer(c_puct=C_PUCT, n_playout=pure, seed=seed)
        return Brain(f"pure MCTS ({pure} playouts)", None, make_pure)
    if playouts < 1:
        raise UsageError(f"--playouts must be a positive count, got {playouts}")
    path = resolve_model(model)
    if not path.exists():
        hint = " (train one with `gomoku-zero train`, or play pure MCTS with --pure 1000)"
        raise UsageError(f"model {path} not found{hint}")
    import net
    try:
        pvnet = net.PolicyValueNet.from_model_file(path)
    except ValueError as exc:
        raise UsageError(f"cannot load model {path}: {exc}") from None
    board = model_board_config(path, pvnet.board_width, pvnet.board_height, n_in_row)

    def make_net_player(board_config: BoardConfig):
        # evaluation play: a new noiseless tree every move, searched on the net's batched path
        return mcts.MCTSPlayer(evaluate=pvnet.evaluate, c_puct=C_PUCT, n_playout=playouts,
                               seed=0 if seed is None else seed)
    label = f"net {path.name} {board.width}x{board.height}x{board.n_in_row} ({playouts} playouts)"
    return Brain(label, board, make_net_player)


# -- the console game ---------------------------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="saved policy-value net; the run config beside it gives the board "
                             "(a relative path not found here is looked up in the repository)")
    parser.add_argument("--playouts", type=int, default=400, help="PUCT playouts per move of the net")
    parser.add_argument("--pure", type=int, default=None, metavar="N",
                        help="play against pure MCTS with N playouts per move instead of the net")
    parser.add_argument("--board", default=DEFAULT_PURE_BOARD, metavar="WxHxN",
                        help="board of a game against --pure (a net plays its own board)")
    parser.add_argument("--human-first", action="store_true", help="you play X and move first")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the player (pure MCTS rollouts; the net's ties)")


def parse_move(text: str, board: Board) -> tuple[int | None, str]:
    """A typed ``row,col`` -> (move, "") when legal, else (None, why not)."""
    tokens = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if len(tokens) != 2 or not all(re.fullmatch(r"[+-]?\d+", t) for t in tokens):
        return None, f"type two numbers, row and column, like 2,3 (got {text.strip()!r})"
    row, col = int(tokens[0]), int(tokens[1])
    move = board.location_to_move([row, col])
    if move < 0:
        return None, (f"{row},{col} is off the board (rows 0-{board.height - 1}, "
                      f"columns 0-{board.width - 1})")
    if board.stones[move] != 0:
        return None, f"{row},{col} is taken"
    return move, ""


def read_human_move(board: Board, out) -> int | None:
    """Prompt until a legal move is typed; None when the player quits or input ends."""
    while True:
        out.write("your move (row,col; q quits): ")
        out.flush()
        line = sys.stdin.readline()
        if not line:
            out.write("\nend of input: game abandoned\n")
            return None
        if line.strip().lower() in QUIT_WORDS:
            out.write("bye\n")
            return None
        move, why = parse_move(line, board)
        if move is not None:
            return move
        out.write(why + "\n")


def play_game(brain: Brain, board_config: BoardConfig, human_first: bool, out) -> int:
    """One game on the console; returns the winner (1 or 2), -1 for a draw, 0 when abandoned."""
    board = board_config.new_board()
    human = 1 if human_first else 2
    ai = brain.make_player(board_config)
    ai.set_player_ind(3 - human)
    out.write(f"{board_config.width}x{board_config.height} board, {board_config.n_in_row} in a row "
              f"wins. You are {SYMBOLS[human]}, {brain.label} is {SYMBOLS[3 - human]}; "
              f"{SYMBOLS[1]} moves first.\n")
    while True:
        ended, winner = board.game_end()
        if ended:
            out.write(render(board) + "\n")
            verdict = "draw" if winner == -1 else ("you win" if winner == human else "you lose")
            out.write(f"game over: {verdict}\n")
            return winner
        if board.get_current_player() == human:
            out.write(render(board) + "\n")
            move = read_human_move(board, out)
            if move is None:
                return 0
        else:
            move = int(ai.get_action(board))
            row, col = board.move_to_location(move)
            out.write(f"{SYMBOLS[3 - human]} plays {row},{col}\n")
        board.do_move(move)


def run(args) -> int:
    board = parse_board_spec(args.board)  # checked first: a typo should not wait for TensorFlow
    brain = load_brain(args.model, args.playouts, args.pure, seed=args.seed)
    board = brain.board or board
    play_game(brain, board, args.human_first, sys.stdout)
    sys.stdout.flush()
    return 0
