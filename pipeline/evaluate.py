"""`gomoku-zero evaluate`: the training's match of a saved model against pure MCTS, on its own."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from . import config as config_module
from .cli import UsageError
from .train import REPO_ROOT, load_config, resolve_config_path

HELP = "play a saved model against pure MCTS (games in parallel) and print the score"
DEFAULT_MODEL = "models/6x6x4/best_policy.model"  # also the default of play and pbrain


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the model file to evaluate")
    parser.add_argument("--config", default=None,
                        help="config giving the board; if None, the config.yaml beside the model")
    parser.add_argument("--playouts", type=int, default=400, help="the model's playouts per move")
    parser.add_argument("--pure-playouts", type=int, default=1000,
                        help="pure MCTS playouts per move")
    parser.add_argument("--games", type=int, default=10,
                        help="games, alternating who starts (the model starts the first)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pure MCTS players")


def _config_for(args) -> config_module.Config:
    if args.config is not None:
        return load_config(resolve_config_path(args.config))
    beside = Path(args.model).parent / config_module.RUN_CONFIG_FILE
    if beside.exists():
        return load_config(beside)
    raise UsageError(f"no {config_module.RUN_CONFIG_FILE} beside {args.model}: "
                     f"give the board with --config")


def run(args) -> int:
    model = Path(args.model)
    if not model.exists() and not model.is_absolute() and (REPO_ROOT / model).exists():
        model = REPO_ROOT / model
        args.model = str(model)
    if not model.exists():
        raise UsageError(f"--model {args.model}: no such file")
    for name in ("playouts", "pure_playouts", "games"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    config = _config_for(args)

    from net import PolicyValueNet

    from .evaluation import play_match
    from .logformat import match_line
    b = config.board
    try:
        net = PolicyValueNet(b.width, b.height, model_file=str(model), l2_const=config.net.l2_const)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--model {args.model}: cannot load it for a {b.width}x{b.height} "
                         f"board ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
    wins, losses, ties = play_match(
        net, b, replace(config.search, n_playout=args.playouts), n_games=args.games,
        n_playout=args.playouts, pure_playout=args.pure_playouts, seed=args.seed,
        desc=f"{model.name} vs pure {args.pure_playouts}")
    print(match_line(args.pure_playouts, wins, losses, ties))
    print(f"win ratio: {(wins + 0.5 * ties) / args.games:.3f}")
    return 0
