"""Openings for matches: random ones near the centre, and Gomocup opening files.

An opening is a tuple of moves (``row * width + col``) played alternately from the empty board,
player 1 first. Invariant: every opening this module returns is playable on its board (points on
the board, none used twice) and leaves the game open: no ``n_in_row`` line, and the board not full.

Openings file format
--------------------
One opening per line, as in the openings Gomocup publishes with its results and as the match
runner c-gomoku-cli reads them (its README, section "Openings File Format", and its example
``opening_examples/offset_freestyle_20x20.txt``; github.com/nkg114mc/c-gomoku-cli)::

    # x,y offsets from the centre; the first player's stones are the 1st, 3rd, ...
    0,0, 1,1, -1,1
    8,-3, 6,-4, 5,-4, 4,-3, 2,-8, -1,-5

Each stone is ``x,y``: signed integer offsets of the column (x) and row (y) from the centre
``(width // 2, height // 2)`` (c-gomoku-cli's ``HALF_SIZE = floor(SIZE / 2)``, taken per side on a
rectangular board). Stones are separated by commas (Gomocup writes ", "); spaces around numbers
are ignored. The stones alternate from the first player. Blank lines and everything after ``#``
are ignored; a UTF-8 byte order mark and CRLF line ends are accepted; repeated lines are kept.

Sign convention: the stone ``(x, y)`` is the move ``(cy + y) * width + (cx + x)``. c-gomoku-cli
turns an offset into the Gomocup protocol point ``(x + HALF_SIZE, y + HALF_SIZE)``, and this
project's protocol engine (``pipeline/pbrain.py``) plays the protocol point ``(X, Y)`` as the move
``Y * width + X``; so a file's stones land where a Gomocup manager would send them. Gomocup draws
``Y = 0`` at the top, ``gomoku.ascii`` draws row 0 at the bottom: the pictures differ by a mirror
image, a symmetry of the board, so the games are the same.
"""
from __future__ import annotations

import os
import re
from itertools import combinations
from math import comb

import numpy as np

from .board import Board
from .symmetry import symmetry_indices, transform_planes
from .validation import InputError

CENTRE_RADIUS = 2  # random openings start in the square of this radius around the centre
ENUMERATE_LIMIT = 20_000  # up to this many placements in a square, list them all
_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")  # longer is off any board (and int() refuses 4301+)


class OpeningsError(InputError):
    """A bad opening, openings file or request (the message is one line naming what is wrong)."""


def _board(width, height, n_in_row, rule="freestyle") -> Board:
    try:
        return Board(width, height, n_in_row, rule)
    except ValueError as exc:
        raise OpeningsError(str(exc)) from None


def opening_board(opening, width: int, height: int, n_in_row: int,
                  rule: str = "freestyle") -> Board:
    """The Board after playing ``opening`` under ``rule``; raises OpeningsError unless it is a
    valid opening (under renju, no black stone on a point forbidden to it)."""
    board = _board(width, height, n_in_row, rule)
    for stone, move in enumerate(opening, 1):
        if isinstance(move, bool) or not isinstance(move, (int, np.integer)):
            raise OpeningsError(f"opening stone {stone} is not a move number: {move!r}")
        if not 0 <= move < width * height:
            raise OpeningsError(f"opening stone {stone} (move {move}) is off the "
                                f"{width}x{height} board")
        if board.stones[move]:
            raise OpeningsError(f"opening stone {stone} (move {move}) is on a point already used")
        try:
            board.do_move(int(move))
        except ValueError as exc:  # a point forbidden to black under renju
            raise OpeningsError(f"opening stone {stone}: {exc}") from None
        ended, winner = board.game_end()
        if ended:
            why = f"player {winner} has {n_in_row} in a row" if winner != -1 else \
                "board is full" if not board.availables else "black has no legal point"
            raise OpeningsError(f"the opening ends the game at stone {stone}: {why}")
    return board


def _point_maps(width: int, height: int) -> np.ndarray:
    """``maps[s, m]``: where symmetry ``s`` (of ``symmetry_indices``) takes the point ``m``."""
    grid = np.arange(width * height).reshape(height, width)
    maps = []
    for k in symmetry_indices(height, width):
        image = transform_planes(grid, k)  # image[r, c] is the point that lands on (r, c)
        where = np.empty(width * height, dtype=np.int64)
        where[image.ravel()] = np.arange(width * height)
        maps.append(where)
    return np.stack(maps)


