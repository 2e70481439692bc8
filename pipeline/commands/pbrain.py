"""`pbrain-gomoku-zero` (`gomoku-zero pbrain`): the Gomocup protocol engine on stdin/stdout."""
from __future__ import annotations

import argparse
import os
import sys

from gomoku.board_config import RULES

from pipeline import gomocup
from pipeline.brain import RUNTIMES

from .common import (COMMITTED_MODELS, add_search_flags, brain_from_flags,
                     check_at_least, check_rule, check_rule_name, parse_board_spec, version)

HELP = "Gomocup/Piskvork protocol engine on stdin/stdout (also the pbrain-gomoku-zero command)"


def add_arguments(parser) -> None:
    parser.add_argument("--model", default=None,
                        help="saved policy-value net; START answers ERROR for other board sizes "
                             "(default: the committed model of START's size, "
                             f"{', '.join(COMMITTED_MODELS)}; a relative path not found here is "
                             "looked up in the repository)")
    parser.add_argument("--playouts", type=int, default=400,
                        help="playouts per move at most (fewer when the time limits require)")
    parser.add_argument("--pure", type=int, default=None, metavar="N",
                        help="play pure MCTS with at most N playouts per move, on any board size")
    parser.add_argument("--n-in-row", type=int, default=None,
                        help="stones in a row that win (default: the model's rule; 5 with --pure)")
    parser.add_argument("--rule", default=None, metavar="RULE",
                        help=f"rule played until the manager sends INFO rule, one of "
                             f"{', '.join(RULES)} (default: the model's; freestyle with --pure)")
    add_search_flags(parser)
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the player (pure MCTS rollouts; the net's ties)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="light",
                        help="what runs the net: light (NumPy, never loads TensorFlow: a fifth "
                             "of the memory, a faster start) or tensorflow (the trainer's net)")


def run(args) -> int:
    # The protocol owns stdout: answers go to a private copy of it, and anything else printed
    # (library banners, TensorFlow) is sent to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    check_at_least("--n-in-row", args.n_in_row, 1)
    check_rule_name(args.rule)
    player = brain_from_flags(args, n_in_row=args.n_in_row)
    n_in_row = player.board.n_in_row if player.board is not None else (args.n_in_row or 5)
    rule = args.rule or (player.board.rule if player.board is not None else "freestyle")
    warning = check_rule(player, rule, n_in_row)
    engine = gomocup.Engine(player, n_in_row, version=version(), rule=rule)
    if args.model is None and args.pure is None:
        engine.brain_for_size = committed_brains(args, player)
    if warning:
        engine.notices.append(warning)
    engine.warm_up()
    return gomocup.serve(engine, sys.stdin.buffer, out)


def committed_brains(args, first):
    """START's size -> the brain of the committed model of that size (loaded once), or None;
    InputError if it does not load."""
    loaded = {(first.board.width, first.board.height): first}
    boards = {(b.width, b.height): name for name in COMMITTED_MODELS
              for b in (parse_board_spec(name),)}

    def brain_for_size(width: int, height: int):
        if (width, height) not in loaded:
            if (width, height) not in boards:
                return None
            flags = argparse.Namespace(**{**vars(args), "board": boards[width, height]})
            loaded[width, height] = brain_from_flags(flags, n_in_row=args.n_in_row)
        return loaded[width, height]
    return brain_for_size

