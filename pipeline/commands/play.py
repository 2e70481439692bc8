"""`gomoku-zero play`: a game in the console against the trained net or pure MCTS."""
from __future__ import annotations

import dataclasses
import sys

from gomoku.board_config import RULES

from pipeline import console
from pipeline.brain import RUNTIMES

from .common import (COMMITTED_MODELS, DEFAULT_BOARD, add_search_flags, brain_from_flags,
                     check_model_board, check_rule, check_rule_name, parse_board_spec)

HELP = "play a game in the console against the trained model (or pure MCTS with --pure N)"


def add_arguments(parser) -> None:
    parser.add_argument("--model", default=None,
                        help="saved policy-value net; it records its game (default: the "
                             "committed model of --board; a relative path not found here is "
                             "looked up in the repository)")
    parser.add_argument("--playouts", type=int, default=400, help="PUCT playouts per move of the net")
    parser.add_argument("--pure", type=int, default=None, metavar="N",
                        help="play against pure MCTS with N playouts per move instead of the net")
    parser.add_argument("--board", default=None, metavar="WxHxN",
                        help=f"the game (default {DEFAULT_BOARD}): without --model, the "
                             f"committed model of it plays ({', '.join(COMMITTED_MODELS)}); "
                             f"with --pure, any board")
    parser.add_argument("--rule", default=None, metavar="RULE",
                        help=f"rule of the game, one of {', '.join(RULES)} (default: the "
                             "model's; freestyle with --pure); "
                             "a freestyle net also plays standard and caro, with a warning")
    parser.add_argument("--human-first", action="store_true", help="you play X and move first")
    add_search_flags(parser)
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the player (pure MCTS rollouts; the net's ties)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="tensorflow",
                        help="what runs the net: tensorflow (the trainer's net) or light "
                             "(NumPy, without TensorFlow; the same priors and values)")


def run(args) -> int:
    board = parse_board_spec(args.board or DEFAULT_BOARD)  # first: a typo should not wait
    check_rule_name(args.rule)
    player = brain_from_flags(args)
    check_model_board(args, player)
    game = player.board or board
    if args.rule is not None:
        warning = check_rule(player, args.rule, game.n_in_row)
        if warning:
            print(warning)
        game = dataclasses.replace(game, rule=args.rule)
    console.play_game(player, game, args.human_first, sys.stdout)
    sys.stdout.flush()
    return 0
