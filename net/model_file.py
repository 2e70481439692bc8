"""One-file model format: weights, optimizer state and board size in an uncompressed .npz.

Layout (every entry a plain numeric or unicode array, so loading never needs pickle):
  "format"            unicode scalar, FORMAT_TAG
  "board_size"        int64 [2]: (board_width, board_height)
  "model/<path>"      one entry per Keras model variable (kernel, bias)
  "optimizer/<path>"  one entry per optimizer variable (iteration, learning_rate, moments)
"""
from __future__ import annotations

import os
import zipfile

import numpy as np

from net.atomic_file import atomic_write

FORMAT_TAG = "gomoku-zero policy-value net v1"
FORMAT_KEY = "format"
BOARD_SIZE_KEY = "board_size"
ZIP_MAGIC = b"PK\x03\x04"  # first bytes of a zip archive with at least one entry


class ModelFileError(ValueError):
    """A model file that is missing, truncated, foreign, or made for another board."""


def write_model_file(path: str | os.PathLike, board_size: tuple[int, int],
                     arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (see net.atomic_file)."""
    entries = {FORMAT_KEY: np.array(FORMAT_TAG),
               BOARD_SIZE_KEY: np.array(board_size, dtype=np.int64), **arrays}
    atomic_write(path, lambda f: np.savez(f, **entries))


def read_model_file(path: str | os.PathLike) -> tuple[tuple[int, int], dict[str, np.ndarray]]:
    """Return ((board_width, board_height), {"model/..": array, "optimizer/..": array})."""
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
    if tag is None or tag.shape != () or str(tag) != FORMAT_TAG:
        raise ModelFileError(f"{path} is not a gomoku-zero model file "
                             f"(no '{FORMAT_KEY}' entry equal to {FORMAT_TAG!r})")
    size = entries.pop(BOARD_SIZE_KEY, None)
    if size is None or size.shape != (2,) or size.dtype.kind not in "iu":
        raise ModelFileError(f"{path} has no valid '{BOARD_SIZE_KEY}' entry")
    return (int(size[0]), int(size[1])), entries
