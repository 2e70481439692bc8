"""Compiled random rollout: the leaf evaluation of pure MCTS.

Invariant: called from inside a compiled search whose random generator was seeded for the move
(numba's ``np.random`` state is per thread and separate from NumPy's), so a seeded search is
reproducible.
"""
from __future__ import annotations

import numba
import numpy as np

from gomoku.rules import EMPTY, opponent
from gomoku.variants import RENJU, is_forbidden, move_wins

ROLLOUT_LIMIT = 1000  # moves; a rollout that reaches it counts as a draw (as in the reference)


@numba.njit(cache=True, nogil=True)
def random_rollout(stones, width, height, n_in_row, to_play, empties, rule, black):
    """Play uniformly random legal moves from ``stones`` to the end of the game under ``rule``
    (a ``gomoku.variants`` code; ``black``: the player who moved first, renju's black).

    ``stones`` (int8 [H*W]) is the position with ``to_play`` to move and no win on it; it is
    overwritten with the rollout's stones. ``empties`` (int32 [H*W]) is scratch space.
    Returns +1.0 / -1.0 / 0.0: a win / loss / draw for ``to_play``.

    Drawing the next move uniformly from the remaining empty points is a Fisher-Yates shuffle
    done one step at a time, so it stops as soon as a move wins; only the four lines through
    each new stone are checked. Under renju a point drawn for black that is forbidden is moved
    past the end of the points still to draw from and another is drawn, so black's move is
    uniform over its legal points (the forbidden ones stay empty for later moves); when none is
    left black cannot move and the rollout is a draw, as ``Board.game_end`` has it. Under the
    other rules the draws are the freestyle ones, number for number.
    """
    n_empty = 0
    for move in range(stones.shape[0]):
        if stones[move] == EMPTY:
            empties[n_empty] = move
            n_empty += 1
    renju = rule == RENJU
    mover = to_play
    for i in range(min(n_empty, ROLLOUT_LIMIT)):
        j = np.random.randint(i, n_empty)
        if renju and mover == black:
            end = n_empty  # points i .. end - 1 are still to draw from
            while is_forbidden(stones, width, height, empties[j], black):
                end -= 1
                move = empties[j]
                empties[j] = empties[end]
                empties[end] = move
                if end == i:
                    return 0.0
                j = np.random.randint(i, end)
        move = empties[j]
        empties[j] = empties[i]
        empties[i] = move
        stones[move] = mover
        if move_wins(stones, width, height, n_in_row, move, rule, black):
            return 1.0 if mover == to_play else -1.0
        mover = opponent(mover)
    return 0.0
