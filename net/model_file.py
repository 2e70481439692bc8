"""One-file model format: the game, the net's config, weights and optimizer state in an .npz.

Layout (every entry a plain numeric or unicode array, so loading never needs pickle):
  "format"            unicode scalar, FORMAT_TAG (or FORMAT_TAG_V1 for files without "game")
  "board_size"        int64 [2]: (board_width, board_height)
  "game"              unicode scalar, JSON {"board": BoardConfig fields, "net": NetConfig fields}
  "model/<path>"      one entry per Keras model variable (kernel, bias)
  "optimizer/<path>"  one entry per optimizer variable (iteration, learning_rate, moments)
A v1 file (written before the game was recorded) has no "game": its board is only its size.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from gomoku.board_config import BoardConfig
from gomoku.validation import InputError

from net.atomic_file import atomic_write
from net.net_config import MAX_NET_SIDE, NetConfig
from net.npz_reader import read_npz

FORMAT_TAG = "gomoku-zero policy-value net v2"
FORMAT_TAG_V1 = "gomoku-zero policy-value net v1"
FORMAT_KEY = "format"
BOARD_SIZE_KEY = "board_size"
GAME_KEY = "game"
ZIP_MAGIC = b"PK\x03\x04"  # first bytes of a zip archive with at least one entry


# caps checked before anything is allocated; the largest net (32x32, net_config.MAX_NET_SIDE)
# has a 16 MiB policy kernel and about 50 MiB with its Adam moments
MAX_MEMBERS = 1024
MAX_ARRAY_BYTES = 256 << 20
MAX_TOTAL_BYTES = 1 << 30


class ModelFileError(InputError):
    """A model file that is missing, truncated, foreign, or made for another board."""


class _Damaged(Exception):
    """read_npz's complaint, before it is phrased as a ModelFileError."""


@dataclass(frozen=True)
class ModelFile:
    """What a model file holds. ``board`` and ``net`` are None in a v1 file."""

    board_size: tuple[int, int]  # (width, height)
    board: BoardConfig | None
    net: NetConfig | None
    arrays: dict  # "model/..", "optimizer/.." -> np.ndarray


def write_model_file(path: str | os.PathLike, board: BoardConfig, net: NetConfig,
                     arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (see net.atomic_file)."""
    game = json.dumps({"board": board.to_dict(), "net": net.to_dict()})
    entries = {FORMAT_KEY: np.array(FORMAT_TAG),
               BOARD_SIZE_KEY: np.array((board.width, board.height), dtype=np.int64),
               GAME_KEY: np.array(game), **arrays}
    atomic_write(path, lambda f: np.savez(f, **entries))


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """The contents of a v2 or v1 model file; ModelFileError names what is wrong."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory, not a model file")
    if not os.path.isfile(path):
        raise ModelFileError(f"model file not found: {path}")
    try:
        with open(path, "rb") as f:
            if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                raise ModelFileError(f"{path} is not a gomoku-zero model file "
                                     f"(not an .npz archive)")
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    try:
        entries = read_npz(path, _Damaged, max_members=MAX_MEMBERS, max_array_bytes=MAX_ARRAY_BYTES,
                           max_total_bytes=MAX_TOTAL_BYTES)
    except _Damaged as exc:
        raise ModelFileError(f"{path} is truncated or damaged ({str(exc)[len(path) + 2:]})") \
            from None
    tag = entries.pop(FORMAT_KEY, None)
    if tag is None or tag.shape != () or str(tag) not in (FORMAT_TAG, FORMAT_TAG_V1):
        raise ModelFileError(f"{path} is not a gomoku-zero model file "
                             f"(no '{FORMAT_KEY}' entry equal to {FORMAT_TAG!r})")
    size = entries.pop(BOARD_SIZE_KEY, None)
    if size is None or size.shape != (2,) or size.dtype.kind not in "iu":
        raise ModelFileError(f"{path} has no valid '{BOARD_SIZE_KEY}' entry")
    board_size = (int(size[0]), int(size[1]))
    if not all(1 <= side <= MAX_NET_SIDE for side in board_size):
        raise ModelFileError(f"{path}: its board size {board_size[0]}x{board_size[1]} is not "
                             f"one of 1-{MAX_NET_SIDE} points a side")
    board = net = None
    if str(tag) == FORMAT_TAG:
        board, net = _game(path, entries.pop(GAME_KEY, None), board_size)
    return ModelFile(board_size, board, net, entries)


def _game(path: str, entry, board_size) -> tuple[BoardConfig, NetConfig]:
    if entry is None or entry.shape != () or entry.dtype.kind != "U":
        raise ModelFileError(f"{path} has no valid '{GAME_KEY}' entry")
    try:
        game = json.loads(str(entry))
        board, net = BoardConfig(**game["board"]), NetConfig(**game["net"])
    except (ValueError, TypeError, KeyError, RecursionError) as exc:  # JSON nested too deep
        raise ModelFileError(f"{path}: its '{GAME_KEY}' entry is not a valid game "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") \
            from None
    if (board.width, board.height) != board_size:
        raise ModelFileError(f"{path}: its game is {board.label} but its board size is "
                             f"{board_size[0]}x{board_size[1]}")
    return board, net
