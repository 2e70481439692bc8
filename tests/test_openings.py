"""Openings: seeded random ones distinct up to symmetry, and Gomocup opening files."""
from itertools import combinations

import numpy as np
import pytest

from gomoku import Board
from gomoku.ascii import render
from gomoku.openings import OpeningsError, opening_board, random_openings, read_openings


def orbit_key(opening, width, height):
    """The smallest picture of the position over the board's symmetries, built with NumPy alone."""
    picture = np.zeros((2, height, width), dtype=np.int8)
    for i, move in enumerate(opening):
        picture[i % 2, move // width, move % width] = 1
    turns = range(4) if width == height else (0, 2)
    images = []
    for k in turns:
        turned = np.rot90(picture, k, axes=(1, 2))
        images += [turned, turned[:, :, ::-1]]
    return min(image.tobytes() for image in images)


def distance_from_centre(move, width, height):
    return max(abs(move // width - height // 2), abs(move % width - width // 2))


def ends_the_game(opening, width, height, n_in_row):
    board = Board(width, height, n_in_row)
    for move in opening:
        if board.game_end()[0]:
            return True
        board.do_move(move)
    return board.game_end()[0]


# -- random openings ------------------------------------------------------------------------------
def test_same_seed_same_openings_other_seed_others():
    first = random_openings(15, 15, 5, 4, 30, seed=7)
    assert first == random_openings(15, 15, 5, 4, 30, seed=7)
    assert first != random_openings(15, 15, 5, 4, 30, seed=8)


@pytest.mark.parametrize("width,height,n_in_row,n_stones,count", [
    (15, 15, 5, 4, 200), (15, 15, 5, 3, 300), (7, 5, 4, 3, 40), (6, 6, 4, 2, 60),
    (9, 9, 3, 5, 100)])
def test_openings_are_distinct_up_to_symmetry_and_open(width, height, n_in_row, n_stones, count):
    openings = random_openings(width, height, n_in_row, n_stones, count, seed=0)
    assert len(openings) == count
    assert all(len(o) == n_stones and len(set(o)) == n_stones for o in openings)
    assert len({orbit_key(o, width, height) for o in openings}) == count
    for opening in openings:
        board = opening_board(opening, width, height, n_in_row)
        assert board.game_end() == (False, -1)
        assert board.move_count == n_stones


def test_openings_start_in_the_central_square():
    openings = random_openings(15, 15, 5, 4, 200, seed=3)
    distances = {distance_from_centre(m, 15, 15) for o in openings for m in o}
    assert distances == {0, 1, 2}  # the whole square of radius 2 is used, nothing outside it


def test_the_square_grows_only_when_it_cannot_hold_them():
    # one stone on 9x9: the radius-2 square holds 6 points distinct up to symmetry
    # (offsets 0,0  1,0  1,1  2,0  2,1  2,2), radius 3 holds 10, the whole board 15
    six = random_openings(9, 9, 5, 1, 6, seed=0)
    assert max(distance_from_centre(o[0], 9, 9) for o in six) == 2
    seven = random_openings(9, 9, 5, 1, 7, seed=0)
    assert max(distance_from_centre(o[0], 9, 9) for o in seven) == 3
    assert len(random_openings(9, 9, 5, 1, 15, seed=0)) == 15
    with pytest.raises(OpeningsError, match=r"^only 15 distinct openings of 1 stone on the 9x9"):
        random_openings(9, 9, 5, 1, 16, seed=0)


def test_a_non_square_board_has_four_symmetries():
    # 7x5: mirrors in both directions and the half turn; 4 * 3 points are distinct
    assert len(random_openings(7, 5, 4, 1, 12, seed=0)) == 12
    with pytest.raises(OpeningsError, match="only 12 distinct"):
        random_openings(7, 5, 4, 1, 13, seed=0)


def test_the_count_is_exact_when_many_placements_end_the_game():
    """3x3, three in a row, five stones: count every open position up to symmetry by hand."""
    keys = set()
    for black in combinations(range(9), 3):
        for white in combinations([p for p in range(9) if p not in black], 2):
            opening = (black[0], white[0], black[1], white[1], black[2])
            if not ends_the_game(opening, 3, 3, 3):
                keys.add(orbit_key(opening, 3, 3))
    total = len(keys)
    assert 0 < total < 1260 // 8  # many of the 1260 placements end the game
    openings = random_openings(3, 3, 3, 5, total, seed=1)
    assert {orbit_key(o, 3, 3) for o in openings} == keys
    with pytest.raises(OpeningsError, match=f"only {total} distinct"):
        random_openings(3, 3, 3, 5, total + 1, seed=1)


def test_zero_stones_is_the_empty_board():
    assert random_openings(6, 6, 4, 0, 1, seed=0) == [()]
    with pytest.raises(OpeningsError, match="only one opening of 0 stones"):
        random_openings(6, 6, 4, 0, 2, seed=0)


@pytest.mark.parametrize("args,message", [
    ((9, 9, 5, 2, 0, 0), "count must be an integer >= 1"),
    ((9, 9, 5, -1, 3, 0), "n_stones must be an integer >= 0"),
    ((9, 9, 5, 2, 3, None), "seed must be an integer >= 0"),
    ((9, 9, 5, 2, 3.0, 0), "count must be an integer >= 1"),
    ((3, 3, 3, 9, 1, 0), "n_stones=9 leaves no empty point"),
    ((4, 4, 5, 2, 3, 0), "smaller than 5 in a row"),
])
def test_bad_requests_raise_one_line(args, message):
    with pytest.raises(OpeningsError, match=message) as info:
        random_openings(*args)
    assert "\n" not in str(info.value)


# -- opening_board --------------------------------------------------------------------------------
def test_opening_board_plays_the_moves_alternately():
    board = opening_board((24, 25, 17), 7, 7, 5)
    assert render(board) == "\n".join([
        "  0 1 2 3 4 5 6",
        "6 . . . . . . .",
        "5 . . . . . . .",
        "4 . . . . . . .",
        "3 . . . X O . .",
        "2 . . .[X]. . .",
        "1 . . . . . . .",
        "0 . . . . . . ."])
    assert board.get_current_player() == 2


@pytest.mark.parametrize("opening,message", [
    ((24, 49), "opening stone 2 \\(move 49\\) is off the 7x7 board"),
    ((24, 25, 24), "opening stone 3 \\(move 24\\) is on a point already used"),
    ((24, "25"), "opening stone 2 is not a move number"),
    ((0, 7, 1, 8, 2), "ends the game at stone 5: player 1 has 3 in a row"),
])
def test_opening_board_rejects_bad_openings(opening, message):
    with pytest.raises(OpeningsError, match=message):
        opening_board(opening, 7, 7, 3)


# -- openings files -------------------------------------------------------------------------------
FILE = ("\ufeff# two openings for 15x15, the centre is 7,7\r\n"
        "0,0, 1,1, -1,1\r\n"
        "\r\n"
        "   2,-1,0,1   # a trailing comment, no space after the comma\r\n")
EXPECTED = [(7 * 15 + 7, 8 * 15 + 8, 8 * 15 + 6), (6 * 15 + 9, 8 * 15 + 7)]


def test_reads_text_and_files(tmp_path):
    assert read_openings(FILE, 15, 15, 5) == EXPECTED
    path = tmp_path / "openings.txt"
    path.write_bytes(FILE.encode("utf-8"))
    assert read_openings(path, 15, 15, 5) == EXPECTED
    assert read_openings(str(path), 15, 15, 5) == EXPECTED


def test_reads_the_c_gomoku_cli_example_line():
    """The example of c-gomoku-cli's README on a 20x20 board: column 10 + x, row 10 + y."""
    line = "8,-3, 6,-4, 5,-4, 4,-3, 2,-8, -1,-5"
    points = [(18, 7), (16, 6), (15, 6), (14, 7), (12, 2), (9, 5)]  # (column, row)
    assert read_openings(line, 20, 20, 5) == [tuple(r * 20 + c for c, r in points)]


def test_x_is_the_column_and_y_the_row_from_the_centre():
    board = opening_board(read_openings("0,0, 1,0, 0,1, -2,-1", 7, 7, 5)[0], 7, 7, 5)
    assert render(board) == "\n".join([
        "  0 1 2 3 4 5 6",
        "6 . . . . . . .",
        "5 . . . . . . .",
        "4 . . . X . . .",
        "3 . . . X O . .",
        "2 .[O]. . . . .",
        "1 . . . . . . .",
        "0 . . . . . . ."])
    # on a rectangular board the centre is (width // 2, height // 2) = (4, 3)
    assert read_openings("0,0, 3,2", 8, 6, 5) == [(3 * 8 + 4, 5 * 8 + 7)]


@pytest.mark.parametrize("text,message", [
    ("0,0, 1,1\n# fine so far\n0,0, a,1\n", "line 3: bad number 'a'"),
    ("0,0, 1.5,1\n", "line 1: bad number '1.5'"),
    ("0,0, 1,1,\n", "line 1: bad number ''"),
    ("0,0 1,1\n", "line 1: bad number '0 1'"),
    ("\n0,0, 1\n", "line 2: odd count of coordinates \\(3\\)"),
    ("0,0, 4,0\n", "line 1: stone 2 at 4,0 is off the 7x7 board \\(centre 3,3\\)"),
    ("0,0, -1,-4\n", "line 1: stone 2 at -1,-4 is off the 7x7 board"),
    ("0,0, 1,1, 0,0\n", "line 1: stone 3 at 0,0 is on the point of stone 1"),
    ("0,0, 0,2, 1,0, 1,2, -1,0\n", "line 1: the opening ends the game at stone 5: player 1 has 3"),
    ("", "openings text holds no opening"),
    ("# nothing here\n\n   \n", "openings text holds no opening"),
])
def test_bad_files_name_the_line_and_the_problem(text, message):
    with pytest.raises(OpeningsError, match=message) as info:
        read_openings(text, 7, 7, 3)
    assert "\n" not in str(info.value)


def test_unreadable_sources_raise(tmp_path):
    with pytest.raises(OpeningsError, match="cannot read openings file .*missing.txt"):
        read_openings(tmp_path / "missing.txt", 15, 15, 5)
    (tmp_path / "latin1.txt").write_bytes(b"0,0 \xe9\n")
    with pytest.raises(OpeningsError, match="cannot read openings file"):
        read_openings(tmp_path / "latin1.txt", 15, 15, 5)
    with pytest.raises(OpeningsError, match="as text or a path"):
        read_openings(42, 15, 15, 5)
    with pytest.raises(OpeningsError, match="smaller than 5 in a row"):
        read_openings("0,0", 4, 4, 5)
