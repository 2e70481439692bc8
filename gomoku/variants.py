"""Compiled rule kernels for the four Gomocup rules: freestyle, standard, renju and caro.

A position is the flat ``int8 [H*W]`` array of ``gomoku.rules``: each point holds ``EMPTY`` or a
player, and a move is ``row * width + col``. Renju's black is the player who moved first: the
kernels that depend on it take its stone as ``black``, by default ``PLAYER_1`` (who moves first
unless a game starts with player 2).
A rule is passed to the kernels as an int code; ``RULE_NAMES[code]`` is its name in configs.

- ``FREESTYLE``: ``n_in_row`` or more in a line wins (the same as ``rules.is_winning_move``).
- ``STANDARD``: exactly ``n_in_row`` wins. A longer line (an overline) does not.
- ``RENJU``: black wins with exactly five, and black may not play a forbidden point (an overline,
  a double-four or a double-three, see ``is_forbidden``). White wins with five or more.
- ``CARO``: exactly ``n_in_row`` wins, except a line whose two ends, the points just beyond
  it, both hold opponent stones. The board edge is not a block: a five against the edge wins.

Sources. The rule codes are Gomocup's (the protocol's ``INFO rule`` bits: 1 exactly five,
4 renju, 8 caro; Gomocup/GomocupJudge doc/GomocupProtocol.md, from
plastovicka.github.io/protocl2en.htm). Freestyle's "five or more" is gomocup.org/detail-information.
Renju follows the International Rules of Renju (RIF, 1996, corrected 1998;
renju.net/study/rifrules.php, "Terms and definitions"):

- a five is an unbroken row of exactly five stones, and an overline is one of six or more;
- a four is a row of four stones that one more stone turns into a five;
- a straight four is an unbroken four that becomes a five in two different ways;
- a three is a row of three stones that one more stone turns into a straight four, where that
  stone must not make a five at the same time;
- a double-four (double-three) is a stone that makes more than one four (three) through itself.

The three's stone "must not make a five" is RIF's own clause. Two more points come from the
Gomocup judge (Gomocup/GomocupJudge client/check_forbid.py, from Piskvork), which this follows,
and from R. Coulom's summary of the rule (ludii.games forum, thread 87):

- a move that makes a five is never forbidden, whatever else it makes;
- a three counts only if a stone that completes it to a straight four is itself not forbidden
  (and, by RIF, makes no five). The test recurses: that stone's own threes are judged the same
  way. This is what separates false double-threes from real ones.

Caro is exact five that is not blocked at both ends, as MaciejKozarzewski/AlphaGomoku (an
entrant of Gomocup's caro league) implements it (CARO5) and the tiffanyluu.github.io/caro README
states it: "if both ends of a player's line are blocked by the opponent, the line is not a valid
win". Some game sites give a stricter caro (boardgamearena.com's Gomoku help: a five "free at both
ends"); that is not this rule. No source names the edge in words; AlphaGomoku's test_caro.cpp
decides it: five against the board's edge wins, so does a diagonal five with both ends off the
board, and a five between two O stones does not. Here too only opponent stones block.

``move_wins`` is what the board and the searches call: ``wins``, with freestyle on
``rules.is_winning_move``, the kernel they called before the other rules came, so freestyle plays
and runs as it did.

What the kernels cannot do: ``wins`` does not judge fouls; renju keeps black off forbidden points
through ``legal_mask``. Renju's forbidden points are defined for five in a row only, so with
``RENJU`` callers must use ``n_in_row == 5``. ``is_forbidden`` and ``legal_mask`` write to
``stones`` while they run and undo every write before they return: an array must not be shared
between threads that call them at the same time.
"""
from __future__ import annotations

import numba
import numpy as np

from .rules import DIRECTIONS, EMPTY, PLAYER_1, is_winning_move, opponent

FREESTYLE, STANDARD, RENJU, CARO = 0, 1, 2, 3
RULE_NAMES = ("freestyle", "standard", "renju", "caro")  # RULE_NAMES[code]

