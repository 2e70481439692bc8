"""The ladder's picture: Elo of the generations against training hours and self-play games.

The only module that imports matplotlib (the optional extra ``plot``: ``pip install -e
'.[plot]'``), so importing it raises ImportError when matplotlib is not installed. Error bars
are the fit's intervals; the anchors are horizontal lines at their ratings.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

from net.atomic_file import atomic_write_bytes

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

LADDER_PLOT = "ladder.png"


def plot_ladder(doc: dict, out: Path, title: str) -> Path:
    """Draw the ratings of a ladder document (ladder.json) to ``out`` (atomically); returns it."""
    rated = doc["ratings"]["players"]
    generations = sorted((r for r in rated if r["batch"] is not None), key=lambda r: r["batch"])
    anchors = [r for r in rated if r["batch"] is None]
    elo = [r["elo"] for r in generations]
    below = [r["elo"] - r["low"] for r in generations]
    above = [r["high"] - r["elo"] for r in generations]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    xs = ([r["seconds"] / 3600 for r in generations], [r["batch"] for r in generations])
    for ax, x, label in zip(axes, xs, ("training hours", "self-play games")):
        ax.errorbar(x, elo, yerr=[below, above], fmt="o-", ms=4, capsize=3, lw=1,
                    label="generations")
        for k, anchor in enumerate(anchors):
            ax.axhline(anchor["elo"], ls="--", lw=1, color=f"C{k + 1}", label=anchor["player"])
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"Elo ({doc['ratings']['anchor']} = 0, "
                       f"{doc['ratings']['confidence']:.0%} intervals)")
    axes[1].legend(loc="lower right", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(out, image.getvalue())
    return out
