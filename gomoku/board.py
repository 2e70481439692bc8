"""The Gomoku board: rules, move numbering and the network's input planes.

Interface invariants (shared with the reference trainer, AlphaZero_Gomoku):
- A move is ``row * width + col``; ``location_to_move`` returns -1 for a point off the board.
- Players are 1 and 2; ``start_player`` 0 means player 1 moves first.
- ``availables`` lists the empty points in increasing order and is empty exactly when the board is full.
- ``game_end()`` is ``(True, winner)`` after a move that makes ``n_in_row`` or more in a line,
  ``(True, -1)`` for a full board without one, else ``(False, -1)``. No move is accepted after the end.
- ``current_state()`` is float32 ``[4, height, width]`` seen by the player to move: own stones,
  opponent stones, the last move, and ones when the player who started is to move; rows are
  flipped (``[:, ::-1, :]``) as in the reference, so data and models can be exchanged with it.
"""
from __future__ import annotations

import numpy as np

from .rules import EMPTY, is_winning_move


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Board:
    """A Gomoku position (freestyle: n or more in a row wins, full board is a draw)."""

    def __init__(self, width: int = 8, height: int = 8, n_in_row: int = 5, **kwargs):
        # keyword spellings of the reference: Board(width=..., height=..., n_in_row=...)
        self.width = _positive_int("width", kwargs.pop("width", width))
        self.height = _positive_int("height", kwargs.pop("height", height))
        self.n_in_row = _positive_int("n_in_row", kwargs.pop("n_in_row", n_in_row))
        if kwargs:
            raise ValueError(f"unknown Board argument(s): {', '.join(sorted(kwargs))}")
        if self.width < self.n_in_row or self.height < self.n_in_row:
            raise ValueError(
                f"board {self.width}x{self.height} is smaller than n_in_row={self.n_in_row}")
        self.players = (1, 2)
        self.init_board()

    def init_board(self, start_player: int = 0) -> None:
        if start_player not in (0, 1):
            raise ValueError(f"start_player must be 0 or 1, got {start_player!r}")
        self.start_player = start_player
        self.current_player = self.players[start_player]
        self.stones = np.zeros(self.width * self.height, dtype=np.int8)  # int8 [H*W], 0 or player
        self.availables = list(range(self.width * self.height))
        self.last_move = -1
        self.move_count = 0
        self.winner = -1

    # -- coordinates -------------------------------------------------------------------------
    def move_to_location(self, move: int) -> list[int]:
        self._check_on_board(move)
        return [move // self.width, move % self.width]

    def location_to_move(self, location) -> int:
        if len(location) != 2:
            return -1
        row, col = (int(v) for v in location)
        if not (0 <= row < self.height and 0 <= col < self.width):
            return -1
        return row * self.width + col

    def _check_on_board(self, move) -> None:
        if isinstance(move, bool) or not isinstance(move, (int, np.integer)):
            raise ValueError(f"move must be an integer, got {move!r}")
        if not 0 <= move < self.width * self.height:
            raise ValueError(f"move {move} is off the {self.width}x{self.height} board")

    # -- play --------------------------------------------------------------------------------
    @property
    def states(self) -> dict[int, int]:
        """The reference's view of the position: ``{move: player}`` for every stone."""
        return {int(m): int(self.stones[m]) for m in np.flatnonzero(self.stones)}

    def get_current_player(self) -> int:
        return self.current_player

    def do_move(self, move: int) -> None:
        self._check_on_board(move)
        if self.winner != -1:
            raise ValueError(f"move {move}: the game is over (player {self.winner} won)")
        if self.stones[move] != EMPTY:
            row, col = self.move_to_location(move)
            raise ValueError(f"move {move} (row {row}, col {col}) is on a stone")
        self._place(int(move))

    def _place(self, move: int) -> None:
        """Put the mover's stone on an empty point; the first line of n decides the winner."""
        self.stones[move] = self.current_player
        self.availables.remove(move)
        self.last_move = move
        self.move_count += 1
        if self.winner == -1 and is_winning_move(
                self.stones, self.width, self.height, self.n_in_row, move):
            self.winner = self.current_player
        self.current_player = 3 - self.current_player

    def has_a_winner(self) -> tuple[bool, int]:
        return self.winner != -1, self.winner

    def game_end(self) -> tuple[bool, int]:
        if self.winner != -1:
            return True, self.winner
        if not self.availables:
            return True, -1
        return False, -1

    def current_state(self) -> np.ndarray:
        """float32 [4, H, W] planes from the player to move (see the module docstring)."""
        planes = np.zeros((4, self.height, self.width), dtype=np.float32)
        grid = self.stones.reshape(self.height, self.width)
        planes[0] = grid == self.current_player
        planes[1] = grid == 3 - self.current_player
        if self.last_move >= 0:
            planes[2, self.last_move // self.width, self.last_move % self.width] = 1.0
        if self.move_count % 2 == 0:
            planes[3] = 1.0
        return planes[:, ::-1, :].copy()

    def copy(self) -> "Board":
        other = object.__new__(Board)
        other.__dict__.update(self.__dict__)
        other.stones = self.stones.copy()
        other.availables = list(self.availables)
        return other

    def __repr__(self) -> str:
        from .ascii import render
        return render(self)
