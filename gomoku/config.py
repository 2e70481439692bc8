"""The board's part of a run configuration."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoardConfig:
    """Board shape and rule: ``n_in_row`` or more stones in a line win."""

    width: int = 6
    height: int = 6
    n_in_row: int = 4

    def __post_init__(self):
        for name in ("width", "height", "n_in_row"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"board.{name} must be a positive integer, got {value!r}")
        if self.width < self.n_in_row or self.height < self.n_in_row:
            raise ValueError(f"board {self.width}x{self.height} is smaller than "
                             f"board.n_in_row={self.n_in_row}")

    def new_board(self):
        from .board import Board
        return Board(self.width, self.height, self.n_in_row)