BLACK = PLAYER_1  # renju's restricted player, unless a game says otherwise (``black``)
WALL = 3  # what _cell reads off the board: neither EMPTY nor a player

# what a black stone on a point makes, in renju (see _verdict); UNDECIDED: the threes decide
PLAIN, FIVE, FOUL, UNDECIDED = 0, 1, 2, 3
# The three test's search holds at most MAX_DEPTH + 1 stones (the judged one and completion
# points stacked on it); a stone on the last level takes every completion point as not
# forbidden, so its threes count. On 144k points of dense random boards a cap of 3 already gave
# the answers of the unbounded reference (tests/rule_reference.py); 8 leaves a margin and
# bounds the worst case for the searches.
MAX_DEPTH = 8


@numba.njit(cache=True, nogil=True)
def _cell(stones, width, height, move, d_row, d_col, k):
    """The point ``k`` steps from ``move`` along (d_row, d_col): its stone, EMPTY, or WALL."""
    row = move // width + k * d_row
    col = move % width + k * d_col
    if 0 <= row < height and 0 <= col < width:
        return stones[row * width + col]
    return WALL


@numba.njit(cache=True, nogil=True)
def _run(stones, width, height, move, d_row, d_col, k, player):
    """Steps ``(lo, hi)`` just outside the run of ``player`` through step ``k`` from ``move``.

    The point ``k`` counts as ``player``'s whatever it holds, so an empty point can be tried
    without writing to ``stones``. The run is steps ``lo + 1 .. hi - 1``, of length
    ``hi - lo - 1``.
    """
    lo = k - 1
    while _cell(stones, width, height, move, d_row, d_col, lo) == player:
        lo -= 1
    hi = k + 1
    while _cell(stones, width, height, move, d_row, d_col, hi) == player:
        hi += 1
    return lo, hi


@numba.njit(cache=True, nogil=True)
def wins(stones, width, height, n_in_row, move, rule, black=BLACK):
    """True when the stone on ``move`` wins under ``rule`` (see the module docstring), ``black``
    being the stone of renju's black (who moved first).

    Looks only at the four lines through ``move``: called after every move, it finds every
    win, since a new winning line passes through the newest stone. False on an empty point.
    Raises ValueError for an unknown rule code.
    """
    if rule < FREESTYLE or rule > CARO:
        raise ValueError("unknown rule code")
    player = stones[move]
    if player == EMPTY:
        return False
    exact = rule != FREESTYLE and not (rule == RENJU and player != black)
    for d in range(4):
        d_row, d_col = DIRECTIONS[d, 0], DIRECTIONS[d, 1]
        lo, hi = _run(stones, width, height, move, d_row, d_col, 0, player)
        length = hi - lo - 1
        if length == n_in_row or (length > n_in_row and not exact):
            if rule != CARO:
                return True
            other = opponent(player)
            if not (_cell(stones, width, height, move, d_row, d_col, lo) == other
                    and _cell(stones, width, height, move, d_row, d_col, hi) == other):
                return True
    return False


@numba.njit(cache=True, nogil=True)
def move_wins(stones, width, height, n_in_row, move, rule, black=BLACK):
    """``wins(stones, width, height, n_in_row, move, rule, black)``; freestyle through
    ``is_winning_move``.

    Precondition: ``move`` holds a stone (the newest one).
    """
    if rule == FREESTYLE:
        return is_winning_move(stones, width, height, n_in_row, move)
    return wins(stones, width, height, n_in_row, move, rule, black)


