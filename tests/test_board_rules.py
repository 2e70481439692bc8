"""Board under each rule (BoardConfig.rule): which lines win, renju's forbidden points, legal moves.

Pictures are gomoku.ascii's (highest row first, X moves first and is black under renju); ``*``
is an empty point, the move the test plays.
"""
import numpy as np
import pytest

from gomoku import DRAW, PLAYER_1, PLAYER_2, Board
from gomoku.ascii import parse
from rule_positions import STUCK

RULES = ("freestyle", "standard", "renju", "caro")


def position(picture: str, rule: str, n_in_row: int = 5) -> tuple[Board, int]:
    """The Board of ``picture`` under ``rule`` and the move marked ``*``."""
    rows = [line.split() for line in picture.strip("\n").splitlines() if line.strip()]
    star = [(len(rows) - 1 - r, c) for r, row in enumerate(rows) for c, s in enumerate(row)
            if s == "*"]
    assert len(star) == 1, "mark one point with *"
    board = parse(picture.replace("*", "."), n_in_row, rule=rule)
    return board, board.location_to_move(list(star[0]))


# (picture, the player who plays *, what * does under each rule: win, on (no win), forbidden)
CASES = {
    "black overline": ("""
        . . . . . . . . .
        . . . . . . . . O
        . . . . . . . . .
        . . . . . . . . .
        X X X * X X . . .
        . . . . . . . . .
        O O . O O . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, PLAYER_1, {"freestyle": "win", "standard": "on", "renju": "forbidden", "caro": "on"}),
    "open five": ("""
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . X X * X X . . .
        . . . . . . . . .
        O O . O O . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, PLAYER_1, {"freestyle": "win", "standard": "win", "renju": "win", "caro": "win"}),
    "five blocked at both ends": ("""
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        O X X * X X O . .
        . . . . . . . . .
        . . . O O . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, PLAYER_1, {"freestyle": "win", "standard": "win", "renju": "win", "caro": "on"}),
    "five blocked at one end, the board edge at the other": ("""
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        X X * X X O . . .
        . . . . . . . . .
        . O . O O . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, PLAYER_1, {"freestyle": "win", "standard": "win", "renju": "win", "caro": "win"}),
    "white overline": ("""
        . . . . . . . . .
        . . . . . . . . .
        X . X . . . . . X
        . . . . . . . . .
        O O O * O O . . .
        . . . . . . . . .
        . X . X . X . . .
        . . . . . . . . .
        . . . . . . . . .
    """, PLAYER_2, {"freestyle": "win", "standard": "on", "renju": "win", "caro": "on"}),
    "black double four": ("""
        . . . . . . . . .
        . . . . . . . . .
        . . . . X . . . .
        . . . . X . . . .
        . X X X * . . . .
        . . . . X . . . .
        . . . . . . . . .
        O O O . O O . . .
        . . . . . . . . O
    """, PLAYER_1, {"freestyle": "on", "standard": "on", "renju": "forbidden", "caro": "on"}),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("rule", RULES)
def test_a_move_wins_goes_on_or_is_forbidden_by_the_rule(name, rule):
    picture, mover, outcomes = CASES[name]
    board, move = position(picture, rule)
    assert board.current_player == mover and board.game_end() == (False, DRAW)
    before = board.stones.copy()
    if outcomes[rule] == "forbidden":
        assert not board.legal_mask()[move] and move not in board.legal_moves()
        assert move in board.availables  # still an empty point
        with pytest.raises(ValueError, match="forbidden to black under renju"):
            board.do_move(move)
        np.testing.assert_array_equal(board.stones, before)
        assert board.current_player == mover
        return
    assert move in board.legal_moves()
    board.do_move(move)
    expected = (True, mover) if outcomes[rule] == "win" else (False, DRAW)
    assert board.game_end() == expected, (name, rule)


def test_renju_black_is_the_player_who_moved_first():
    picture = CASES["black overline"][0].replace("X", "x").replace("O", "X").replace("x", "O")
    board, move = position(picture, "renju")  # X started: X is black
    assert move in board.legal_moves()
    board = parse(picture.replace("*", "."), 5, start_player=1, rule="renju")  # O started
    assert board.first_player == PLAYER_2 and board.current_player == PLAYER_2
    assert move in board.availables and move not in board.legal_moves()
    with pytest.raises(ValueError, match="forbidden to black"):
        board.do_move(move)
    board.do_move(board.location_to_move([0, 8]))  # then X (white) makes five
    board.do_move(board.location_to_move([2, 2]))
    assert board.game_end() == (True, PLAYER_1)


def test_legal_moves_are_the_empty_points_except_black_under_renju():
    picture = CASES["black double four"][0]
    for rule in RULES:
        board, move = position(picture, rule)
        legal = board.legal_moves()
        assert legal == [int(m) for m in np.flatnonzero(board.legal_mask())]
        assert legal == (board.availables if rule != "renju" else
                         [m for m in board.availables if m != move])
        board.do_move(board.availables[0])  # white to move: every empty point
        assert board.legal_moves() == board.availables




def test_renju_black_without_a_legal_point_is_a_draw():
    board = parse(STUCK, 5, rule="renju")
    assert board.current_player == PLAYER_1 and len(board.availables) == 2
    assert board.legal_moves() == [] and board.game_end() == (True, DRAW)
    for move in board.availables:
        with pytest.raises(ValueError, match="forbidden"):
            board.do_move(move)
    freestyle = parse(STUCK, 5)  # no line of five: the game goes on
    assert freestyle.game_end() == (False, DRAW) and freestyle.legal_moves() == [10, 27]


def test_the_rule_is_an_optional_keyword_of_the_reference_signature():
    assert Board(8, 8, 5).config.rule == "freestyle"
    assert Board(9, 9, 5, rule="caro").rule == "caro"
    assert Board.from_config(Board(9, 9, 5, "standard").config).rule == "standard"
    with pytest.raises(ValueError, match="n_in_row must be 5 under renju"):
        Board(9, 9, 4, rule="renju")
    with pytest.raises(ValueError, match="rule must be one of"):
        Board(9, 9, 5, rule="omok")
