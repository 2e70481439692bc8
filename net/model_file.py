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
import zipfile
from dataclasses import dataclass

import numpy as np

from gomoku.board_config import MAX_SIDE, BoardConfig
from gomoku.validation import InputError

from net.atomic_file import atomic_write
from net.net_config import NetConfig

FORMAT_TAG = "gomoku-zero policy-value net v2"
FORMAT_TAG_V1 = "gomoku-zero policy-value net v1"
FORMAT_KEY = "format"
BOARD_SIZE_KEY = "board_size"
GAME_KEY = "game"
ZIP_MAGIC = b"PK\x03\x04"  # first bytes of a zip archive with at least one entry


class ModelFileError(InputError):
    """A model file that is missing, truncated, foreign, or made for another board."""


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
    if not os.path.isfile(path):
        raise ModelFileError(f"model file not found: {path}")
    with open(path, "rb") as f:
        if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            raise ModelFileError(f"{path} is not a gomoku-zero model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            entries = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path} is truncated or damaged ({exc})") from None
    tag = entries.pop(FORMAT_KEY, None)
    if tag is None or tag.shape != () or str(tag) not in (FORMAT_TAG, FORMAT_TAG_V1):
        raise ModelFileError(f"{path} is not a gomoku-zero model file "
                             f"(no '{FORMAT_KEY}' entry equal to {FORMAT_TAG!r})")
    size = entries.pop(BOARD_SIZE_KEY, None)
    if size is None or size.shape != (2,) or size.dtype.kind not in "iu":
        raise ModelFileError(f"{path} has no valid '{BOARD_SIZE_KEY}' entry")
    board_size = (int(size[0]), int(size[1]))
    if not all(1 <= side <= MAX_SIDE for side in board_size):
        raise ModelFileError(f"{path}: its board size {board_size[0]}x{board_size[1]} is not "
                             f"one of 1-{MAX_SIDE} points a side")
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
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelFileError(f"{path}: its '{GAME_KEY}' entry is not a valid game "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") \
            from None
    if (board.width, board.height) != board_size:
        raise ModelFileError(f"{path}: its game is {board.label} but its board size is "
                             f"{board_size[0]}x{board_size[1]}")
    return board, net
