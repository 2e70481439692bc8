"""Speed of the pure-rollout MCTS (the evaluation opponent) on several board sizes.

Prints one JSON document, then a table. For each board: random playouts per second for a
1000-playout first move from the empty board, and the seconds of a first move at 1000 and 5000
playouts; each is the median of --repeats timed calls made after a warm-up call, so numba's compile
time is excluded. Ratios are within this run only: each board's playouts/s over the first board's
(``playouts_per_s_over_first_board``) and its 5000-playout move time over its 1000-playout one
(``first_move_5000_over_1000``; above 5 when the deeper tree makes playouts dearer).

    python scripts/bench_board.py [--repeats 21] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numba
import numpy as np

from gomoku import Board
from mcts import MCTSPurePlayer

BOARDS = [(6, 6, 4), (8, 8, 5)]
PLAYOUTS = [1000, 5000]
RATE_PLAYOUTS = 1000


def first_move_seconds(board: Board, n_playout: int, repeats: int, seed: int) -> list[float]:
    player = MCTSPurePlayer(n_playout=n_playout, seed=seed)
    player.get_action(board)  # warm-up: compiles (or loads numba's cache) and touches memory
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        player.get_action(board)
        times.append(time.perf_counter() - start)
    return times


def bench(repeats: int, seed: int) -> dict:
    results = []
    for width, height, n_in_row in BOARDS:
        name = f"{width}x{height}x{n_in_row}"
        board = Board(width, height, n_in_row)
        entry = {"board": name, "first_move_s": {}, "first_move_s_min": {}}
        medians = {}
        for n_playout in PLAYOUTS:
            times = first_move_seconds(board, n_playout, repeats, seed)
            medians[n_playout] = statistics.median(times)
            entry["first_move_s"][str(n_playout)] = round(medians[n_playout], 6)
            entry["first_move_s_min"][str(n_playout)] = round(min(times), 6)
        rate = RATE_PLAYOUTS / medians[RATE_PLAYOUTS]
        entry["playouts_per_s"] = round(rate, 1)
        first_rate = results[0]["playouts_per_s"] if results else rate
        entry["playouts_per_s_over_first_board"] = round(rate / first_rate, 3)
        entry["first_move_5000_over_1000"] = round(medians[5000] / medians[1000], 2)
        results.append(entry)
    return {
        "benchmark": "pure MCTS first move from the empty board",
        "statistic": f"median of {repeats} calls after a warm-up call",
        "ratios": f"within this run; first board {results[0]['board']}",
        "seed": seed,
        "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "results": results,
    }


def table(report: dict) -> str:
    first = report["results"][0]["board"]
    head = (f"{'board':<7} {'playouts/s':>11} {f'/ {first}':>9} "
            + " ".join(f"{f'{n} pl. s':>10}" for n in PLAYOUTS) + f" {'5000/1000':>10}")
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        line = (f"{r['board']:<7} {r['playouts_per_s']:>11.0f}"
                f" {r['playouts_per_s_over_first_board']:>9.3f}")
        for n in map(str, PLAYOUTS):
            line += f" {r['first_move_s'][n]:>10.4f}"
        line += f" {r['first_move_5000_over_1000']:>10.2f}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed calls per figure (default 21)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the players (default 0)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    report = bench(args.repeats, args.seed)
    print(json.dumps(report, indent=2))
    print()
    print(table(report))


if __name__ == "__main__":
    main()
