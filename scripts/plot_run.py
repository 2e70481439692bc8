"""Draw a training run's curves to a PNG: loss and entropy, KL and lr multiplier, win ratio.

    python scripts/plot_run.py RUN_DIR [--out RUN_DIR/curves.png] [--summary]

Reads RUN_DIR/metrics.jsonl (written by `gomoku-zero train`); needs matplotlib
(`pip install -e '.[plot]'`). The x axis is self-play games; the win-ratio panel marks each pure
MCTS level with its own colour. ``--summary`` prints, instead of drawing, one JSON document and a
table: the training wall time and games at which each pure MCTS level was first beaten 10-0
(a perfect score), and how the time splits between self-play, updates and matches.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.metrics import METRICS_FILE, read_metrics  # noqa: E402


def series(records, key):
    points = [(r["batch"], r[key]) for r in records if r.get(key) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def plot(run_dir: Path, out: Path, title: str | None = None) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(run_dir / METRICS_FILE)
    if not records:
        raise SystemExit(f"plot_run: no metrics in {run_dir / METRICS_FILE}")
    updates = [r for r in records if "loss" in r]
    matches = [r for r in records if "win_ratio" in r]
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    ax = axes[0]
    ax.plot(*series(updates, "loss"), label="loss", lw=1)
    ax.plot(*series(updates, "entropy"), label="policy entropy", lw=1)
    ax.set_ylabel("nats")
    ax.legend(loc="upper right")
    ax.set_title(title or run_dir.name)
    ax = axes[1]
    ax.plot(*series(updates, "kl"), label="KL(old || new)", lw=1, color="tab:purple")
    ax.set_ylabel("KL")
    ax.set_yscale("log")
    twin = ax.twinx()
    twin.plot(*series(updates, "lr_multiplier"), label="lr multiplier", lw=1, color="tab:gray")
    twin.set_ylabel("lr multiplier")
    ax.legend(loc="upper left")
    twin.legend(loc="upper right")
    ax = axes[2]
    for level in sorted({r["pure_playout"] for r in matches}):
        xs, ys = series([r for r in matches if r["pure_playout"] == level], "win_ratio")
        ax.plot(xs, ys, "o-", label=f"vs pure MCTS {level}", ms=4)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("win ratio")
    ax.set_xlabel("self-play games")
    if matches:
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def summary(run_dir: Path) -> dict:
    records = read_metrics(run_dir / METRICS_FILE)
    updates = [r for r in records if "loss" in r]
    matches = [r for r in records if "win_ratio" in r]
    perfect = {}
    for r in matches:
        if r["win_ratio"] == 1.0 and r["pure_playout"] not in perfect:
            perfect[r["pure_playout"]] = {"games": r["batch"], "minutes": round(r["time"] / 60, 1)}
    last = records[-1] if records else {"batch": 0, "time": 0.0}
    # self-play time of a game: from the speed of its round
    per_game = {r["batch"]: 3600.0 / r["games_per_hour"] for r in updates if r.get("games_per_hour")}
    split = {"selfplay_minutes": round(sum(per_game.values()) / 60, 1),
             "update_minutes": round(sum(r.get("update_seconds") or 0 for r in updates) / 60, 1),
             "updates_timed": sum("update_seconds" in r for r in updates),
             "match_minutes": round(sum(r.get("match_seconds") or 0 for r in matches) / 60, 1)}
    return {"run": str(run_dir), "games": last["batch"], "minutes": round(last["time"] / 60, 1),
            "updates": len(updates), "perfect_score_vs_pure": perfect, "time_split": split,
            "last_match": ({k: matches[-1][k] for k in ("batch", "pure_playout", "win_ratio")}
                           if matches else None)}


def print_summary(result: dict) -> None:
    print(json.dumps(result))
    print(f"{'pure MCTS playouts':>18} | {'10-0 after games':>16} | {'wall minutes':>12}")
    for level, at in sorted(result["perfect_score_vs_pure"].items()):
        print(f"{level:>18} | {at['games']:>16} | {at['minutes']:>12}")
    print(f"time split (minutes): {result['time_split']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: RUN_DIR/curves.png")
    parser.add_argument("--title", default=None, help="default: the run directory's name")
    parser.add_argument("--summary", action="store_true",
                        help="print wall time to each pure MCTS level instead of drawing")
    args = parser.parse_args(argv)
    if args.summary:
        print_summary(summary(args.run_dir))
        return 0
    out = plot(args.run_dir, args.out or args.run_dir / "curves.png", args.title)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
