"""Generations: the nets a run keeps along the way, for the rating ladder (ladder.py).

With ``run.keep_generation_every: K`` (K > 0) the training saves its current net each time its
batch count (self-play games so far) reaches a multiple of K, as
``RUN_DIR/generations/gen-<batch:08d>.model`` (the net's model file) with a sidecar
``gen-<batch:08d>.json`` holding ``{"batch": games so far, "seconds": training seconds so far}``.
Both are written atomically, the model first: a generation exists once its sidecar does, so a
crash between the two leaves a model without sidecar, which ``list_generations`` ignores and the
next save of that batch replaces. Resume removes the generations of games after its checkpoint
by these names (run_directory.remove_generations_after), and the replayed games save them again.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from net.atomic_file import atomic_write_bytes

from .run_directory import GENERATIONS_DIR

NAME_RE = re.compile(r"^gen-(\d{8})\.json$")


def generation_name(batch: int) -> str:
    """``gen-<batch:08d>``: the stem of a generation's model file and sidecar."""
    return f"gen-{batch:08d}"


@dataclass(frozen=True)
class Generation:
    """A kept net: its name (``gen-00000100``), model file, games and seconds of training."""

    name: str
    model: Path
    batch: int
    seconds: float


def save_generation(run_dir, net, batch: int, seconds: float) -> Generation:
    """Save ``net`` (a PolicyValueNet) as the generation of ``batch`` games, atomically."""
    directory = Path(run_dir) / GENERATIONS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    name = generation_name(batch)
    model = directory / f"{name}.model"
    net.save_model(str(model))
    sidecar = {"batch": int(batch), "seconds": float(seconds)}
    atomic_write_bytes(directory / f"{name}.json", (json.dumps(sidecar) + "\n").encode())
    return Generation(name, model, int(batch), float(seconds))


def list_generations(run_dir) -> list[Generation]:
    """The complete generations of a run (sidecar and model present), oldest first.

    A sidecar that does not parse, or whose batch is not its name's, is skipped as not written.
    """
    directory = Path(run_dir) / GENERATIONS_DIR
    if not directory.is_dir():
        return []
    found = []
    for sidecar in directory.iterdir():
        match = NAME_RE.match(sidecar.name)
        model = sidecar.with_suffix(".model")
        if match is None or not model.is_file():
            continue
        try:
            data = json.loads(sidecar.read_text())
            batch, seconds = int(data["batch"]), float(data["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if batch != int(match.group(1)):
            continue
        found.append(Generation(sidecar.stem, model, batch, seconds))
    return sorted(found, key=lambda g: g.batch)
