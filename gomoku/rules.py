"""Compiled rule kernels shared by the board and the search.

A position is a flat ``int8 [H*W]`` array of stones indexed by move ``row * width + col``:
``EMPTY`` or a player (``PLAYER_1``, who moves first, or ``PLAYER_2``). Freestyle rule:
``n_in_row`` **or more** in a line wins.
"""
from __future__ import annotations

import numba
import numpy as np

EMPTY = 0
PLAYER_1 = 1  # moves first (start_player 0), "X" in pictures
PLAYER_2 = 2
DRAW = -1  # the winner of a game without one (Board.game_end, and every game result)
# the four line directions (d_row, d_col): horizontal, vertical, two diagonals
DIRECTIONS = np.array([[0, 1], [1, 0], [1, 1], [1, -1]], dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def opponent(player):
    """The other player (PLAYER_1 <-> PLAYER_2)."""
    return 3 - player


@numba.njit(cache=True, nogil=True)
def line_length(stones, width, height, move, d_row, d_col):
    """Length of the run of ``stones[move]``'s colour through ``move`` along one direction."""
    player = stones[move]
    row, col = move // width, move % width
    count = 1
    for sign in (1, -1):
        r, c = row + sign * d_row, col + sign * d_col
        while 0 <= r < height and 0 <= c < width and stones[r * width + c] == player:
            count += 1
            r += sign * d_row
            c += sign * d_col
    return count


@numba.njit(cache=True, nogil=True)
def is_winning_move(stones, width, height, n_in_row, move):
    """True when the stone on ``move`` lies on a line of ``n_in_row`` or more of its colour.

    Looks only at the four lines through ``move``: valid as a game-end test when called
    after every move, since a new line of n can only pass through the newest stone.
    """
    for d in range(4):
        if line_length(stones, width, height, move, DIRECTIONS[d, 0], DIRECTIONS[d, 1]) >= n_in_row:
            return True
    return False
