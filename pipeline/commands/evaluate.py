"""`gomoku-zero evaluate`: the training's match of a saved model against pure MCTS, on its own."""
from __future__ import annotations

import argparse

from mcts import SearchConfig

from pipeline import brain

from .common import (COMMITTED_MODELS, DEFAULT_BOARD, check_at_least, check_model_board,
                     model_path, parse_board_spec)

HELP = "play a saved model against pure MCTS (games in parallel) and print the score"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None,
                        help="the model file to evaluate; it records its game (default: the "
                             "committed model of --board)")
    parser.add_argument("--board", default=None, metavar="WxHxN",
                        help=f"without --model, the game whose committed model plays "
                             f"({', '.join(COMMITTED_MODELS)}; default {DEFAULT_BOARD})")
    parser.add_argument("--n-in-row", type=int, default=None,
                        help="stones in a row that win, if not the model's game")
    parser.add_argument("--playouts", type=int, default=400, help="the model's playouts per move")
    parser.add_argument("--c-puct", type=float, default=brain.C_PUCT,
                        help="c_puct of both searches")
    parser.add_argument("--pure-playouts", type=int, default=1000,
                        help="pure MCTS playouts per move")
    parser.add_argument("--games", type=int, default=10,
                        help="games, alternating who starts (the model starts the first)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pure MCTS players")
    parser.add_argument("--runtime", choices=brain.RUNTIMES, default="tensorflow",
                        help="what runs the net: tensorflow (the trainer's net) or light "
                             "(NumPy, without TensorFlow; the same priors and values)")


def run(args) -> int:
    for flag, low in (("playouts", 1), ("pure_playouts", 1), ("games", 1), ("seed", 0),
                      ("n_in_row", 1)):
        check_at_least(f"--{flag.replace('_', '-')}", getattr(args, flag), low)
    search = SearchConfig(n_playout=args.playouts, c_puct=args.c_puct)
    if args.board is not None:
        parse_board_spec(args.board)
    model = model_path(args)
    player = brain.net_brain(model, args.playouts, n_in_row=args.n_in_row, runtime=args.runtime)
    check_model_board(args, player)

    from pipeline.evaluator import play_match
    from pipeline.log_lines import match_line
    wins, losses, ties = play_match(
        player.net, player.board, search, n_games=args.games, pure_playout=args.pure_playouts,
        pure_c_puct=args.c_puct, seed=args.seed,
        desc=f"{model.name} vs pure {args.pure_playouts}")
    print(match_line(args.pure_playouts, wins, losses, ties))
    print(f"win ratio: {(wins + 0.5 * ties) / args.games:.3f}")
    return 0