def _canonical(openings: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """One key row per opening ``[P, n]``, equal exactly for positions equal up to symmetry.

    A key is the first player's points sorted, then the second's, of the symmetric image that
    is smallest in lexicographic order. It ignores the order of the moves: transpositions match.
    """
    mapped = maps[:, openings]  # [S, P, n]
    keys = np.concatenate([np.sort(mapped[..., 0::2], axis=-1),
                           np.sort(mapped[..., 1::2], axis=-1)], axis=-1)
    best = keys[0].copy()
    rows = np.arange(len(best))
    for other in keys[1:]:
        differ = other != best
        first = np.argmax(differ, axis=1)  # the first column where they differ
        smaller = differ.any(axis=1) & (other[rows, first] < best[rows, first])
        best[smaller] = other[smaller]
    return best


def _ends(opening, width: int, height: int, n_in_row: int, rule: str) -> bool:
    try:
        opening_board(opening, width, height, n_in_row, rule)
    except OpeningsError:
        return True
    return False


def _square(width: int, height: int, radius: int) -> np.ndarray:
    """The points within ``radius`` (in rows and in columns) of the centre, in move order."""
    cx, cy = width // 2, height // 2
    rows = range(max(0, cy - radius), min(height, cy + radius + 1))
    cols = range(max(0, cx - radius), min(width, cx + radius + 1))
    return np.array([r * width + c for r in rows for c in cols], dtype=np.int64)


def _all_openings(cells: np.ndarray, n_stones: int) -> np.ndarray:
    """Every placement of the two players' stones on ``cells``, as openings ``[P, n]``."""
    first, second = (n_stones + 1) // 2, n_stones // 2
    rows = []
    for mine in combinations(cells.tolist(), first):
        rest = [c for c in cells.tolist() if c not in mine]
        for theirs in combinations(rest, second):
            row = [0] * n_stones
            row[0::2], row[1::2] = mine, theirs
            rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(-1, n_stones)


def _integer_at_least(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise OpeningsError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def random_openings(width: int, height: int, n_in_row: int, n_stones: int, count: int,
                    seed: int, rule: str = "freestyle") -> list[tuple[int, ...]]:
    """``count`` openings of ``n_stones`` stones near the centre, distinct up to symmetry.

    Stones are drawn with ``np.random.default_rng(seed)`` from the square of radius
    ``CENTRE_RADIUS`` around the centre ``(width // 2, height // 2)``; the radius grows one step
    at a time while the square cannot hold ``count`` distinct openings (up to ``ENUMERATE_LIMIT``
    placements in a square, they are all listed and the count is exact), or while ``10 count +
    1000`` random draws in it found too few. Two openings are the same when some symmetry of the
    board (8 on a square board, 4 otherwise: ``gomoku.symmetry``) maps the one's stones of each
    player onto the other's, whatever the move order. Openings that end the game under ``rule``
    are never drawn, nor under renju those with a black stone on a forbidden point (which needs
    five black stones, so only where a line could form anyway). The same arguments give the same
    list.

    Raises OpeningsError when ``count`` distinct openings do not exist on the board; when the
    board allows too many placements to list, this means ``10 count + 1000`` draws on the whole
    board found fewer, which for a count that does exist is only likely when it is nearly all.
    """
    board = _board(width, height, n_in_row, rule)
    n_stones = _integer_at_least("n_stones", n_stones, 0)
    count = _integer_at_least("count", count, 1)
    seed = _integer_at_least("seed", seed, 0)
    if n_stones >= width * height:
        raise OpeningsError(f"n_stones={n_stones} leaves no empty point on the "
                            f"{width}x{height} board")
    what = (f"openings of {n_stones} stone{'s' * (n_stones != 1)} on the {width}x{height} "
            f"board (n_in_row={n_in_row})")
    if n_stones == 0:
        if count > 1:
            raise OpeningsError(f"only one opening of 0 stones exists (the empty board), "
                                f"asked for {count}")
        return [()]
    rng = np.random.default_rng(seed)
    maps = _point_maps(board.width, board.height)
    # else no line can form (the board never fills), nor a renju foul (it needs 5 black stones)
    may_end = (n_stones + 1) // 2 >= n_in_row
    found: dict[bytes, tuple[int, ...]] = {}  # key -> opening, sampled in this order
    radius = CENTRE_RADIUS
    while True:
        cells = _square(width, height, radius)
        whole = len(cells) == width * height
        if len(cells) < n_stones:  # too small to hold them (the whole board always does)
            radius += 1
            continue
        first = (n_stones + 1) // 2
        placements = comb(len(cells), first) * comb(len(cells) - first, n_stones // 2)
        if placements <= ENUMERATE_LIMIT:
            every = _all_openings(cells, n_stones)
            _, index = np.unique(_canonical(every, maps), axis=0, return_index=True)
            distinct = [tuple(int(m) for m in every[i]) for i in np.sort(index)]
            if may_end:
                distinct = [o for o in distinct
                            if not _ends(o, width, height, n_in_row, rule)]
            if len(distinct) >= count:
                return [distinct[i] for i in rng.choice(len(distinct), size=count, replace=False)]
            if whole:
                raise OpeningsError(f"only {len(distinct)} distinct {what} exist, "
                                    f"asked for {count}")
        else:
            budget, draws = 10 * count + 1000, 0
            while draws < budget:
                batch = min(budget - draws, max(64, 2 * (count - len(found))))
                picks = np.argsort(rng.random((batch, len(cells))), axis=1)[:, :n_stones]
                drawn = cells[picks]
                for opening, key in zip(drawn, _canonical(drawn, maps)):
                    key = key.tobytes()
                    if key in found or (may_end and _ends(opening, width, height, n_in_row,
                                                          rule)):
                        continue
                    found[key] = tuple(int(m) for m in opening)
                    if len(found) == count:
                        return list(found.values())
                draws += batch
            if whole:
                raise OpeningsError(f"found only {len(found)} distinct {what} in {draws} "
                                    f"random draws, asked for {count}")
        radius += 1


def _source_text(text_or_path) -> tuple[str, str]:
    """``(text, name for messages)``: a path-like or a one-line str without commas is a path."""
    if isinstance(text_or_path, str) and ("\n" in text_or_path or "," in text_or_path
                                          or not text_or_path.strip()):
        return text_or_path.lstrip("\ufeff"), "openings text"
    if not isinstance(text_or_path, (str, os.PathLike)):
        raise OpeningsError(f"openings must be given as text or a path, got {text_or_path!r}")
    name = f"openings file {os.fspath(text_or_path)}"
    try:
        with open(text_or_path, encoding="utf-8-sig") as f:
            return f.read(), name
    except (OSError, UnicodeDecodeError) as exc:
        raise OpeningsError(f"cannot read {name}: {exc}") from None


def read_openings(text_or_path, width: int, height: int, n_in_row: int,
                  rule: str = "freestyle") -> list[tuple[int, ...]]:
    """The openings of a Gomocup-style file (see the module docstring), one per opening line.

    ``text_or_path`` is the text itself when it is a str with a newline or a comma (or blank),
    else a path (a ``str`` or ``os.PathLike``). Raises OpeningsError, naming the line, for a bad
    number, an odd count of coordinates, a stone off the board, a point used twice or an opening
    that ends the game (or puts black on a forbidden point) under ``rule``; and when the source
    cannot be read or holds no opening.
    """
    _board(width, height, n_in_row, rule)  # the board itself must be valid
    text, name = _source_text(text_or_path)
    cx, cy = width // 2, height // 2
    openings = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{name} line {number}"
        tokens = [t.strip() for t in line.split(",")]
        for token in tokens:
            if not _NUMBER.fullmatch(token):
                raise OpeningsError(f"{where}: bad number {token!r}")
        if len(tokens) % 2:
            raise OpeningsError(f"{where}: odd count of coordinates ({len(tokens)}); "
                                f"each stone is x,y")
        moves, used = [], {}
        for stone, (x, y) in enumerate(zip(map(int, tokens[0::2]), map(int, tokens[1::2])), 1):
            col, row = cx + x, cy + y
            if not (0 <= col < width and 0 <= row < height):
                raise OpeningsError(f"{where}: stone {stone} at {x},{y} is off the "
                                    f"{width}x{height} board (centre {cx},{cy})")
            move = row * width + col
            if move in used:
                raise OpeningsError(f"{where}: stone {stone} at {x},{y} is on the point of "
                                    f"stone {used[move]}")
            used[move] = stone
            moves.append(move)
        try:
            opening_board(moves, width, height, n_in_row, rule)
        except OpeningsError as exc:
            raise OpeningsError(f"{where}: {exc}") from None
        openings.append(tuple(moves))
    if not openings:
        raise OpeningsError(f"{name} holds no opening (only blank or comment lines)")
    return openings
