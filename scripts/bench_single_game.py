"""Speed of one game's search (G = 1) with leaf batching, against the raw network, untrained net.

For each leaf batch L (``search.leaf_batch``: 1 is the exact search, one leaf a network call),
``MCTSPlayer(evaluate=net.evaluate, leaf_batch=L)`` searches the same positions (the empty board
and positions after a few seeded random moves), ``n_playout`` playouts each, a fresh tree every
time, the settings taking turns position by position so that all see the same machine load.
Interleaved with each search's network calls (one in RAW_EVERY), the raw network is timed alone
on a batch of the same size (sample positions), so "raw positions/s" is what the net does at the
batches the search sends; search figures exclude those raw calls.

Per leaf batch: playouts/s, network positions/s in the search and raw, their ratio, the mean
batch, the share of search wall time inside ``evaluate``, and playouts/s over leaf batch 1 of
this run. ``--runtime light`` runs the same untrained weights on the engine's NumPy net
(``net.numpy_net``) instead of TensorFlow's. Prints one JSON document, then a table.

    python scripts/bench_single_game.py [--quick] [--board 8x8x5] [--leaf-batches 1,8,16]
                                        [--playouts 400] [--positions 4] [--runtime tensorflow]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_selfplay import InterleavedRaw, parse_board, sample_states, warm_up
from gomoku import Board
from mcts import MCTSPlayer

RAW_EVERY = 4  # one raw-network call timed per this many search calls


def positions(width: int, height: int, n_in_row: int, count: int, seed: int) -> list[Board]:
    """The empty board, then boards after 2, 4, ... seeded random moves (games not over)."""
    rng = np.random.default_rng(seed)
    boards = []
    while len(boards) < count:
        board = Board(width, height, n_in_row)
        for move in rng.permutation(width * height)[: 2 * len(boards)]:
            board.do_move(int(move))
        if not board.game_end()[0]:
            boards.append(board)
    return boards


def bench(evaluate, board: tuple[int, int, int], leaf_batches: list[int], n_playout: int,
          n_positions: int, seed: int) -> list[dict]:
    states = sample_states(*board, max(leaf_batches), seed)
    warm_up(evaluate, states, range(1, max(leaf_batches) + 1))
    raws = {b: InterleavedRaw(evaluate, states, RAW_EVERY) for b in leaf_batches}
    players = {b: MCTSPlayer(evaluate=raws[b], n_playout=n_playout, leaf_batch=b)
               for b in leaf_batches}
    totals = {b: {"playouts": 0, "wall": 0.0, "calls": 0, "positions": 0, "net": 0.0}
              for b in leaf_batches}
    for b in leaf_batches:  # warm-up: compiles the kernels, makes each player's search
        players[b].get_action(positions(*board, 1, seed)[0])
    for position in positions(*board, n_positions, seed):
        for b in leaf_batches:
            player, raw, total = players[b], raws[b], totals[b]
            raw_before = raw.seconds
            search = player._search
            calls, evaluated, inside = (search.evaluate_calls, search.evaluated_positions,
                                        search.evaluate_seconds)
            start = time.perf_counter()
            player.get_action(position)
            raw_spent = raw.seconds - raw_before
            total["wall"] += time.perf_counter() - start - raw_spent
            total["playouts"] += player.playouts
            total["calls"] += search.evaluate_calls - calls
            total["positions"] += search.evaluated_positions - evaluated
            total["net"] += search.evaluate_seconds - inside - raw_spent
    rows = []
    for b in leaf_batches:
        t, raw = totals[b], raws[b]
        search_rate = t["positions"] / t["wall"]
        raw_rate = raw.positions / raw.seconds
        rows.append({
            "board": "x".join(map(str, board)), "leaf_batch": b, "playouts": n_playout,
            "positions_searched": n_positions, "wall_s": round(t["wall"], 3),
            "playouts_per_s": round(t["playouts"] / t["wall"], 1),
            "search_positions_per_s": round(search_rate, 1),
            "raw_positions_per_s": round(raw_rate, 1),
            "search_over_raw": round(search_rate / raw_rate, 3),
            "mean_batch": round(t["positions"] / max(1, t["calls"]), 2),
            "net_share": round(t["net"] / t["wall"], 3),
        })
    base = next(r for r in rows if r["leaf_batch"] == min(leaf_batches))["playouts_per_s"]
    for r in rows:
        r["playouts_per_s_over_smallest_batch"] = round(r["playouts_per_s"] / base, 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--board", default="8x8x5")
    parser.add_argument("--leaf-batches", default="1,8,16", help="comma separated")
    parser.add_argument("--playouts", type=int, default=400)
    parser.add_argument("--positions", type=int, default=4, help="positions searched per setting")
    parser.add_argument("--quick", action="store_true", help="200 playouts on 2 positions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runtime", choices=("tensorflow", "light"), default="tensorflow")
    args = parser.parse_args()
    if args.quick:
        args.playouts, args.positions = 200, 2
    board = parse_board(args.board)
    leaf_batches = [int(b) for b in args.leaf_batches.split(",")]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from net import PolicyValueNet  # TensorFlow loads here, after the arguments are checked

    net = PolicyValueNet(board[0], board[1], seed=args.seed)
    if args.runtime == "light":
        from net.numpy_net import NumpyNet
        with tempfile.TemporaryDirectory() as folder:
            net.save_model(Path(folder) / "untrained.model")
            net = NumpyNet.from_model_file(Path(folder) / "untrained.model")
    rows = bench(net.evaluate, board, leaf_batches, args.playouts, args.positions, args.seed)
    doc = {
        "benchmark": "one game's search (G = 1) by leaf batch vs raw network, untrained net",
        "runtime": args.runtime,
        "ratios": "within this run: search over the raw net at the same batches; playouts/s "
                  "over the smallest leaf batch",
        "python": platform.python_version(), "numpy": np.__version__,
        "cpu_count": os.cpu_count(), "rows": rows,
    }
    print(json.dumps(doc, indent=1))
    header = ("board", "leaf", "playouts/s", "x leaf 1", "search pos/s", "raw pos/s",
              "search/raw", "batch", "net share")
    print("\n" + "  ".join(f"{h:>12}" for h in header))
    for r in rows:
        cells = (r["board"], r["leaf_batch"], f"{r['playouts_per_s']:.0f}",
                 f"{r['playouts_per_s_over_smallest_batch']:.2f}",
                 f"{r['search_positions_per_s']:.0f}", f"{r['raw_positions_per_s']:.0f}",
                 f"{r['search_over_raw']:.3f}", f"{r['mean_batch']:.1f}", f"{r['net_share']:.3f}")
        print("  ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main()
