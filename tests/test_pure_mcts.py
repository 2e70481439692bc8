"""Pure-rollout MCTS: tactics, legality, reproducibility, and that the board it is given stays intact."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gomoku import Board, is_winning_move
from gomoku.ascii import parse
from mcts import MCTSPurePlayer
from mcts.pure import search

SEEDS = [0, 1, 2]


def winning_points(board: Board, player: int) -> set[int]:
    """Empty points where a stone of ``player`` would complete n in a row."""
    wins = set()
    for move in board.availables:
        stones = board.stones.copy()
        stones[move] = player
        if is_winning_move(stones, board.width, board.height, board.n_in_row, move):
            wins.add(move)
    return wins


def snapshot(board: Board):
    return (board.stones.copy(), list(board.availables), board.last_move,
            board.current_player, board.move_count, board.winner)


def assert_unchanged(board: Board, before):
    stones, availables, *rest = before
    np.testing.assert_array_equal(board.stones, stones)
    assert board.availables == availables
    assert [board.last_move, board.current_player, board.move_count, board.winner] == rest


WIN_POSITIONS = [
    # 6x6, 4 in a row: X to move completes the row at the right end (the left end is blocked)
    (4, """
        . . . . . .
        . . . . . .
        O X X X . .
        . . . . . .
        . . O . . .
        . . . . O .
    """),
    # 8x8, 5 in a row: X to move completes a diagonal in its middle
    (5, """
        . . . . . . . .
        . . . . . . X .
        . . . . . X . .
        . . . . . . . .
        . . . X . . . .
        . . X . . . . .
        . . . O O O . .
        . . . O . . . .
    """),
]

BLOCK_POSITIONS = [
    # 6x6, 4 in a row: O to move must take the only point that completes X's row on the edge
    (4, 1000, """
        . . . . . .
        . . . . . .
        . . O . . .
        . . . . . .
        . . . . . .
        O X X X . .
    """),
    # the same threat in the centre, where X keeps a strong attack after the block, so the
    # values of all moves are close: pure MCTS needs more playouts to see the block
    (4, 3000, """
        . . . . . .
        . . . . . .
        O X X X . .
        . . . . . .
        . . . . . .
        . . . . O .
    """),
    # 8x8, 5 in a row: O to move must stop X's closed four (column 2)
    (5, 1000, """
        . . . . . . . .
        . . . . . . . .
        . . O . . . . .
        . . X . . . . .
        . . X . . O . .
        . . X . . . . .
        . . X . . . O .
        . . . . . . . .
    """),
]


@pytest.mark.parametrize("n_in_row,picture", WIN_POSITIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_takes_an_immediate_win(n_in_row, picture, seed):
    board = parse(picture, n_in_row)
    mover = board.current_player
    assert winning_points(board, mover), "the position must offer a win"
    move = MCTSPurePlayer(n_playout=1000, seed=seed).get_action(board)
    board.do_move(move)
    assert board.game_end() == (True, mover)


@pytest.mark.parametrize("n_in_row,n_playout,picture", BLOCK_POSITIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_blocks_the_opponents_immediate_win(n_in_row, n_playout, picture, seed):
    board = parse(picture, n_in_row)
    mover, opponent = board.current_player, 3 - board.current_player
    assert not winning_points(board, mover) and len(winning_points(board, opponent)) == 1
    board.do_move(MCTSPurePlayer(n_playout=n_playout, seed=seed).get_action(board))
    assert not winning_points(board, opponent)


@pytest.mark.parametrize("width,height,n_in_row", [(6, 6, 4), (7, 5, 4), (8, 8, 5)])
def test_moves_are_legal_and_board_untouched_in_whole_games(width, height, n_in_row):
    rng = np.random.default_rng(width * height)
    for game in range(3):
        board = Board(width, height, n_in_row)
        board.init_board(start_player=game % 2)
        players = {1: MCTSPurePlayer(n_playout=int(rng.integers(1, 200)), seed=game),
                   2: MCTSPurePlayer(c_puct=1.5, n_playout=int(rng.integers(1, 200)), seed=game + 10)}
        for p, player in players.items():
            player.set_player_ind(p)
            player.reset_player()
        while not board.game_end()[0]:
            before = snapshot(board)
            move = players[board.current_player].get_action(board)
            assert_unchanged(board, before)
            assert isinstance(move, int) and move in board.availables
            board.do_move(move)


def test_same_seed_same_moves_and_distributions():
    def play(seed):
        board, record = Board(6, 6, 4), []
        player = MCTSPurePlayer(n_playout=300, seed=seed)
        while not board.game_end()[0]:
            move, probs = player.get_action(board, return_prob=1)
            record.append((move, probs))
            board.do_move(move)
        return record

    first, again = play(7), play(7)
    assert [m for m, _ in first] == [m for m, _ in again]
    for (_, p1), (_, p2) in zip(first, again):
        np.testing.assert_array_equal(p1, p2)


def test_visit_distribution_counts_playouts_on_legal_moves():
    board = parse("""
        . . . . .
        . X . . .
        . . O . .
        . . . . .
        . . . . .
    """, 4)
    n_playout = 257
    move, probs = MCTSPurePlayer(n_playout=n_playout, seed=3).get_action(board, return_prob=1)
    assert probs.shape == (25,) and abs(probs.sum() - 1.0) < 1e-12
    assert np.all(probs[board.stones != 0] == 0)
    assert move == int(np.argmax(probs))
    visits = search(board.stones, 5, 5, 4, board.current_player, 5.0, n_playout, 3)
    # the first playout evaluates the root itself, every other one passes through a root move
    assert visits.sum() == n_playout - 1


def test_single_playout_plays_a_legal_move():
    board = parse("""
        X O X O
        X O X O
        O X O X
        . X O .
    """, 4)
    move, probs = MCTSPurePlayer(n_playout=1, seed=0).get_action(board, return_prob=1)
    assert move in board.availables and probs[move] == 1.0


def test_last_empty_point_is_played():
    board = parse("""
        X O X O
        X O X O
        O X O X
        O X O .
    """, 4, start_player=1)
    assert MCTSPurePlayer(n_playout=50, seed=0).get_action(board) == board.availables[0]


def test_compiled_search_frees_its_tree_after_every_move():
    code = """