@numba.njit(cache=True, nogil=True)
def _fours(stones, width, height, move, d_row, d_col, black):
    """How many fours (0, 1 or 2) the black stone on ``move`` is part of along one line.

    A four's completion point is an empty point within 4 steps whose stone would make exactly
    five together with ``move``; a line has at most two. Two completion points 5 steps apart are
    the two ends of one straight four (the same four stones); otherwise each is its own four, as
    in the one-line double-fours ``X.XXX.X`` and ``XXX.X.XXX`` (centre stone on ``move``).
    """
    count = 0
    first = 0
    for k in range(-4, 5):
        if k == 0 or _cell(stones, width, height, move, d_row, d_col, k) != EMPTY:
            continue
        lo, hi = _run(stones, width, height, move, d_row, d_col, k, black)
        if hi - lo - 1 == 5 and lo < 0 < hi:
            if count == 1 and k - first == 5:
                continue
            if count == 0:
                first = k
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def _makes_straight_four(stones, width, height, move, d_row, d_col, k, black):
    """True when black on the empty point ``k`` steps away completes a straight four with ``move``.

    That is an unbroken run of exactly four holding both stones, empty at both ends, where each
    end would give exactly five (the point past it is not black). Only ``|k| <= 3`` can qualify.
    """
    if _cell(stones, width, height, move, d_row, d_col, k) != EMPTY:
        return False
    lo, hi = _run(stones, width, height, move, d_row, d_col, k, black)
    return (hi - lo - 1 == 4 and lo < 0 < hi
            and _cell(stones, width, height, move, d_row, d_col, lo) == EMPTY
            and _cell(stones, width, height, move, d_row, d_col, hi) == EMPTY
            and _cell(stones, width, height, move, d_row, d_col, lo - 1) != black
            and _cell(stones, width, height, move, d_row, d_col, hi + 1) != black)


@numba.njit(cache=True, nogil=True)
def _has_three_shape(stones, width, height, move, d_row, d_col, black):
    """True when some point on this line completes a straight four with the stone on ``move``."""
    for k in range(-3, 4):
        if k != 0 and _makes_straight_four(stones, width, height, move, d_row, d_col, k, black):
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _first_look(stones, width, height, move, black):
    """``(verdict, shaped)`` for the black stone on ``move``, without the recursive three test.

    verdict is FIVE (exactly five in some line: never a foul), FOUL (otherwise an overline or two
    or more fours), PLAIN (fewer than two lines with a three's shape, so no double-three) or
    UNDECIDED; ``shaped`` counts the lines with a three's shape. A line holds at most one three,
    and never a three and a four together (true of every line of 5 points either side, which
    were all tried), so threes are counted one per line. A line with fewer than 3 other black
    stones within 4 points holds no four, with fewer than 2 no three: it is not searched.
    """
    five = False
    over = False
    fours = 0
    shaped = 0
    for d in range(4):
        d_row, d_col = DIRECTIONS[d, 0], DIRECTIONS[d, 1]
        lo, hi = _run(stones, width, height, move, d_row, d_col, 0, black)
        five = five or hi - lo - 1 == 5
        over = over or hi - lo - 1 > 5
        near = 0  # other black stones within 4 points: a four needs 3, a three 2
        for k in range(1, 5):
            near += (_cell(stones, width, height, move, d_row, d_col, k) == black) + (
                _cell(stones, width, height, move, d_row, d_col, -k) == black)
        if near >= 3:
            fours += _fours(stones, width, height, move, d_row, d_col, black)
        if near >= 2:
            shaped += _has_three_shape(stones, width, height, move, d_row, d_col, black)
    if five:
        return FIVE, shaped
    if over or fours >= 2:
        return FOUL, shaped
    if shaped < 2:
        return PLAIN, shaped
    return UNDECIDED, shaped


