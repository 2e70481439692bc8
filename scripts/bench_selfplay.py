"""Speed of batched self-play against the raw network, with the untrained net.

For each board and each number G of games played at once, self-play runs with ``n_playout``
playouts per move; interleaved with its network calls (one raw call every RAW_EVERY self-play
calls), the raw network is timed alone on a batch of the same size, so both see the same machine
load (the machine is shared: ratios from one run are what counts). Self-play figures exclude
those raw calls. Rows with G <= --full-games-upto play one complete round of G games (their mean
length turns moves/s into games/hour); larger G play --moves moves per slot, starting a new game
in a slot whose game ends, so the batch stays full.

Per row: moves/s, games/hour, network positions/s in self-play (``selfplay_positions_per_s``) and
raw (``raw_positions_per_s``), their ratio (``selfplay_over_raw``), the mean batch size, the
share of self-play wall time spent inside ``evaluate``, and the row's moves/s over that of the
board's smallest G in this run (``moves_per_s_over_fewest_games``: what batching gains). Every
ratio is between figures of this run. Prints one JSON document, then a table.

    python scripts/bench_selfplay.py [--quick] [--boards 6x6x4,8x8x5] [--games 1,8,32,128]
                                     [--playouts 400] [--moves 6] [--full-games-upto 8]
                                     [--profile 8x8x5:128] [--overlap 8x8x5:128]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import time

import numpy as np

from gomoku import Board, BoardConfig
from mcts import SearchConfig, SelfPlay

RAW_EVERY = 4  # one raw-network call timed per this many self-play calls


def parse_board(text: str) -> tuple[int, int, int]:
    try:
        width, height, n_in_row = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"bad board {text!r}: expected WxHxN, e.g. 8x8x5") from None
    return width, height, n_in_row


def sample_states(width: int, height: int, n_in_row: int, n: int, seed: int) -> np.ndarray:
    """float32 [n, 4, H, W]: positions after a few random moves, as self-play sees early on."""
    rng = np.random.default_rng(seed)
    states = []
    while len(states) < n:
        board = Board(width, height, n_in_row)
        for move in rng.permutation(width * height)[: rng.integers(0, width * height // 3)]:
            board.do_move(int(move))
            if board.game_end()[0]:
                break
        if not board.game_end()[0]:
            states.append(board.current_state())
    return np.stack(states)


class InterleavedRaw:
    """The evaluate handed to self-play: every ``every``-th call it first times the raw network
    alone on a batch of the same size (sample positions), so both see the same machine load."""

    def __init__(self, evaluate, states: np.ndarray, every: int):
        self.evaluate, self.states, self.every = evaluate, states, every
        self.calls, self.positions, self.seconds = 0, 0, 0.0

    def __call__(self, states: np.ndarray):
        self.calls += 1
        if self.calls % self.every == 0:
            x = self.states[: len(states)]
            start = time.perf_counter()
            self.evaluate(x)
            self.seconds += time.perf_counter() - start
            self.positions += len(x)
        return self.evaluate(states)


def bench_row(evaluate, board: tuple[int, int, int], n_games: int, config: SearchConfig,
              moves: int, full_games: bool, states: np.ndarray) -> dict:
    width, height, n_in_row = board
    raw = InterleavedRaw(evaluate, states, RAW_EVERY)
    runner = SelfPlay(raw, BoardConfig(width, height, n_in_row), config, n_games)
    search = runner.search
    next_game, lengths, step = 0, [], 0
    for _ in range(n_games):
        runner.start_game(next_game)
        next_game += 1
    start = time.perf_counter()
    while runner.n_active and (full_games or step < moves):
        lengths.extend(r.length for r in runner.play_move())
        if not full_games:
            while runner.n_active < n_games:
                runner.start_game(next_game)
                next_game += 1
        step += 1
    wall = time.perf_counter() - start - raw.seconds  # self-play alone
    net_seconds = search.evaluate_seconds - raw.seconds
    sp_rate = search.evaluated_positions / wall
    raw_rate = raw.positions / raw.seconds
    return {
        "board": "x".join(map(str, board)), "games": n_games, "playouts": config.n_playout,
        "complete_games": full_games, "moves": runner.moves_played, "wall_s": round(wall, 3),
        "moves_per_s": round(runner.moves_played / wall, 3),
        "selfplay_positions_per_s": round(sp_rate, 1),
        "raw_positions_per_s": round(raw_rate, 1),
        "selfplay_over_raw": round(sp_rate / raw_rate, 3),
        "mean_batch": round(search.evaluated_positions / max(1, search.evaluate_calls), 2),
        "net_share": round(net_seconds / wall, 3),
        "game_lengths": lengths if full_games else [],
    }


def add_games_per_hour(rows: list[dict]) -> None:
    """games/hour = moves/s * 3600 / (mean length of the board's complete games in this run);
    also each row's moves/s over that of the board's row with the fewest games."""
    for name in {r["board"] for r in rows}:
        lengths = [n for r in rows if r["board"] == name for n in r["game_lengths"]]
        mean_length = float(np.mean(lengths)) if lengths else None
        fewest = min((r for r in rows if r["board"] == name), key=lambda r: r["games"])
        for r in rows:
            if r["board"] == name:
                r["moves_per_s_over_fewest_games"] = round(r["moves_per_s"]
                                                           / fewest["moves_per_s"], 2)
                r["mean_game_length"] = None if mean_length is None else round(mean_length, 2)
                r["games_per_hour"] = (None if mean_length is None
                                       else round(r["moves_per_s"] * 3600 / mean_length, 1))


def warm_up(evaluate, states: np.ndarray, batches) -> None:
    for b in sorted(set(batches)):
        for _ in range(3):
            evaluate(np.ascontiguousarray(states[:b]))


def profile(evaluate, board, n_games: int, config: SearchConfig, moves: int) -> str:
    """cProfile of ``moves`` self-play moves after two warm-up moves (the second makes the trees
    grow once to hold a kept subtree): top functions by own time."""
    runner = SelfPlay(evaluate, BoardConfig(*board), config, n_games)
    for i in range(n_games):
        runner.start_game(i)
    runner.play_move()
    runner.play_move()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(moves):
        runner.play_move()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()


def overlap(evaluate, board, n_games: int, config: SearchConfig, rounds: int) -> dict:
    """Positions/s of G games stepped as one batch (one thread) against two halves of G/2, each
    stepped by its own thread (``n_threads=2``), so one half's tree work overlaps the other's
    network call; one move of each in turn, ``rounds`` times. Also the process CPU time: a gain
    that costs as much more CPU time only takes a larger share of a busy machine."""
    runners = {}
    for threads in (1, 2):
        runner = SelfPlay(evaluate, BoardConfig(*board), config, n_games, n_threads=threads)
        for i in range(n_games):
            runner.start_game(i)
        runner.play_move()  # warm-up move
        runners[threads] = runner
    totals = {threads: [0, 0.0, 0.0] for threads in runners}
    for _ in range(rounds):
        for threads, runner in runners.items():
            before = runner.search.evaluated_positions
            wall, cpu = time.perf_counter(), time.process_time()
            runner.play_move()
            totals[threads][0] += runner.search.evaluated_positions - before
            totals[threads][1] += time.perf_counter() - wall
            totals[threads][2] += time.process_time() - cpu
    row = {"board": "x".join(map(str, board)), "games": n_games, "playouts": config.n_playout}
    for threads, (positions, wall, cpu) in totals.items():
        row[f"threads_{threads}_positions_per_s"] = round(positions / wall, 1)
        row[f"threads_{threads}_positions_per_cpu_s"] = round(positions / cpu, 1)
    row["two_threads_over_one"] = round(row["threads_2_positions_per_s"]
                                        / row["threads_1_positions_per_s"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--boards", default="6x6x4,8x8x5")
    parser.add_argument("--games", default="1,8,32,128", help="games at once, comma separated")
    parser.add_argument("--playouts", type=int, default=400)
    parser.add_argument("--moves", type=int, default=6, help="moves per slot for larger G")
    parser.add_argument("--full-games-upto", type=int, default=8,
                        help="rows with at most this many games play one complete round")
    parser.add_argument("--quick", action="store_true",
                        help="2 moves per row, no complete games (no games/hour)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out", help="also write the JSON document to this file")
    parser.add_argument("--profile", metavar="WxHxN:G",
                        help="only profile 2 self-play moves of this board and G with cProfile")
    parser.add_argument("--overlap", metavar="WxHxN:G",
                        help="only compare G games in one thread with two threaded halves")
    args = parser.parse_args()
    if args.quick:
        args.moves, args.full_games_upto = 2, 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from net import PolicyValueNet  # TensorFlow loads here, after the arguments are checked

    config = SearchConfig(n_playout=args.playouts, seed=args.seed)
    games = [int(g) for g in args.games.split(",")]
    if args.profile or args.overlap:
        board_text, g = (args.profile or args.overlap).split(":")
        board, g = parse_board(board_text), int(g)
        evaluate = PolicyValueNet(board[0], board[1], seed=args.seed).evaluate
        warm_up(evaluate, sample_states(*board, g, args.seed), range(1, g + 1))
        if args.profile:
            print(profile(evaluate, board, g, config, 2))
        else:
            print(json.dumps(overlap(evaluate, board, g, config, max(2, args.moves)), indent=1))
        return

    rows = []
    for board_text in args.boards.split(","):
        board = parse_board(board_text)
        evaluate = PolicyValueNet(board[0], board[1], seed=args.seed).evaluate
        states = sample_states(*board, max(games), args.seed)
        warm_up(evaluate, states, range(1, max(games) + 1))
        for g in games:
            rows.append(bench_row(evaluate, board, g, config, args.moves,
                                  g <= args.full_games_upto, states))
    add_games_per_hour(rows)
    doc = {
        "benchmark": "batched self-play vs raw network, untrained net",
        "ratios": "within this run: self-play over the raw net at the same batch; moves/s "
                  "over the board's row with the fewest games",
        "python": platform.python_version(), "numpy": np.__version__,
        "cpu_count": os.cpu_count(), "rows": rows,
    }
    text = json.dumps(doc, indent=1)
    print(text)
    if args.json_out:
        tmp = args.json_out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, args.json_out)
    header = ("board", "G", "moves", "moves/s", "games/h", "sp pos/s", "raw pos/s", "sp/raw",
              "batch", "net share", "x min G")
    print("\n" + "  ".join(f"{h:>9}" for h in header))
    for r in rows:
        gph = "-" if r["games_per_hour"] is None else f"{r['games_per_hour']:.0f}"
        cells = (r["board"], r["games"], r["moves"], f"{r['moves_per_s']:.2f}", gph,
                 f"{r['selfplay_positions_per_s']:.0f}", f"{r['raw_positions_per_s']:.0f}",
                 f"{r['selfplay_over_raw']:.3f}", f"{r['mean_batch']:.1f}",
                 f"{r['net_share']:.3f}", f"{r['moves_per_s_over_fewest_games']:.2f}")
        print("  ".join(f"{c:>9}" for c in cells))


if __name__ == "__main__":
    main()
