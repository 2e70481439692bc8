"""What a deadline costs the pure MCTS search, and how close to it the search stops.

Prints one JSON document, then a table. For each board, a first move from the empty board with
the same seed (so every call runs the same playouts), timed in interleaved rounds after a warm-up:
- ``none``: no deadline (the clock is never read);
- ``every 1``: a deadline far in the future, the clock read before every playout;
- ``every K``: the same, read every K playouts (K = mcts.pure.CLOCK_CHECK_EVERY, or --every).
The cost of one clock read is (every 1 - every K) / (reads saved); its share of a playout at K
is that cost / (K x seconds per playout); ``timed / none`` compares every K with none. Each is
computed from the medians and from the minima of the rounds (the minima suffer least from other
processes on a shared machine).
Then ``late``: seconds between the deadline and the return of ``MCTSPurePlayer.get_action`` for a
deadline --budget seconds away and a cap of 10**7 playouts (median and max over the rounds).

    python scripts/bench_deadline.py [--rounds 15] [--every K] [--budget 0.2]
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
from mcts.pure import CLOCK_CHECK_EVERY, MIN_PLAYOUTS, search

# board -> playouts of a timed call (about 0.1-0.2 s each on the 2-core development machine)
BOARDS = {(6, 6, 4): 20000, (15, 15, 5): 3000}
FAR = 1e9  # seconds ahead: a deadline that never passes
SEED = 12345
LATE_CAP = 10**7


def clock_reads(n_playout: int, every: int) -> int:
    return len(range(MIN_PLAYOUTS, n_playout, every))


def bench_board(width, height, n_in_row, n_playout, rounds, every, budget) -> dict:
    board = Board(width, height, n_in_row)
    args = (board.stones, width, height, n_in_row, board.current_player, 5.0, n_playout, SEED)
    calls = {
        "none": lambda: search(*args),
        "every_1": lambda: search(*args, time.monotonic() + FAR, 1),
        f"every_{every}": lambda: search(*args, time.monotonic() + FAR, every),
    }
    for call in calls.values():
        call()  # warm-up: compiles or loads numba's cache
    times = {name: [] for name in calls}
    late = []
    player = MCTSPurePlayer(n_playout=LATE_CAP, seed=SEED)
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
        deadline = time.monotonic() + budget
        player.get_action(board, deadline=deadline)
        late.append(time.monotonic() - deadline)
    reads_saved = clock_reads(n_playout, 1) - clock_reads(n_playout, every)
    entry = {"board": f"{width}x{height}x{n_in_row}", "playouts": n_playout}
    for statistic, reduce in (("median", statistics.median), ("min", min)):
        t = {name: reduce(ts) for name, ts in times.items()}
        per_playout = t["none"] / n_playout
        per_read = max(t["every_1"] - t[f"every_{every}"], 0.0) / reads_saved
        entry[statistic] = {
            "seconds": {name: round(v, 6) for name, v in t.items()},
            "playout_us": round(per_playout * 1e6, 3),
            "clock_read_us": round(per_read * 1e6, 3),
            "check_share_at_every": round(per_read / (every * per_playout), 5),
            "timed_over_none": round(t[f"every_{every}"] / t["none"], 4),
        }
    entry["late_s"] = {"median": round(statistics.median(late), 5), "max": round(max(late), 5)}
    entry["late_playouts"] = player.playouts
    return entry


def table(report: dict) -> str:
    every = report["every"]
    head = (f"{'board':<8} {'stat':<6} {'us/playout':>10} {'us/read':>8} "
            f"{f'check share @{every}':>17} {'timed/none':>10} "
            f"{'late med s':>10} {'late max s':>10}")
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        for statistic in ("median", "min"):
            f = r[statistic]
            lines.append(f"{r['board']:<8} {statistic:<6} {f['playout_us']:>10.2f} "
                         f"{f['clock_read_us']:>8.3f} {100 * f['check_share_at_every']:>16.2f}% "
                         f"{f['timed_over_none']:>10.4f} {r['late_s']['median']:>10.4f} "
                         f"{r['late_s']['max']:>10.4f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--every", type=int, default=CLOCK_CHECK_EVERY,
                        help=f"playouts between clock reads (default {CLOCK_CHECK_EVERY})")
    parser.add_argument("--budget", type=float, default=0.2,
                        help="seconds to the deadline in the lateness test (default 0.2)")
    args = parser.parse_args()
    if args.rounds < 1 or args.every < 2 or args.budget <= 0:
        parser.error("--rounds must be >= 1, --every >= 2 and --budget > 0")
    results = [bench_board(w, h, n, playouts, args.rounds, args.every, args.budget)
               for (w, h, n), playouts in BOARDS.items()]
    report = {
        "benchmark": "pure MCTS: cost of the deadline check, lateness",
        "statistic": f"median of {args.rounds} interleaved rounds after a warm-up",
        "every": args.every, "budget_s": args.budget,
        "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
        "cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    print(json.dumps(report, indent=2))
    print()
    print(table(report))


if __name__ == "__main__":
    main()
