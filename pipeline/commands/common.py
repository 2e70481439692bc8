"""What the commands share: the usage error, paths found from anywhere, config and board flags."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path

from gomoku import BoardConfig, InputError
from gomoku.board_config import RULES
from mcts.search_config import ALGORITHMS, MAX_LEAF_BATCH

from pipeline import brain, run_config

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = "configs/6x6x4.yaml"
# the committed models, by game: without --model, play, evaluate and pbrain play the one of
# their board (play and evaluate: --board; pbrain: the size START asks for)
COMMITTED_MODELS = {"6x6x4": "models/6x6x4/best_policy.model",
                    "8x8x5": "models/8x8x5/best_policy.model",
                    "15x15x5": "models/15x15x5/best_policy.model"}
DEFAULT_BOARD = "6x6x4"
DEFAULT_MODEL = COMMITTED_MODELS[DEFAULT_BOARD]


class UsageError(InputError):
    """Bad input on the command line or in a file it names: one line, exit code 2."""


def version() -> str:
    try:
        return package_version("gomoku-zero")
    except PackageNotFoundError:
        return "unknown"


def repo_path(name: str) -> Path:
    """``name`` as given, or under the repository when it is a relative path not found from the
    working directory, so that the default config and model work from any directory."""
    path = Path(name)
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path


def load_config(path) -> run_config.Config:
    try:
        return run_config.load(path)
    except run_config.ConfigError as exc:
        raise UsageError(f"{path}: {exc}") from None


def parse_board_spec(text: str, flag: str = "--board") -> BoardConfig:
    """``"WxHxN"`` (or ``"WxH"`` for five in a row) -> BoardConfig; UsageError naming the text."""
    parts = text.lower().split("x")
    numbers = [int(p) for p in parts if p.isascii() and p.isdigit()]
    if len(numbers) != len(parts) or len(numbers) not in (2, 3):
        raise UsageError(f"{flag} must look like WxHxN (e.g. 8x8x5), got {text!r}")
    try:
        return BoardConfig(*numbers) if len(numbers) == 3 else BoardConfig(*numbers, n_in_row=5)
    except ValueError as exc:
        raise UsageError(f"{flag} {text}: {exc}") from None


def committed_model(board: BoardConfig) -> Path:
    """The committed model of ``board``'s game; UsageError naming the games that have one."""
    name = COMMITTED_MODELS.get(board.label)
    if name is None:
        raise UsageError(f"no committed model plays {board.label} (there are: "
                         f"{', '.join(COMMITTED_MODELS)}): give --model PATH, or --pure N")
    return repo_path(name)


def check_rule_name(rule: str | None) -> None:
    """UsageError unless ``rule`` (``--rule``, None when not given) names a rule; checked before
    a model is loaded, so that a typo does not wait for TensorFlow."""
    if rule is not None and rule not in RULES:
        raise UsageError(f"--rule {rule}: rule must be one of {', '.join(RULES)}")


def check_rule(player, rule: str, n_in_row: int) -> str | None:
    """UsageError unless the brain ``player`` plays ``rule`` with ``n_in_row`` (``--rule``);
    returns the warning to show, if any (``Brain.rule_warning``)."""
    try:
        BoardConfig(n_in_row, n_in_row, n_in_row, rule)
        return player.rule_warning(rule)
    except ValueError as exc:
        raise UsageError(f"--rule {rule}: {exc}") from None


def check_at_least(flag: str, value: int | None, low: int) -> None:
    """UsageError unless ``value`` (an int flag, None when not given) is at least ``low``."""
    if value is not None and value < low:
        what = "positive" if low == 1 else f">= {low}"
        raise UsageError(f"{flag} must be {what}, got {value}")


def check_games_per_pairing(flag: str, value: int) -> None:
    """UsageError unless ``value`` is an even count >= 2: each opening is played with both colours."""
    check_at_least(flag, value, 2)
    if value % 2:
        raise UsageError(f"{flag} must be even (each opening is played with both colours), "
                         f"got {value}")


def add_search_flags(parser) -> None:
    parser.add_argument("--leaf-batch", type=int, default=1, metavar="L",
                        help=f"leaves the net's search evaluates a network call, walked with "
                             f"virtual loss (1 to {MAX_LEAF_BATCH}; 1: the exact search, 8: "
                             f"faster playouts)")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="puct",
                        help="the net's search: puct (AlphaZero's) or gumbel (Gumbel root search "
                             "with sequential halving over --playouts; leaf batch 1)")


def model_path(args) -> Path:
    """``--model``, or without it the committed model of ``--board`` (``DEFAULT_BOARD`` when a
    command has no such flag or it is not given)."""
    if args.model is not None:
        return repo_path(args.model)
    board = getattr(args, "board", None)
    return committed_model(parse_board_spec(board or DEFAULT_BOARD))


def check_model_board(args, player) -> None:
    """UsageError when ``--model`` and ``--board`` are both given and disagree."""
    if args.model is not None and getattr(args, "board", None) is not None \
            and player.board is not None:
        board = parse_board_spec(args.board)
        if board.label != player.board.label:
            raise UsageError(f"--board {args.board}: the model {args.model} plays "
                             f"{player.board.label}; give one of them")


def brain_from_flags(args, n_in_row: int | None = None) -> brain.Brain:
    """The player that ``--pure N`` or ``--model PATH --playouts N --leaf-batch L --algorithm A``
    (with ``--seed`` and ``--runtime``, TensorFlow without it) choose."""
    check_at_least("--seed", args.seed, 0)
    check_at_least("--pure", args.pure, 1)
    check_at_least("--playouts", args.playouts, 1)
    if not 1 <= args.leaf_batch <= MAX_LEAF_BATCH:
        raise UsageError(f"--leaf-batch must be from 1 to {MAX_LEAF_BATCH}, "
                         f"got {args.leaf_batch}")
    if args.algorithm == "gumbel" and args.leaf_batch != 1:
        raise UsageError(f"--algorithm gumbel walks one leaf a step: --leaf-batch must be 1, "
                         f"got {args.leaf_batch}")
    if args.pure is not None:
        if args.leaf_batch != 1:
            raise UsageError("--leaf-batch is for a net's search; pure MCTS has no network calls")
        if args.algorithm != "puct":
            raise UsageError("--algorithm is for a net's search; pure MCTS has its own")
        return brain.pure_brain(args.pure, seed=args.seed)
    return brain.net_brain(model_path(args), args.playouts, n_in_row=n_in_row,
                           seed=args.seed, runtime=getattr(args, "runtime", "tensorflow"),
                           leaf_batch=args.leaf_batch, algorithm=args.algorithm)
