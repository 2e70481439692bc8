"""Deadlines of the searches: pure MCTS and PUCT stop in time, always play a legal move, and run
exactly the first playouts of the search without a deadline; MCTSPlayer on a batched evaluate."""
import time

import numpy as np

from gomoku import BoardConfig
import pytest

from gomoku import Board
from gomoku.ascii import parse
from mcts import BatchedSearch, MCTSPlayer, MCTSPurePlayer, SearchConfig
from mcts import batched, pure

HUGE = 10**7  # a playout cap no test could reach in its time: only the deadline stops the search
BUDGET = 0.2  # seconds to the deadline
MARGIN = 0.5  # late return allowed on a loaded 2-core machine (the search itself stops in ~ms)

POSITION = """
    . . . . . .
    . . . . . .
    . . X O . .
    . . O X . .
    . . . . . .
    . . . . . .
"""


def fake_net(width, height, seed=0):
    """A deterministic stand-in for a net: batched ``evaluate``, and the same as a
    ``policy_value_fn``."""
    w = np.random.default_rng(seed).normal(size=(4, height, width)).astype(np.float32)

    def evaluate(states):
        logits = (states * w).sum(axis=1).reshape(len(states), -1) * 3.0
        priors = np.exp(logits - logits.max(axis=1, keepdims=True))
        values = np.tanh((states[:, 0] - states[:, 1]).sum(axis=(1, 2)) * 0.3 + logits.mean(axis=1))
        return ((priors / priors.sum(axis=1, keepdims=True)).astype(np.float32),
                values.astype(np.float32))

    def policy_value_fn(board):
        priors, values = evaluate(board.current_state()[None])
        return [(m, float(priors[0, m])) for m in board.availables], float(values[0])
    return evaluate, policy_value_fn


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """Compile (or load from numba's cache) both searches before any call is timed."""
    board = parse(POSITION, n_in_row=4)
    MCTSPurePlayer(n_playout=2).get_action(board, deadline=time.monotonic())
    MCTSPlayer(evaluate=fake_net(6, 6)[0], n_playout=2).get_action(board, deadline=time.monotonic())


def timed_move(player, board, budget=BUDGET):
    start = time.monotonic()
    move = player.get_action(board, deadline=start + budget)
    return move, time.monotonic() - start


# -- pure MCTS ------------------------------------------------------------------------------------
@pytest.mark.parametrize("width,n_in_row", [(6, 4), (15, 5)])
def test_pure_search_stops_at_the_deadline_with_a_legal_move(width, n_in_row):
    board = Board(width, width, n_in_row)
    board.do_move(width + 2)
    player = MCTSPurePlayer(n_playout=HUGE, seed=0)
    move, took = timed_move(player, board)
    assert move in board.availables
    assert took < BUDGET + MARGIN
    assert pure.MIN_PLAYOUTS <= player.playouts < HUGE


@pytest.mark.parametrize("width,n_in_row,n_playout", [
    (6, 4, 10**5),  # preallocated: the cap fits PREALLOCATE_CELLS
    (15, 5, HUGE),  # the tree's arrays grow as the playouts go
])
def test_pure_search_cut_short_runs_the_first_playouts_of_the_full_search(width, n_in_row,
                                                                            n_playout):
    board = Board(width, width, n_in_row)
    board.do_move(width + 2)
    args = (board.stones, width, width, n_in_row, board.current_player, 5.0)
    cut = pure.search(*args, n_playout, 77, time.monotonic() + 0.05)
    playouts = int(cut.sum()) + 1
    assert pure.MIN_PLAYOUTS <= playouts < n_playout
    np.testing.assert_array_equal(cut, pure.search(*args, playouts, 77))


def test_pure_search_far_deadline_changes_nothing():
    board = parse(POSITION, n_in_row=4)
    args = (board.stones, 6, 6, 4, board.current_player, 5.0, 3000, 5)
    untimed = pure.search(*args)
    np.testing.assert_array_equal(pure.search(*args, time.monotonic() + 600), untimed)
    np.testing.assert_array_equal(pure.search(*args, time.monotonic() + 600, 1), untimed)
    first = MCTSPurePlayer(n_playout=500, seed=9).get_action(board, return_prob=1)
    again = MCTSPurePlayer(n_playout=500, seed=9).get_action(board, return_prob=1,
                                                             deadline=time.monotonic() + 600)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])


@pytest.mark.parametrize("n_playout,expected", [(1, 1), (2, 2), (HUGE, pure.MIN_PLAYOUTS)])
def test_pure_search_past_its_deadline_runs_its_minimum(n_playout, expected):
    board = parse(POSITION, n_in_row=4)
    player = MCTSPurePlayer(n_playout=n_playout, seed=1)
    move = player.get_action(board, deadline=time.monotonic() - 1.0)
    assert move in board.availables and player.playouts == expected


# -- PUCT -----------------------------------------------------------------------------------------
def test_player_on_evaluate_equals_player_on_policy_value_fn():
    evaluate, policy_value_fn = fake_net(6, 6)
    for is_selfplay in (0, 1):  # a fresh tree every move; kept subtrees and root noise
        fast = MCTSPlayer(evaluate=evaluate, n_playout=120, is_selfplay=is_selfplay, seed=4)
        slow = MCTSPlayer(policy_value_fn, n_playout=120, is_selfplay=is_selfplay, seed=4)
        board = Board(6, 6, 4)
        while not board.game_end()[0]:
            move, probs = fast.get_action(board, temp=1.0, return_prob=1)
            move_slow, probs_slow = slow.get_action(board, temp=1.0, return_prob=1)
            assert move == move_slow and fast.playouts == slow.playouts == 120
            np.testing.assert_array_equal(probs, probs_slow)
            board.do_move(move)


