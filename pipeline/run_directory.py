"""A run directory's files beside its checkpoints: who may write them, and cutting them back.

A checkpoint records how long the append-only files were when it was written (the log and the
TensorBoard event files); resuming from it cuts them back to those lengths and removes the files
written after it (generation models of later games, event files of a later process), so that a
resumed run's files describe one history. The lock keeps a second trainer out of a directory
in use: it is an exclusive ``flock`` on LOCK_FILE, released by the kernel when the holder exits,
however it exits.
"""
from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from gomoku.validation import InputError

LOCK_FILE = "run.lock"
GENERATIONS_DIR = "generations"
GENERATION_RE = re.compile(r"^gen-(\d{8})\.(model|json)$")


class RunInUseError(InputError):
    """Another process holds the run directory."""


class RunLock:
    """An exclusive lock on a run directory, held from ``acquire`` until ``release`` (or exit)."""

    def __init__(self, run_dir):
        self.path = Path(run_dir) / LOCK_FILE
        self._fd = None

    def acquire(self) -> "RunLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise RunInUseError(f"{self.path.parent} is in use by another training "
                                f"(pid {holder}); wait for it to stop") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def file_sizes(folder) -> dict[str, int]:
    """The size of every file in ``folder`` (none if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}


def cut_back(folder, sizes: dict[str, int]) -> list[str]:
    """Cut each file of ``folder`` to its size in ``sizes``; remove the files not in it.

    Returns the names changed or removed.
    """
    changed = []
    for name, size in file_sizes(folder).items():
        path = Path(folder) / name
        if name not in sizes:
            path.unlink(missing_ok=True)
            changed.append(name)
        elif size > sizes[name]:
            os.truncate(path, sizes[name])
            changed.append(name)
    return changed


def cut_file(path, size: int) -> bool:
    """Cut the file at ``path`` to ``size`` bytes if it is longer; True if it was."""
    path = Path(path)
    if path.is_file() and path.stat().st_size > size:
        os.truncate(path, size)
        return True
    return False


def remove_generations_after(run_dir, batch: int) -> list[str]:
    """Remove the generation files of games after ``batch``; returns their names."""
    folder = Path(run_dir) / GENERATIONS_DIR
    removed = []
    for name in sorted(file_sizes(folder)):
        match = GENERATION_RE.match(name)
        if match and int(match.group(1)) > batch:
            (folder / name).unlink(missing_ok=True)
            removed.append(name)
    return removed
