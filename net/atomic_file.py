"""Crash-safe file writes shared by the net and the pipeline.

`atomic_write` leaves either the whole new file at `path` or the old one (or none): the bytes go
to a temp file in the same folder, which is flushed, fsynced, made world-readable (0o644) and
renamed over `path`; the folder is then fsynced so the rename survives a power loss. The temp
file is named TEMP_PREFIX + <file name> + "." + <random> + "." + <pid>, so a writer can sweep
leftovers of killed processes with a glob on TEMP_PREFIX, and a test can tell whose it is.
"""
from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable

TEMP_PREFIX = ".tmp-"


def _fsync_dir(directory: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename in it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Replace `path` by what `write(f)` writes to a binary file; on any error remove the temp."""
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name}.", suffix=f".{os.getpid()}",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp made it private
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """`atomic_write` of a bytes object."""
    atomic_write(path, lambda f: f.write(data))