@numba.njit(cache=True, nogil=True)
def _three_test(stones, width, height, move, shaped, black):
    """FOUL when the black stone on ``move`` (UNDECIDED by ``_first_look``) has two real threes.

    A line's three is real when a point completing its straight four is PLAIN itself, judged with
    the stones above it on the board: a depth-first search, with an explicit stack because numba
    cannot cache recursive functions (numba issue 6061). Level ``i`` of the stack is a stone
    being judged; a stone on level ``MAX_DEPTH`` takes every completion point as PLAIN. The
    search stops at a level as soon as its count is settled. Stones it places are removed again.
    """
    size = MAX_DEPTH + 1
    points = np.empty(size, np.int64)
    lines = np.empty(size, np.int64)  # the line being tried at each level
    steps = np.empty(size, np.int64)  # the next offset to try on that line (4: line done)
    reals = np.zeros(size, np.int64)
    left = np.empty(size, np.int64)  # shaped lines not yet tried
    points[0], lines[0], steps[0], left[0] = move, -1, 4, shaped
    level = 0
    while True:
        point = points[level]
        pushed = False
        while not pushed:
            if steps[level] > 3:
                if reals[level] >= 2 or reals[level] + left[level] < 2:
                    break
                lines[level] += 1
                while not _has_three_shape(stones, width, height, point,
                                           DIRECTIONS[lines[level], 0],
                                           DIRECTIONS[lines[level], 1], black):
                    lines[level] += 1
                left[level] -= 1
                steps[level] = -3
            d_row, d_col = DIRECTIONS[lines[level], 0], DIRECTIONS[lines[level], 1]
            k = steps[level]
            steps[level] += 1
            if k == 0 or not _makes_straight_four(stones, width, height, point, d_row, d_col, k,
                                                  black):
                continue
            if level == MAX_DEPTH:
                reals[level] += 1
                steps[level] = 4
                continue
            child = point + k * (d_row * width + d_col)
            stones[child] = black
            verdict, child_shaped = _first_look(stones, width, height, child, black)
            if verdict == UNDECIDED:
                level += 1
                points[level], lines[level], steps[level] = child, -1, 4
                reals[level], left[level] = 0, child_shaped
                pushed = True
            else:
                stones[child] = EMPTY
                if verdict == PLAIN:
                    reals[level] += 1
                    steps[level] = 4
        if pushed:
            continue
        verdict = FOUL if reals[level] >= 2 else PLAIN
        if level == 0:
            return verdict
        stones[point] = EMPTY
        level -= 1
        if verdict == PLAIN:
            reals[level] += 1
            steps[level] = 4


@numba.njit(cache=True, nogil=True)
def _verdict(stones, width, height, move, black):
    """What a black stone on the empty point ``move`` makes: FIVE, FOUL or PLAIN.

    FOUL: no five, and an overline, two or more fours, or two or more real threes (see
    ``_first_look`` and ``_three_test``). ``stones`` is restored before returning.
    """
    stones[move] = black
    verdict, shaped = _first_look(stones, width, height, move, black)
    if verdict == UNDECIDED:
        verdict = _three_test(stones, width, height, move, shaped, black)
    stones[move] = EMPTY
    return verdict


@numba.njit(cache=True, nogil=True)
def is_forbidden(stones, width, height, move, black=BLACK):
    """True when black (the stone ``black``, who moved first) may not play the empty point
    ``move`` under renju.

    ``stones`` is the position before the move, with ``move`` empty; False for an occupied point.
    Forbidden: an overline, a double-four (two fours through the point, also two on one line)
    or a double-three of real threes (see ``_verdict``), unless the move makes exactly five.
    Reads the four lines through the point, and through each completion point the three test
    tries. ``stones`` is written while it runs and left as it was given.
    """
    if stones[move] != EMPTY:
        return False
    return _verdict(stones, width, height, move, black) == FOUL


@numba.njit(cache=True, nogil=True)
def legal_mask(stones, width, height, to_play, rule, out, black=BLACK):
    """Write into ``out`` (bool or uint8, [H*W]) the points ``to_play`` may play; return how many.

    Legal: empty, and under ``RENJU`` for ``black`` not ``is_forbidden``. No other rule
    forbids an empty point. The mask says nothing about whether the game is over.
    """
    renju_black = rule == RENJU and to_play == black
    count = 0
    for move in range(width * height):
        legal = stones[move] == EMPTY and not (
            renju_black and is_forbidden(stones, width, height, move, black))
        out[move] = legal
        count += legal
    return count


@numba.njit(cache=True, nogil=True)
def has_legal_move(stones, width, height, to_play, rule, black=BLACK):
    """True when ``legal_mask`` would count at least one point; stops at the first legal one."""
    renju_black = rule == RENJU and to_play == black
    for move in range(width * height):
        if stones[move] == EMPTY and not (
                renju_black and is_forbidden(stones, width, height, move, black)):
            return True
    return False
