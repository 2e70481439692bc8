"""Slow reference rules for the tests, written apart from ``gomoku.variants``, calling none of it.

Pure Python on whole board lines as strings ("X" player 1, "O" player 2, "." empty), with the
definitions taken literally and tried by brute force over every point of a line:

- a run is a maximal match of ``X+`` (or ``O+``) found by a regular expression;
- a four is the set of four stones that one more stone on some empty point of the line turns
  into an exactly-five run; fours are counted as distinct sets, so a straight four is one four;
- a straight four is a four with exactly two such points;
- a three is a stone on some empty point of the line after which the line holds a straight four
  containing the tried stone and the judged one, where that stone, judged on a copy of the
  board with both stones, is neither forbidden nor a five (unbounded recursion);
- a foul is an overline, two fours over the four lines, or two lines that each hold a three
  (a line counts once however many points complete its three).

Same rules as the kernels (see gomoku/variants.py for the definitions and their sources);
``is_forbidden`` alone starts with a cheap bound (``_may_be_forbidden``) so that random tests
can afford it. Nothing here is fast: a few hundred microseconds per point and more with threes.
"""
from __future__ import annotations

import functools
import re

FREESTYLE, STANDARD, RENJU, CARO = 0, 1, 2, 3  # the codes gomoku.variants documents
SYMBOL = {0: ".", 1: "X", 2: "O"}
LINES = ((0, 1), (1, 0), (1, 1), (1, -1))
RUNS = re.compile(r"X+|O+")


@functools.lru_cache(maxsize=None)
def board_lines(width, height):
    """For every point, its four whole board lines: ``(points of the line, its index in it)``."""
    table = [[] for _ in range(width * height)]
    for d_row, d_col in LINES:
        for move in range(width * height):
            row, col = divmod(move, width)
            while 0 <= row - d_row < height and 0 <= col - d_col < width:
                row, col = row - d_row, col - d_col
            points = []
            while 0 <= row < height and 0 <= col < width:
                points.append(row * width + col)
                row, col = row + d_row, col + d_col
            table[move].append((tuple(points), points.index(move)))
    return table


def lines_through(stones, width, height, move):
    """The four whole board lines through ``move``: ``(string, move's index, points)`` each."""
    return [("".join(SYMBOL[int(stones[p])] for p in points), index, points)
            for points, index in board_lines(width, height)[move]]


def run_at(text, index):
    """``(start, end)`` of the run of equal stones covering ``index`` (end exclusive)."""
    for match in RUNS.finditer(text):
        if match.start() <= index < match.end():
            return match.start(), match.end()
    raise ValueError(f"no stone at {index} in {text!r}")


def wins(stones, width, height, n_in_row, move, rule):
    """The stone on ``move`` wins under ``rule``: some line through it qualifies."""
    player = int(stones[move])
    if player == 0:
        return False
    other = SYMBOL[3 - player]
    for text, index, _ in lines_through(stones, width, height, move):
        start, end = run_at(text, index)
        length = end - start
        left = text[start - 1] if start > 0 else "edge"
        right = text[end] if end < len(text) else "edge"
        if rule == FREESTYLE or (rule == RENJU and player == 2):
            qualifies = length >= n_in_row
        elif rule in (STANDARD, RENJU):
            qualifies = length == n_in_row
        elif rule == CARO:
            qualifies = length == n_in_row and not (left == other and right == other)
        else:
            raise ValueError(f"unknown rule {rule}")
        if qualifies:
            return True
    return False


def put(text, index):
    return text[:index] + "X" + text[index + 1:]


def black_run_length(text, index):
    start, end = run_at(text, index)
    return end - start


def fours(text, index):
    """Fours through ``index`` in one line: a set of frozensets, the four stones of each."""
    found = set()
    for j, symbol in enumerate(text):
        if symbol == ".":
            start, end = run_at(put(text, j), j)
            if end - start == 5 and start <= index < end:
                found.add(frozenset(range(start, end)) - {j})
    return found


def is_straight(text, four):
    """Exactly two empty points each make an exactly-five run holding all of ``four``."""
    ways = 0
    for j, symbol in enumerate(text):
        if symbol == ".":
            start, end = run_at(put(text, j), j)
            ways += end - start == 5 and four <= set(range(start, end))
    return ways == 2


def classify(stones, width, height, move):
    """"five", "foul" or "plain": what black on the empty point ``move`` makes (stones kept)."""
    board = stones.copy()
    board[move] = 1
    lines = lines_through(board, width, height, move)
    lengths = [black_run_length(text, index) for text, index, _ in lines]
    if 5 in lengths:
        return "five"
    if max(lengths) > 5:
        return "foul"
    if sum(len(fours(text, index)) for text, index, _ in lines) >= 2:
        return "foul"
    threes = sum(has_three(board, width, height, line) for line in lines)
    return "foul" if threes >= 2 else "plain"


def has_three(board, width, height, line):
    """Some empty point of ``line`` makes a straight four with the judged stone and is plain."""
    text, index, points = line
    for j, symbol in enumerate(text):
        if symbol != ".":
            continue
        after = put(text, j)
        start, end = run_at(after, j)
        if not start <= index < end:  # a straight four holding both stones is one run
            continue
        if any(j in four and is_straight(after, four) for four in fours(after, index)):
            if classify(board, width, height, points[j]) == "plain":
                return True
    return False


def _may_be_forbidden(stones, width, height, move):
    """False only where no forbidden shape fits: the bound that lets random tests be quick.

    An overline, five or one-line double-four through ``move`` needs 4 or more black stones
    within 5 points of it on one line; any other foul needs two lines, each with 2 or more
    black stones within 4 points of it (a three needs 2, a four 3).
    """
    busy = 0
    for text, index, _ in lines_through(stones, width, height, move):
        near4 = text[max(0, index - 4):index + 5].count("X")
        near5 = text[max(0, index - 5):index + 6].count("X")
        if near5 >= 4:
            return True
        busy += near4 >= 2
    return busy >= 2


def is_forbidden(stones, width, height, move):
    """Black may not play the empty point ``move`` under renju (False for an occupied point)."""
    if int(stones[move]) != 0 or not _may_be_forbidden(stones, width, height, move):
        return False
    return classify(stones, width, height, move) == "foul"
