"""ASCII pictures of positions, for people and for tests.

The picture shows the highest row at the top, as the reference trainer's console does::

       0 1 2 3
     3 . . . .
     2 . X . .
     1 . O[X].
     0 . . . .

``X`` is player 1, ``O`` player 2, ``.`` an empty point; brackets mark the last move. Row labels
and the column header are optional when parsing.
"""
from __future__ import annotations

from .board import Board
from .board_config import BoardConfig
from .rules import EMPTY, PLAYER_1, PLAYER_2, opponent

SYMBOLS = {EMPTY: ".", PLAYER_1: "X", PLAYER_2: "O"}


def render(board: Board, coords: bool = True) -> str:
    label = len(str(board.height - 1))
    lines = [" " * (label + 1) + " ".join(str(c % 10) for c in range(board.width))] if coords else []
    for row in range(board.height - 1, -1, -1):
        moves = range(row * board.width, (row + 1) * board.width)
        text = "[" if board.last_move == moves[0] else ""
        for i, move in enumerate(moves):
            text += SYMBOLS[int(board.stones[move])]
            if move == board.last_move:
                text += "]"
            elif i + 1 < board.width:
                text += "[" if move + 1 == board.last_move else " "
        lines.append((f"{row:>{label}} " if coords else "") + text)
    return "\n".join(lines)


def parse(picture: str, n_in_row: int, start_player: int = 0, rule: str = "freestyle") -> Board:
    """The position of a picture under ``rule``: the player to move follows from the stone counts.

    The player who started (``start_player``) has as many stones as the other, or one more.
    Raises ValueError when the picture is ragged, has an unknown symbol or impossible counts.
    """
    rows = []
    for raw in picture.strip("\n").splitlines():
        text = raw.strip()
        if not text:
            continue
        tokens = text.replace("[", " [").replace("]", "] ").split()
        if all(t.isdigit() for t in tokens):  # column header
            continue
        if tokens[0].isdigit():  # row label
            tokens = tokens[1:]
        rows.append(tokens)
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("board picture is empty or its rows differ in length")
    height, width = len(rows), len(rows[0])
    config = BoardConfig(width, height, n_in_row, rule)
    if start_player not in (0, 1):
        raise ValueError(f"start_player must be 0 or 1, got {start_player!r}")
    first = (PLAYER_1, PLAYER_2)[start_player]
    by_player, last = {PLAYER_1: [], PLAYER_2: []}, -1
    for i, tokens in enumerate(rows):
        row = height - 1 - i
        for col, token in enumerate(tokens):
            marked = token.startswith("[") and token.endswith("]")
            symbol = token.strip("[]")
            if symbol not in ("X", "O", "."):
                raise ValueError(f"unknown symbol {token!r} in board picture (row {row})")
            move = row * width + col
            if marked:
                if symbol == ".":
                    raise ValueError(f"the last move mark is on an empty point (row {row}, col {col})")
                last = move
            if symbol != ".":
                by_player[PLAYER_1 if symbol == "X" else PLAYER_2].append(move)
    second = opponent(first)
    n_first, n_second = len(by_player[first]), len(by_player[second])
    if n_first - n_second not in (0, 1):
        raise ValueError(f"stone counts X={len(by_player[PLAYER_1])}, O={len(by_player[PLAYER_2])} "
                         f"are impossible when player {first} starts")
    mover_of_last = first if n_first > n_second else second
    if last >= 0 and last not in by_player[mover_of_last]:
        raise ValueError(f"the marked last move {last} is not a stone of player {mover_of_last}")
    # alternate the two players' stones, the marked stone last, so last_move and the winner hold
    seq_first = [m for m in by_player[first] if m != last]
    seq_second = [m for m in by_player[second] if m != last]
    if last >= 0:
        (seq_first if mover_of_last == first else seq_second).append(last)
    stones = [(seq_first[i // 2], first) if i % 2 == 0 else (seq_second[i // 2], second)
              for i in range(n_first + n_second)]
    return Board.from_stones(config, stones, to_move=opponent(mover_of_last) if stones else first)
