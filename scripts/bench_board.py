"""Speed of the pure-rollout MCTS (the evaluation opponent) against the reference trainer's.

Prints one JSON document, then a table. For each board: random playouts per second for a
1000-playout first move from the empty board, and the seconds of a first move at 1000 and 5000
playouts; each is the median of --repeats timed calls made after a warm-up call, so numba's compile
time is excluded. Ratios compare with the figures the reference trainer (AlphaZero_Gomoku,
pure Python) reaches on this machine kind: 750 playouts/s on 6x6x4, 160-200 on 8x8x5 (5-6 s for a
1000-playout first move on 8x8). Every ratio uses the reference's faster end, so it is a lower bound.

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
# reference pure MCTS, playouts per second on the empty board: (slow end, fast end)
REFERENCE_RATE = {"6x6x4": (750.0, 750.0), "8x8x5": (160.0, 200.0)}
# measured first-move seconds quoted for the reference; other sizes follow from the rate
REFERENCE_FIRST_MOVE_S = {("8x8x5", 1000): 5.0}


def first_move_seconds(board: Board, n_playout: int, repeats: int, seed: int) -> list[float]:
    player = MCTSPurePlayer(n_playout=n_playout, seed=seed)
    player.get_action(board)  # warm-up: compiles (or loads numba's cache) and touches memory
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        player.get_action(board)
        times.append(time.perf_counter() - start)
    return times


def reference_first_move_s(name: str, n_playout: int) -> float:
    if (name, n_playout) in REFERENCE_FIRST_MOVE_S:
        return REFERENCE_FIRST_MOVE_S[(name, n_playout)]
    return n_playout / REFERENCE_RATE[name][1]


def bench(repeats: int, seed: int) -> dict:
    results = []
    for width, height, n_in_row in BOARDS:
        name = f"{width}x{height}x{n_in_row}"
        board = Board(width, height, n_in_row)
        entry = {"board": name, "first_move_s": {}, "first_move_s_min": {},
                 "reference_first_move_s": {}, "first_move_speedup": {}}
        for n_playout in PLAYOUTS:
            times = first_move_seconds(board, n_playout, repeats, seed)
            median = statistics.median(times)
            ref = reference_first_move_s(name, n_playout)
            entry["first_move_s"][str(n_playout)] = round(median, 6)
            entry["first_move_s_min"][str(n_playout)] = round(min(times), 6)
            entry["reference_first_move_s"][str(n_playout)] = round(ref, 3)
            entry["first_move_speedup"][str(n_playout)] = round(ref / median, 1)
            if n_playout == RATE_PLAYOUTS:
                entry["playouts_per_s"] = round(n_playout / median, 1)
        entry["reference_playouts_per_s"] = list(REFERENCE_RATE[name])
        entry["playouts_speedup"] = round(entry["playouts_per_s"] / REFERENCE_RATE[name][1], 1)
        results.append(entry)
    return {
        "benchmark": "pure MCTS first move from the empty board",
        "statistic": f"median of {repeats} calls after a warm-up call",
        "seed": seed,
        "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "results": results,
    }


def table(report: dict) -> str:
    head = (f"{'board':<7} {'playouts/s':>11} {'ref':>9} {'x ref':>7} "
            + " ".join(f"{f'{n} pl. s':>10} {'ref s':>7} {'x ref':>7}" for n in PLAYOUTS))
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        slow, fast = r["reference_playouts_per_s"]
        ref_rate = f"{slow:.0f}" if slow == fast else f"{slow:.0f}-{fast:.0f}"
        line = f"{r['board']:<7} {r['playouts_per_s']:>11.0f} {ref_rate:>9} {r['playouts_speedup']:>7.0f}"
        for n in map(str, PLAYOUTS):
            line += (f" {r['first_move_s'][n]:>10.4f} {r['reference_first_move_s'][n]:>7.2f}"
                     f" {r['first_move_speedup'][n]:>7.0f}")
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
