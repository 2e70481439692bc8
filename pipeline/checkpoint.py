"""Crash-safe checkpoints: one ``ckpt-<batch>.npz`` file each, the last K kept.

A checkpoint is an uncompressed ``.npz`` of plain numeric arrays plus two uint8 members: ``__meta__``
(UTF-8 JSON) and ``__sha256__`` (hex digest of the metadata and every array's name, dtype, shape
and bytes). It is written to a temporary file in the same directory, flushed, fsynced, renamed into
place and the directory fsynced, so a crash leaves either the whole new file or none. Loading never
unpickles (``allow_pickle=False``) and recomputes the digest; the newest checkpoint that loads is
used, and each damaged one skipped is reported by a warning.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np

from gomoku.validation import InputError
from net.atomic_file import TEMP_PREFIX, atomic_write
from net.npz_reader import read_npz

from .run_config import MAX_BUFFER_BYTES

META_KEY = "__meta__"
DIGEST_KEY = "__sha256__"
NAME_RE = re.compile(r"^ckpt-(\d{8})\.npz$")
WRITE_CHUNK = 1 << 16
MAX_MEMBERS = 4096
MAX_TOTAL_BYTES = MAX_BUFFER_BYTES + (1 << 30)  # the buffer, and the net with its copies
# Test hook: seconds spread over the writing of each checkpoint, so that a kill can land mid-write.
SLOW_WRITE_ENV = "GOMOKU_ZERO_SLOW_CHECKPOINT"


class CheckpointError(InputError):
    """A checkpoint file that cannot be used (truncated, altered, unreadable)."""


class NoCheckpointError(InputError):
    """No usable checkpoint in a directory."""


def checkpoint_name(batch: int) -> str:
    return f"ckpt-{batch:08d}.npz"


def digest(arrays: dict[str, np.ndarray], meta_bytes: bytes) -> str:
    h = hashlib.sha256(meta_bytes)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """``net.atomic_file.atomic_write`` of ``data``, slowed down when SLOW_WRITE_ENV is set."""
    slow = float(os.environ.get(SLOW_WRITE_ENV, "0") or 0)
    pause = slow / max(1, -(-len(data) // WRITE_CHUNK))

    def write(f) -> None:
        for start in range(0, len(data), WRITE_CHUNK):
            f.write(data[start:start + WRITE_CHUNK])
            if pause:
                f.flush()
                time.sleep(pause)

    atomic_write(path, write)


def encode(arrays: dict[str, np.ndarray], meta: dict) -> bytes:
    for name, a in arrays.items():
        if name in (META_KEY, DIGEST_KEY) or a.dtype == object:
            raise ValueError(f"checkpoint array {name!r} has a reserved name or object dtype")
    meta_bytes = json.dumps(meta, sort_keys=True).encode()
    members = dict(arrays)
    members[META_KEY] = np.frombuffer(meta_bytes, np.uint8)
    members[DIGEST_KEY] = np.frombuffer(digest(arrays, meta_bytes).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **members)
    return buf.getvalue()


def decode(data_or_path) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and metadata of a checkpoint (bytes or path); raises CheckpointError."""
    members = read_npz(data_or_path, CheckpointError, max_members=MAX_MEMBERS,
                       max_array_bytes=MAX_BUFFER_BYTES, max_total_bytes=MAX_TOTAL_BYTES)
    meta, stored = members.pop(META_KEY, None), members.pop(DIGEST_KEY, None)
    if meta is None or stored is None or meta.dtype != np.uint8 or stored.dtype != np.uint8:
        raise CheckpointError("metadata or checksum missing")
    meta_bytes = meta.tobytes()
    try:
        stored = stored.tobytes().decode("ascii")
    except UnicodeDecodeError:
        raise CheckpointError("the checksum is not text") from None
    if digest(members, meta_bytes) != stored:
        raise CheckpointError("checksum mismatch")
    try:
        meta = json.loads(meta_bytes)
    except (ValueError, RecursionError):  # not JSON, or nested past Python's recursion limit
        raise CheckpointError("metadata is not JSON") from None
    if not isinstance(meta, dict):
        raise CheckpointError("metadata is not a JSON object")
    return members, meta


def list_checkpoints(directory) -> list[Path]:
    """Checkpoint files of ``directory``, newest (highest batch) first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if NAME_RE.match(p.name)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def save(directory, batch: int, arrays: dict[str, np.ndarray], meta: dict, keep: int) -> Path:
    """Write the checkpoint of ``batch`` atomically, then drop all but the newest ``keep``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"{TEMP_PREFIX}ckpt-*"):  # left by a crash mid-write
        stale.unlink(missing_ok=True)
    path = directory / checkpoint_name(batch)
    atomic_write_bytes(path, encode(arrays, meta))
    for old in list_checkpoints(directory)[keep:]:
        old.unlink(missing_ok=True)
    return path


def load_latest(directory, warn: Callable[[str], None]) -> tuple[Path, dict[str, np.ndarray], dict]:
    """The newest checkpoint that loads; ``warn`` hears of each damaged one skipped.

    Raises NoCheckpointError when there is none, or none that loads.
    """
    paths = list_checkpoints(directory)
    if not paths:
        raise NoCheckpointError(f"no checkpoint in {directory}")
    for i, path in enumerate(paths):
        try:
            arrays, meta = decode(path)
        except CheckpointError as exc:
            following = (f"falling back to {paths[i + 1].name}" if i + 1 < len(paths)
                         else "no older checkpoint left")
            warn(f"warning: checkpoint {path.name} is damaged ({exc}); {following}")
            continue
        return path, arrays, meta
    raise NoCheckpointError(f"none of the {len(paths)} checkpoint(s) in {directory} is valid")
