"""Speed of training with self-play on Ray actors against the single-process run, same config.

Runs the training loop (pipeline.training_run.TrainingRun, learner and self-play, no matches, no
checkpoints until the end) of one config three ways in this one process, one after the other:
in-process self-play (``distributed.actors`` 0), then on 1 and on 2 Ray actors (``--actors``) of a
Ray this script starts on this machine. Each way first plays ``--warmup`` games (Ray, the actors'
TensorFlow and the XLA compiles start there), then ``--games`` games are timed. Per way: games/hour
and moves/s taken by the learner, network positions/s evaluated by self-play (all actors), updates
per second, and the share of wall time the learner spent waiting for games (in-process: playing
them). The machine is shared: ratios from one run are what counts.

    python scripts/bench_distributed.py [--config configs/6x6x4.yaml] [--actors 1,2]
                                        [--games 32] [--warmup 16] [--playouts N] [--quick]
                                        [--json-out FILE]
--quick: 16 timed games after 16, 100 playouts. Prints one JSON document, then a table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NEVER = 10**8  # no match, no checkpoint, no end of the run inside the benchmark


def bench_one(config, actors: int, warmup: int, games: int) -> dict:
    from pipeline.metrics import METRICS_FILE, read_metrics
    from pipeline.training_run import RunLog, TrainingRun, build_net

    config = config.replace("distributed", actors=actors)
    with tempfile.TemporaryDirectory() as run_dir, open(os.devnull, "w") as quiet:
        log = RunLog(Path(run_dir), stream=quiet)
        training = TrainingRun(config, run_dir, build_net(config), log, tensorboard=False)
        source, counts = training.selfplay, {"moves": 0, "play_seconds": 0.0}
        real_play = source.play

        def counted_play(first_game, n_games):
            started = time.perf_counter()
            played = real_play(first_game, n_games)
            counts["play_seconds"] += time.perf_counter() - started
            counts["moves"] += sum(g.length for g in played)
            return played

        def positions() -> int:
            return source.network_positions if actors else source.runner.search.evaluated_positions

        source.play = counted_play
        try:
            started = time.perf_counter()
            training.run(stop_after=warmup)
            warmup_seconds = time.perf_counter() - started
            before = dict(counts, positions=positions(), updates=training.progress.n_updates)
            started = time.perf_counter()
            training.run(stop_after=warmup + games)
            seconds = time.perf_counter() - started
            after = dict(counts, positions=positions(), updates=training.progress.n_updates)
            training.metrics.flush()
            timed = [r for r in read_metrics(Path(run_dir) / METRICS_FILE)
                     if r.get("batch", 0) > warmup and "loss" in r]
        finally:
            training.close()
            log.close()
    moves = after["moves"] - before["moves"]
    return {
        "actors": actors, "games": games, "seconds": round(seconds, 2),
        "warmup_games": warmup, "warmup_seconds": round(warmup_seconds, 2),
        "games_per_hour": round(games * 3600.0 / seconds, 1),
        "moves_per_s": round(moves / seconds, 2),
        "network_positions_per_s": round((after["positions"] - before["positions"]) / seconds, 1),
        "updates_per_s": round((after["updates"] - before["updates"]) / seconds, 3),
        "learner_wait_share": round((after["play_seconds"] - before["play_seconds"]) / seconds, 3),
        # distributed only, over the timed games' update records (generations = updates here)
        "staleness_max": max((r["staleness_max"] for r in timed
                              if r.get("staleness_max") is not None), default=None),
        "games_lost": max((r.get("games_lost_total", 0) for r in timed), default=0),
        "stale_dropped": max((r.get("stale_dropped_total", 0) for r in timed), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--config", default=str(REPO / "configs" / "6x6x4.yaml"))
    parser.add_argument("--actors", default="1,2", help="actor counts, comma separated")
    parser.add_argument("--games", type=int, default=32, help="timed games per way")
    parser.add_argument("--warmup", type=int, default=16, help="games before the timing")
    parser.add_argument("--playouts", type=int, default=None,
                        help="self-play playouts (search.n_playout); if None, the config's")
    parser.add_argument("--quick", action="store_true", help="--games 16 --playouts 100")
    parser.add_argument("--json-out", help="also write the JSON document to this file")
    args = parser.parse_args()
    if args.quick:
        args.games, args.warmup = 16, 16
        args.playouts = args.playouts or 100
    actor_counts = [int(a) for a in args.actors.split(",") if a]

    from pipeline import run_config
    config = run_config.load(args.config)
    if args.playouts:
        config = config.replace("search", n_playout=args.playouts)
    config = (config.replace("evaluation", check_freq=NEVER)
              .replace("training", game_batch_num=NEVER)
              .replace("run", checkpoint_every=NEVER))

    from net import PolicyValueNet  # noqa: F401  TensorFlow loads here, quietly
    rows = [bench_one(config, 0, args.warmup, args.games)]
    if actor_counts:
        import logging

        import ray
        ray.init(num_cpus=max(os.cpu_count() or 1, max(actor_counts)), include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING)
        try:
            rows += [bench_one(config, n, args.warmup, args.games) for n in actor_counts]
        finally:
            ray.shutdown()
    single = rows[0]
    for row in rows:
        row["games_per_hour_vs_single"] = round(row["games_per_hour"] / single["games_per_hour"], 3)
    b, t = config.board, config.training
    doc = {
        "benchmark": "training with self-play on Ray actors vs in one process",
        "config": os.path.relpath(args.config, REPO) if args.config.startswith(str(REPO))
        else args.config,
        "board": b.label, "n_playout": config.search.n_playout,
        "games_at_once": t.games_at_once, "batch_size": t.batch_size, "epochs": t.epochs,
        "updates_per_game": t.updates_per_game,
        "date": time.strftime("%Y-%m-%d %H:%M"), "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "rows": rows,
    }
    text = json.dumps(doc, indent=1)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    header = ("actors", "games", "seconds", "games/h", "x single", "moves/s", "net pos/s",
              "updates/s", "wait share", "stale max")
    print("\n" + "  ".join(f"{h:>10}" for h in header))
    for r in rows:
        cells = ("in-process" if r["actors"] == 0 else r["actors"], r["games"], r["seconds"],
                 f"{r['games_per_hour']:.0f}", f"{r['games_per_hour_vs_single']:.2f}",
                 f"{r['moves_per_s']:.1f}", f"{r['network_positions_per_s']:.0f}",
                 f"{r['updates_per_s']:.2f}", f"{r['learner_wait_share']:.2f}",
                 "-" if r["staleness_max"] is None else r["staleness_max"])
        print("  ".join(f"{c:>10}" for c in cells))


if __name__ == "__main__":
    main()