def test_player_needs_exactly_one_evaluator():
    evaluate, policy_value_fn = fake_net(6, 6)
    for kwargs in ({}, {"policy_value_fn": policy_value_fn, "evaluate": evaluate},
                   {"evaluate": "net"}):
        with pytest.raises(ValueError, match="policy_value_fn|evaluate"):
            MCTSPlayer(**kwargs)


@pytest.mark.parametrize("is_selfplay", [0, 1])
def test_puct_player_stops_at_the_deadline_with_a_legal_move(is_selfplay):
    evaluate, _ = fake_net(6, 6)
    player = MCTSPlayer(evaluate=evaluate, n_playout=HUGE, is_selfplay=is_selfplay, seed=2)
    board = parse(POSITION, n_in_row=4)
    for _ in range(2):  # self-play: the second move starts from the kept subtree
        move, took = timed_move(player, board)
        assert move in board.availables
        assert took < BUDGET + MARGIN
        assert 2 <= player.playouts < HUGE
        board.do_move(move)


def test_puct_trees_grow_in_chunks_under_a_deadline(monkeypatch):
    """Small start and chunks, so that a far deadline makes the run grow its trees step by step:
    the search is the one without a deadline."""
    monkeypatch.setattr(batched, "PREALLOCATE_PLAYOUTS", 16)
    monkeypatch.setattr(batched, "GROWING_START_NODES", 8)
    monkeypatch.setattr(batched, "CHUNK_STEPS", 4)
    evaluate, _ = fake_net(6, 6)
    board = parse(POSITION, n_in_row=4)
    timed = MCTSPlayer(evaluate=evaluate, n_playout=300, is_selfplay=1, seed=6)
    untimed = MCTSPlayer(evaluate=evaluate, n_playout=300, is_selfplay=1, seed=6)
    for _ in range(3):
        move, probs = timed.get_action(board, temp=1.0, return_prob=1,
                                       deadline=time.monotonic() + 600)
        move_untimed, probs_untimed = untimed.get_action(board, temp=1.0, return_prob=1)
        assert move_untimed == move
        np.testing.assert_array_equal(probs_untimed, probs)
        # the kept subtrees (the roots after the moves) agree too
        np.testing.assert_array_equal(untimed._search.root_visits(), timed._search.root_visits())
        assert timed.playouts == 300 and timed._search.tree.capacity > 8
        board.do_move(move)


def test_puct_player_cut_short_runs_the_first_playouts_of_the_full_search():
    evaluate, _ = fake_net(6, 6)
    board = parse(POSITION, n_in_row=4)
    timed = MCTSPlayer(evaluate=evaluate, n_playout=HUGE, seed=3)
    _, probs = timed.get_action(board, temp=1.0, return_prob=1, deadline=time.monotonic() + 0.05)
    assert 2 <= timed.playouts < HUGE
    full = MCTSPlayer(evaluate=evaluate, n_playout=timed.playouts, seed=3)
    np.testing.assert_array_equal(full.get_action(board, temp=1.0, return_prob=1)[1], probs)


@pytest.mark.parametrize("n_playout,expected", [(1, 1), (2, 2), (HUGE, 2)])
def test_puct_player_past_its_deadline_runs_its_minimum(n_playout, expected):
    evaluate, _ = fake_net(6, 6)
    board = parse(POSITION, n_in_row=4)
    player = MCTSPlayer(evaluate=evaluate, n_playout=n_playout, seed=0)
    _, probs = player.get_action(board, return_prob=1, deadline=time.monotonic() - 1.0)
    assert player.playouts == expected
    assert probs[board.stones != 0].sum() == 0
    if expected == 2:  # the second playout visited a move: the search chose it
        root = player._search.root_visits()[0]
        assert root.sum() == 1 and np.argmax(probs) == np.argmax(root)


def test_batched_run_counts_each_trees_playouts():
    evaluate, _ = fake_net(6, 6)
    boards = [parse(POSITION, n_in_row=4), Board(6, 6, 4)]
    for n_threads in (1, 2):
        search = BatchedSearch(BoardConfig(6, 6, 4), 2, SearchConfig(n_playout=50), n_threads=n_threads)
        for i, board in enumerate(boards):
            search.reset(i, board)
        np.testing.assert_array_equal(search.run(evaluate), [50, 50])
        np.testing.assert_array_equal(search.run(evaluate, [1], deadline=time.monotonic() - 1), [2])
        search = BatchedSearch(BoardConfig(6, 6, 4), 2, SearchConfig(n_playout=HUGE), n_threads=n_threads)
        start = time.monotonic()
        visits = search.search(boards, evaluate, deadline=start + BUDGET)
        assert time.monotonic() - start < BUDGET + MARGIN
        assert np.all(visits.sum(axis=1) >= 1)  # each tree chose a move by its search
        for board, row in zip(boards, visits):
            assert np.all(row[board.stones != 0] == 0)


@pytest.mark.parametrize("bad", [float("nan"), "soon", True])
def test_bad_deadlines_are_named(bad):
    evaluate, _ = fake_net(6, 6)
    board = parse(POSITION, n_in_row=4)
    for player in (MCTSPurePlayer(n_playout=10), MCTSPlayer(evaluate=evaluate, n_playout=10)):
        with pytest.raises(ValueError, match="deadline"):
            player.get_action(board, deadline=bad)
