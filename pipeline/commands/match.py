"""`gomoku-zero match`: two players (nets, pure MCTS, random, Gomocup engines) over balanced
openings, with the score, Elo and its interval, an optional SPRT, and a JSON record."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from gomoku.board_config import RULES
from gomoku.openings import OpeningsError, random_openings, read_openings
from net.atomic_file import atomic_write_bytes

from pipeline import match, match_report, players

from .common import (UsageError, check_at_least, check_games_per_pairing, check_rule_name,
                     parse_board_spec)

HELP = ("play two players against each other (each opening with both colours) and print the "
        "score and Elo with its interval")
DEFAULT_GAMES = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for name in ("spec_a", "spec_b"):
        parser.add_argument(name, metavar=name.upper(),
                            help=f"a player: {players.SPEC_FORMS} (model playouts default "
                                 f"{players.DEFAULT_NET_PLAYOUTS})")
    parser.add_argument("--board", default=None, metavar="WxHxN",
                        help="the game; if None, the models' (required without a model)")
    parser.add_argument("--rule", default=None, metavar="RULE",
                        help=f"the game's rule, one of {', '.join(RULES)}; if None, the models' "
                             f"(freestyle without a model)")
    parser.add_argument("--games", type=int, default=DEFAULT_GAMES,
                        help="games, an even number: each opening once with A black, once with B")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--openings", type=int, default=None, metavar="K",
                        help="random openings of K stones near the centre (seeded); if neither "
                             "this nor --openings-file, the empty board")
    source.add_argument("--openings-file", default=None, metavar="F",
                        help="openings in Gomocup's offset format (x,y from the centre, one "
                             "opening a line), used in order and again from the first if short")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the openings and of the pure MCTS and random players")
    parser.add_argument("--json", default=None, metavar="OUT",
                        help="also write the result with every game's opening and moves here")
    parser.add_argument("--turn-ms", type=int, default=players.DEFAULT_TURN_MS, metavar="MS",
                        help="time per move of a pbrain engine (INFO timeout_turn)")
    parser.add_argument("--sprt", default=None, metavar="ELO0,ELO1[,ALPHA,BETA]",
                        help="also test H0 elo=ELO0 against H1 elo=ELO1 (alpha, beta default "
                             "0.05)")


def parse_sprt(text: str) -> tuple[float, float, float, float]:
    """``"ELO0,ELO1[,ALPHA,BETA]"`` -> (elo0, elo1, alpha, beta); UsageError naming the text."""
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 4):
        raise UsageError(f"--sprt must look like ELO0,ELO1 or ELO0,ELO1,ALPHA,BETA, got {text!r}")
    elo0, elo1, alpha, beta = values if len(values) == 4 else values + [0.05, 0.05]
    if not elo0 < elo1:
        raise UsageError(f"--sprt needs ELO0 < ELO1, got {text!r}")
    if not (0 < alpha < 1 and 0 < beta < 1 and alpha + beta < 1):
        raise UsageError(f"--sprt alpha and beta must lie in (0, 1) with alpha + beta < 1, "
                         f"got {text!r}")
    return elo0, elo1, alpha, beta


def _check_flags(args) -> None:
    check_games_per_pairing("--games", args.games)
    check_at_least("--openings", args.openings, 0)
    check_at_least("--seed", args.seed, 0)
    check_at_least("--turn-ms", args.turn_ms, 1)
    if args.openings_file is not None and not Path(args.openings_file).is_file():
        raise UsageError(f"--openings-file {args.openings_file}: no such file")
    if args.json is not None and (Path(args.json).is_dir()
                                  or not Path(args.json).resolve().parent.is_dir()):
        raise UsageError(f"--json {args.json}: not a file in an existing folder")


def _given_board(args):
    """``--board`` under ``--rule`` (None without ``--board``); UsageError for a bad one."""
    check_rule_name(args.rule)
    if args.board is None:
        return None
    board = parse_board_spec(args.board)
    try:
        return board if args.rule is None else dataclasses.replace(board, rule=args.rule)
    except ValueError as exc:
        raise UsageError(f"--rule {args.rule}: {exc}") from None


def _board(args, a, b):
    """The game: the models' (which must agree with each other, with --board and with --rule;
    --board alone takes their rule), else --board under --rule."""
    given = _given_board(args)
    fixed = [(spec, p.board) for spec, p in ((args.spec_a, a), (args.spec_b, b))
             if p.board is not None]
    if given is not None and fixed and args.rule is None:
        given = dataclasses.replace(given, rule=fixed[0][1].rule)
    for spec, board in fixed:
        if given is not None and board != given:
            raise UsageError(f"{spec} plays {board.label}, not --board {given.label}")
        if args.rule is not None and board.rule != args.rule:
            raise UsageError(f"{spec} plays {board.label}, not --rule {args.rule}")
        if board != fixed[0][1]:
            raise UsageError(f"{fixed[0][0]} plays {fixed[0][1].label} but {spec} plays "
                             f"{board.label}")
    if fixed:
        return fixed[0][1]
    if given is None:
        raise UsageError("give the game with --board WxHxN (no model fixes it)")
    return given


def _openings(args, board):
    """The openings and their description."""
    w, h, n, rule = board.width, board.height, board.n_in_row, board.rule
    try:
        if args.openings_file is not None:
            openings = read_openings(Path(args.openings_file), w, h, n, rule)
            return openings, f"{len(openings)} from {args.openings_file}"
        if args.openings:
            count = args.games // 2
            openings = random_openings(w, h, n, args.openings, count, args.seed, rule)
            return openings, f"{count} random {args.openings}-stone"
    except OpeningsError as exc:
        raise UsageError(str(exc)) from None
    return None, "none (empty board)"


def run(args) -> int:
    _given_board(args)  # a typo should not wait for a model to load
    _check_flags(args)
    sprt_test = parse_sprt(args.sprt) if args.sprt is not None else None
    opened = []
    try:
        for spec in (args.spec_a, args.spec_b):
            opened.append(players.parse_spec(spec, turn_ms=args.turn_ms))
        a, b = opened
        board = _board(args, a, b)
        openings, described = _openings(args, board)
        result = match.play_games(a, b, board, args.games, openings, args.seed,
                                  desc=f"{args.spec_a} vs {args.spec_b}")
    finally:
        for player in opened:
            player.close()
    doc = match_report.summary(result, a, b, board, args.seed, described, sprt_test=sprt_test)
    print("\n".join(match_report.table(doc)))
    if args.json is not None:
        atomic_write_bytes(args.json, match_report.json_text(doc).encode())
        print(f"written {args.json}")
    return 0
