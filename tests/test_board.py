"""Rules of the board engine: wins, draws, illegal moves, input planes."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from gomoku import Board
from gomoku.ascii import parse, render

SHAPES = [(6, 6, 4), (8, 8, 5), (15, 15, 5), (7, 9, 5), (9, 7, 5), (5, 12, 3)]
DIRECTIONS = [(0, 1), (1, 0), (1, 1), (1, -1)]


def scan_winner(stones: np.ndarray, width: int, height: int, n: int) -> int:
    """Brute force: the player owning any line of n anywhere on the board, else -1."""
    grid = stones.reshape(height, width)
    for player in (1, 2):
        mine = (grid == player).astype(np.int32)
        lines = [
            sliding_window_view(mine, (1, n)).sum(axis=(-2, -1)),
            sliding_window_view(mine, (n, 1)).sum(axis=(-2, -1)),
            sliding_window_view(mine, (n, n)).diagonal(axis1=-2, axis2=-1).sum(axis=-1),
            sliding_window_view(mine[:, ::-1], (n, n)).diagonal(axis1=-2, axis2=-1).sum(axis=-1),
        ]
        if any((line == n).any() for line in lines):
            return player
    return -1


def play_line(board: Board, cells, filler):
    """Player 1 takes ``cells`` in order; player 2 answers from ``filler`` (points off the line)."""
    filler = iter(filler)
    for i, (r, c) in enumerate(cells):
        board.do_move(board.location_to_move([r, c]))
        if i + 1 < len(cells):
            board.do_move(next(filler))


def far_points(board: Board, cells):
    """Empty points away from every cell of the line, for the other player."""
    taken = {board.location_to_move(rc) for rc in cells}
    return [m for m in range(board.width * board.height) if m not in taken
            and all(abs(m // board.width - r) + abs(m % board.width - c) > 1 for r, c in cells)]


@pytest.mark.parametrize("width,height,n", SHAPES)
def test_fresh_board_is_not_ended(width, height, n):
    board = Board(width, height, n)
    assert board.game_end() == (False, -1)
    assert board.availables == list(range(width * height))
    assert board.last_move == -1 and board.get_current_player() == 1


@pytest.mark.parametrize("width,height,n", SHAPES)
@pytest.mark.parametrize("d_row,d_col", DIRECTIONS)
def test_win_in_every_direction_at_edges_and_corners(width, height, n, d_row, d_col):
    rows = range(height) if d_row == 0 else range(height - n + 1)
    cols = range(width) if d_col == 0 else (range(width - n + 1) if d_col == 1 else range(n - 1, width))
    corners = {(rows[0], cols[0]), (rows[-1], cols[-1]), (rows[0], cols[-1]), (rows[-1], cols[0])}
    for r0, c0 in sorted(corners):
        cells = [(r0 + i * d_row, c0 + i * d_col) for i in range(n)]
        for order in (cells, cells[::-1], cells[1:] + cells[:1]):  # the last stone at an end or inside
            board = Board(width, height, n)
            filler = far_points(board, cells)
            if len(filler) < n - 1:
                pytest.skip("board too small for a line plus filler")
            play_line(board, order[:-1], filler)
            board.do_move(next(m for m in filler if m in board.availables))
            assert board.game_end() == (False, -1)
            board.do_move(board.location_to_move(order[-1]))
            assert board.game_end() == (True, 1), f"line {order} on {width}x{height}x{n}"


def test_overline_wins():
    board = parse("""
        . . . . . . . .
        . . . . . . . .
        . . . . . . . .
        X X X . X X . .
        . . . . . . . .
        O O O O . . . .
        . . . . . . . .
        O . . . . . . .
    """, n_in_row=5)
    assert board.game_end() == (False, -1)
    board.do_move(board.location_to_move([4, 3]))  # six in a row
    assert board.game_end() == (True, 1)


def test_n_minus_one_does_not_win():
    board = parse("""
        . . . . . .
        . . . . . .
        X X X . . .
        O O . . . .
        . . . . . .
        . . . . . .
    """, n_in_row=4)
    assert board.game_end() == (False, -1)


@pytest.mark.parametrize("width,height,n", [(4, 4, 4), (6, 6, 4), (3, 5, 3), (7, 9, 5)])
def test_full_board_without_line_is_a_draw(width, height, n):
    rng = np.random.default_rng(0)
    for _ in range(200):
        board = Board(width, height, n)
        while True:
            ended, winner = board.game_end()
            if ended:
                break
            board.do_move(int(rng.choice(board.availables)))
        if winner == -1:
            assert not board.availables
            assert scan_winner(board.stones, width, height, n) == -1
            return
    pytest.fail("no drawn game in 200 random games")


def test_illegal_moves_are_rejected():
    board = Board(6, 6, 4)
    board.do_move(7)
    for bad in (7, -1, 36, 1000, 2.5, "3", None, True):
        with pytest.raises(ValueError, match=str(bad) if bad is not None else "None"):
            board.do_move(bad)
    assert board.move_count == 1 and board.stones.sum() == 1


def test_no_move_after_the_end():
    board = parse("""
        . . . .
        X X X X
        O O O .
        . . . .
    """, n_in_row=4)
    assert board.game_end() == (True, 1)
    with pytest.raises(ValueError, match="game is over"):
        board.do_move(0)


@pytest.mark.parametrize("args,word", [((3, 3, 4), "smaller"), ((0, 6, 4), "width"),
                                       ((6, -2, 4), "height"), ((6, 6, 0), "n_in_row"),
                                       ((6.0, 6, 4), "width")])
def test_bad_board_arguments(args, word):
    with pytest.raises(ValueError, match=word):
        Board(*args)


def test_coordinates_round_trip():
    board = Board(7, 9, 5)
    for move in range(63):
        assert board.location_to_move(board.move_to_location(move)) == move
    assert board.move_to_location(10) == [1, 3]
    assert board.location_to_move([9, 0]) == -1 and board.location_to_move([0, 7]) == -1
    assert board.location_to_move([-1, 0]) == -1


@pytest.mark.parametrize("width,height,n", [(6, 6, 4), (8, 8, 5), (15, 15, 5), (7, 9, 5)])
def test_last_move_check_agrees_with_full_scan(width, height, n):
    """Lines never disappear, so agreeing at the end and just before it is agreeing at every move."""
    rng = np.random.default_rng(width * 100 + height)
    for _ in range(2000):
        board = Board(width, height, n)
        board.init_board(int(rng.integers(2)))
        for move in rng.permutation(width * height):
            before = board.stones.copy()
            board.do_move(int(move))
            if board.game_end()[0]:
                break
        ended, winner = board.game_end()
        assert ended
        assert winner == scan_winner(board.stones, width, height, n)
        assert scan_winner(before, width, height, n) == -1
        assert winner != -1 or not board.availables


def test_current_state_planes():
    board = parse("""
        . . . . . .
        . . . . . .
        . . X . . .
        . . X O . .
        . . . . . .
        O . . . . .
    """, n_in_row=4)
    # X has 2 stones, O 2: X (player 1, who started) is to move
    state = board.current_state()
    assert state.shape == (4, 6, 6) and state.dtype == np.float32
    own = np.zeros((6, 6)); own[2, 2] = own[3, 2] = 1  # rows flipped: row r is at index 5 - r
    opp = np.zeros((6, 6)); opp[3, 3] = opp[5, 0] = 1
    np.testing.assert_array_equal(state[0], own)
    np.testing.assert_array_equal(state[1], opp)
    assert state[2].sum() == 1 and state[2][5 - board.last_move // 6, board.last_move % 6] == 1
    assert state[3].min() == 1.0
    board.do_move(board.location_to_move([0, 5]))
    state = board.current_state()
    np.testing.assert_array_equal(state[1], own + _at(6, 6, 0, 5))
    assert state[3].max() == 0.0
    assert state[2][5, 5] == 1 and state[2].sum() == 1


def _at(height, width, row, col):
    plane = np.zeros((height, width)); plane[height - 1 - row, col] = 1
    return plane


def test_current_state_non_square_matches_reference_convention():
    board = Board(7, 5, 4)
    board.do_move(board.location_to_move([1, 6]))
    state = board.current_state()
    assert state.shape == (4, 5, 7)
    np.testing.assert_array_equal(state[1], _at(5, 7, 1, 6))
    assert state[0].sum() == 0 and state[3].sum() == 0


def test_copy_is_independent():
    board = Board(6, 6, 4)
    board.do_move(3)
    other = board.copy()
    other.do_move(4)
    assert board.move_count == 1 and 4 in board.availables and board.stones[4] == 0


def test_render_parse_round_trip():
    rng = np.random.default_rng(3)
    for width, height, n in [(6, 6, 4), (7, 9, 5), (12, 11, 5)]:
        board = Board(width, height, n)
        board.init_board(int(rng.integers(2)))
        for move in rng.permutation(width * height)[: width * height // 2]:
            if board.game_end()[0]:
                break
            board.do_move(int(move))
        again = parse(render(board), n, start_player=board.start_player)
        np.testing.assert_array_equal(again.stones, board.stones)
        assert again.last_move == board.last_move
        assert again.current_player == board.current_player
        assert again.game_end() == board.game_end()
        np.testing.assert_array_equal(again.current_state(), board.current_state())


@pytest.mark.parametrize("picture,word", [
    (". X\nO", "differ"), (". Z .\n. . .\n. . .", "symbol"),
    ("X X .\nX . .\n. . .", "counts"), (". [.] .\n. . .\n. . .", "empty point"),
])
def test_parse_rejects_bad_pictures(picture, word):
    with pytest.raises(ValueError, match=word):
        parse(picture, n_in_row=3)
