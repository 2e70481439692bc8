"""Training runs under the runs directory, for the page's run view.

Invariants:
- A run is a directory under the runs directory (at most MAX_DEPTH levels down) holding
  ``metrics.jsonl``; it is named by its path relative to the runs directory, with ``/``.
- Nothing outside the runs directory is ever read: a name is resolved (symbolic links followed)
  and refused unless it and its metrics file stay inside; the listing does not follow links to
  directories.
- Metrics are the records ``pipeline.metrics.read_metrics`` reads, with only their numbers kept.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..metrics import METRICS_FILE, read_metrics
from .errors import NOT_FOUND, ApiError, quoted

MAX_DEPTH = 3
MAX_NAME_CHARS = 255
CURVES = ("loss", "entropy", "kl", "lr_multiplier", "win_ratio", "elo")  # the page draws these


def list_runs(runs_dir: Path) -> list[dict]:
    """``[{"name", "records_bytes", "modified"}]`` of every run, the most recently written first."""
    root = Path(runs_dir).resolve()
    runs = []
    if not root.is_dir():
        return runs
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        if METRICS_FILE in files:
            metrics = here / METRICS_FILE
            if _inside(metrics.resolve(), root):
                stat = metrics.stat()
                runs.append({"name": here.relative_to(root).as_posix() or ".",
                             "records_bytes": stat.st_size, "modified": stat.st_mtime})
            subfolders.clear()  # a run's own folders (checkpoints, tensorboard) hold no runs
        elif depth >= MAX_DEPTH:
            subfolders.clear()
    runs.sort(key=lambda run: -run["modified"])
    return runs


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def run_metrics_path(runs_dir: Path, name) -> Path:
    """The metrics file of run ``name``; ApiError (400 outside the runs directory, 404 when
    there is no such run) otherwise."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS or "\0" in name:
        raise ApiError(f"run must be a run directory's name under the runs directory, "
                       f"got {quoted(name)}")
    root = Path(runs_dir).resolve()
    if Path(name).is_absolute():
        raise ApiError(f"run {quoted(name)} is an absolute path: name it relative to the runs "
                       f"directory")
    folder = (root / name).resolve()
    metrics = folder / METRICS_FILE
    if not _inside(folder, root) or not _inside(metrics.resolve(), root):
        raise ApiError(f"run {quoted(name)} is outside the runs directory")
    if not metrics.is_file():
        raise ApiError(f"no run {quoted(name)} (no {METRICS_FILE} there)", NOT_FOUND)
    return metrics


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def run_metrics(runs_dir: Path, name, start: int = 0) -> dict:
    """``{"run", "total", "start", "records"}``: the run's records from number ``start`` on, each
    with its numeric fields only (``total`` counts them all, so a poller asks for the rest)."""
    records = read_metrics(run_metrics_path(runs_dir, name))
    kept = [{k: v for k, v in record.items() if _number(v)}
            for record in records[start:] if isinstance(record, dict)]
    return {"run": name, "total": len(records), "start": start, "records": kept,
            "curves": list(CURVES)}
