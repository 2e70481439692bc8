"""mcts.analysis: root move values and the principal variation, read from a BatchedSearch."""
import numpy as np
import pytest

from evaluators import hashed_evaluator, uniform_evaluator
from gomoku.ascii import parse
from mcts import BatchedSearch, SearchConfig
from mcts.analysis import principal_variation, root_q, root_value

# X to move; X at row 1 wins with 1,3 (move 7) ... or loses the race to O's row 3 otherwise
RACE = """
    . . . . .
    O O O . .
    . . . . .
    X X X . .
    . . . . .
"""


def searched(picture, playouts, evaluate=uniform_evaluator, n_in_row=4):
    board = parse(picture, n_in_row=n_in_row)
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=playouts))
    search.reset(0, board)
    search.run(evaluate)
    return board, search


def test_root_q_is_plus_one_for_the_winning_move_and_nan_where_unvisited():
    board, search = searched(RACE, 200)
    q = root_q(search, 0)
    win = board.location_to_move([1, 3])
    assert q.dtype == np.float32 and q.shape == (board.width * board.height,)
    assert q[win] == 1.0
    visits = search.root_visits()[0]
    assert np.all(np.isnan(q[visits == 0])) and not np.isnan(q[visits > 0]).any()
    assert np.all(np.isnan(q[board.stones != 0]))
    assert np.all((q[visits > 0] >= -1) & (q[visits > 0] <= 1))


def test_root_q_matches_the_mean_value_of_one_playout_per_move():
    # with 2 playouts the root's first visit evaluates it and the second takes one move, whose
    # leaf value (for the player to move there) comes back negated, for the root's player
    board, search = searched(RACE, 2, evaluate=hashed_evaluator)
    q = root_q(search, 0)
    (move,) = np.flatnonzero(~np.isnan(q))
    after = board.copy()
    after.do_move(int(move))
    _, value = hashed_evaluator(after.current_state()[None])
    assert q[move] == pytest.approx(-value[0])


def test_principal_variation_follows_the_most_visited_children():
    board, search = searched(RACE, 300, evaluate=hashed_evaluator)
    line = principal_variation(search, 0, max_moves=4)
    assert 1 <= len(line) <= 4
    assert line[0] == int(np.argmax(search.root_visits()[0]))
    replay = board.copy()
    for move in line:  # a line of legal moves
        replay.do_move(move)
    assert principal_variation(search, 0, max_moves=1) == line[:1]
    assert principal_variation(search, 0, max_moves=0) == []


def test_principal_variation_stops_at_a_won_game():
    board, search = searched(RACE, 200)
    assert principal_variation(search, 0)[0] == board.location_to_move([1, 3])
    assert len(principal_variation(search, 0)) == 1  # the game ends there: nothing below


def test_bad_tree_index_is_refused():
    _, search = searched(RACE, 2)
    for bad in (1, -1, True, 0.0):
        with pytest.raises(ValueError, match="^tree must be"):
            root_q(search, bad)
        with pytest.raises(ValueError, match="^tree must be"):
            principal_variation(search, bad)
    with pytest.raises(ValueError, match="max_moves"):
        principal_variation(search, 0, max_moves=-1)


def test_root_value_is_the_visit_weighted_mean_of_the_root_moves_q():
    board, search = searched(RACE, 200, evaluate=hashed_evaluator)
    q, visits = root_q(search, 0), search.root_visits()[0]
    seen = visits > 0
    expected = np.sum(q[seen] * visits[seen]) / visits.sum()
    assert root_value(search, 0) == pytest.approx(float(expected), abs=1e-6)


def test_root_value_of_a_won_race_nears_one():
    # X to move wins at once; with the uniform evaluator the search piles its visits on the win
    # (309 of 399 here; c_puct 5 keeps trying the other moves, which are worth about 0)
    _, search = searched(RACE, 400)
    assert 0.7 < root_value(search, 0) <= 1.0


def test_root_value_is_zero_before_a_playout_leaves_the_root():
    _, search = searched(RACE, 1)  # the first playout evaluates the root itself
    assert root_value(search, 0) == 0.0
