"""`gomoku-zero ladder`: rate a run's generations against each other and fixed anchors
(RUN_DIR/ladder.json, resumable and incremental; RUN_DIR/ladder.png)."""
from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import ladder, players, run_config
from pipeline.generations import list_generations

from .common import UsageError, check_at_least, check_games_per_pairing, load_config

HELP = ("play a run's generations (run.keep_generation_every) against their neighbours and "
        "fixed anchors, fit Elo ratings, write RUN_DIR/ladder.json and ladder.png")
DEFAULT_ANCHORS = "pure:1000,pure:3000,pure:5000,random"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a training run's directory")
    parser.add_argument("--anchors", default=DEFAULT_ANCHORS,
                        help="fixed players, comma-separated specs (pure:N, random, "
                             "model:PATH[:PLAYOUTS], pbrain:COMMAND); the first is at 0 Elo")
    parser.add_argument("--games-per-pair", type=int, default=20, metavar="N",
                        help="games of each pairing (even: each opening with both colours)")
    parser.add_argument("--openings", type=int, default=2, metavar="K",
                        help="random openings of K stones near the centre (0: the empty board, "
                             "where two nets replay the same two games)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every pairing's openings "
                                                            "and of pure MCTS")
    parser.add_argument("--playouts", type=int, default=None,
                        help="the generations' PUCT playouts a move; if None, the run's "
                             "evaluation.search.n_playout")
    parser.add_argument("--turn-ms", type=int, default=players.DEFAULT_TURN_MS, metavar="MS",
                        help="time per move of a pbrain anchor")


def _anchors(text: str, turn_ms: int) -> list[str]:
    specs = [s.strip() for s in text.split(",")]
    if not all(specs):
        raise UsageError(f"--anchors must be comma-separated player specs, got {text!r}")
    if len(set(specs)) != len(specs):
        raise UsageError(f"--anchors lists a player twice: {text!r}")
    for spec in specs:  # named well (a model anchor is loaded once here)
        players.parse_spec(spec, turn_ms=turn_ms).close()
    return specs


def run(args) -> int:
    run_dir = Path(args.run_dir)
    if not (run_dir / run_config.RUN_CONFIG_FILE).is_file():
        raise UsageError(f"{run_dir} is not a run directory (no {run_config.RUN_CONFIG_FILE})")
    config = load_config(run_dir / run_config.RUN_CONFIG_FILE)
    check_games_per_pairing("--games-per-pair", args.games_per_pair)
    check_at_least("--openings", args.openings, 0)
    check_at_least("--seed", args.seed, 0)
    check_at_least("--playouts", args.playouts, 1)
    check_at_least("--turn-ms", args.turn_ms, 1)
    playouts = args.playouts or config.evaluation.search.n_playout
    anchors = [ladder.anchor_entrant(s) for s in _anchors(args.anchors, args.turn_ms)]
    generations = [ladder.generation_entrant(g, playouts) for g in list_generations(run_dir)]
    result = ladder.run_ladder(
        run_dir, config.board, generations, anchors, args.games_per_pair, args.openings,
        args.seed, lambda spec: players.parse_spec(spec, turn_ms=args.turn_ms, base=run_dir))
    print(f"{len(result.played)} pairings played, "
          f"{len(result.doc['pairings'])} recorded in {run_dir / ladder.LADDER_FILE}")
    print(f"{'player':<22}{'games':>6}{'self-play':>10}{'hours':>8}{'Elo':>7}  interval")
    for r in result.doc["ratings"]["players"]:
        hours = "-" if r["seconds"] is None else f"{r['seconds'] / 3600:.2f}"
        batch = "-" if r["batch"] is None else str(r["batch"])
        where = "anchor" if r["player"] == result.ratings.anchor else \
            f"{r['low']:+.0f} .. {r['high']:+.0f}"
        print(f"{r['player']:<22}{r['games']:>6}{batch:>10}{hours:>8}{r['elo']:>+7.0f}  {where}")
    try:
        from pipeline.ladder_plot import LADDER_PLOT, plot_ladder
    except ImportError:
        print("no ladder.png: matplotlib is not installed (pip install 'gomoku-zero[plot]')")
        return 0
    print(f"written {plot_ladder(result.doc, run_dir / LADDER_PLOT, run_dir.name)}")
    return 0