from numba.core.runtime import rtsys
from gomoku import Board
from mcts import MCTSPurePlayer
player, board = MCTSPurePlayer(n_playout=300, seed=0), Board(6, 6, 4)
moves = 0
while not board.game_end()[0]:
    board.do_move(player.get_action(board))
    moves += 1
stats = rtsys.get_allocation_stats()
print(moves, stats.alloc, stats.free)
"""
    env = dict(os.environ, NUMBA_NRT_STATS="1")  # numba counts its allocations only when asked
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    moves, alloc, free = map(int, result.stdout.split())
    assert alloc >= moves > 0 and alloc == free


@pytest.mark.parametrize("kwargs,name", [
    ({"n_playout": 0}, "n_playout"), ({"n_playout": 2.5}, "n_playout"),
    ({"c_puct": 0}, "c_puct"), ({"c_puct": float("nan")}, "c_puct"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MCTSPurePlayer(**kwargs)


def test_no_move_after_the_game_is_over():
    board = parse("""
        . . . . . .
        . . . . . .
        O X X X X .
        . . . . . .
        . . O . . .
        . . . . O .
    """, 4)
    assert board.game_end()[0]
    with pytest.raises(ValueError, match="game is over"):
        MCTSPurePlayer(n_playout=10).get_action(board)


def test_threads_searching_at_once_give_the_sequential_results():
    """Evaluation runs several pure players in threads (the search releases the GIL)."""
    board = Board(6, 6, 4)
    board.do_move(14)

    def distributions():
        return [MCTSPurePlayer(n_playout=2000, seed=s) for s in range(4)]

    sequential = [p.get_action(board, return_prob=1)[1] for p in distributions()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda p: p.get_action(board, return_prob=1)[1], distributions()))
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a, b)
