"""Leaf batching with virtual loss (search.leaf_batch > 1): visit accounting, one evaluation per
leaf and call, tactics, deadlines, and the players and flags that use it.

Pictures are gomoku.ascii's (highest row first, X moves first).
"""
import time

import numpy as np
import pytest

from gomoku import Board, BoardConfig
from gomoku.ascii import parse
from mcts import BatchedSearch, MCTSPlayer, SearchConfig, batched
from mcts import leaf_batch as LB
from mcts import tree as T
from mcts.batched import most_visited
from mcts.selfplay import play_games
from pipeline import cli
from pipeline.training_run import config_differences, with_defaults

from evaluators import hashed_evaluator, uniform_evaluator
from test_puct import BLOCK, WIN_AT_ONCE, check_tree, immediate_wins
from test_search_deadline import HUGE, POSITION, fake_net


class Recording:
    """An evaluator that checks, at every call, the leaves a leaf-batched search sends: each a
    node of its tree still waiting for its evaluation, none twice."""

    def __init__(self, search, evaluate=hashed_evaluator):
        self.search, self.evaluate, self.sizes = search, evaluate, []

    def __call__(self, states):
        n = len(states)
        _, path_tree, leaf_node, _, eval_paths, _ = self.search._paths[0]
        leaves = list(zip(path_tree[eval_paths[:n]], leaf_node[eval_paths[:n]]))
        assert len(set(leaves)) == n, leaves
        assert all(self.search.tree.state[g, node] == T.UNEXPANDED for g, node in leaves)
        self.sizes.append(n)
        return self.evaluate(states)


def test_visits_count_every_playout_and_the_reused_ones():
    board = Board(6, 6, 4)
    search = BatchedSearch(BoardConfig(6, 6, 4), 1, SearchConfig(n_playout=150, leaf_batch=8))
    search.reset(0, board)
    evaluate = Recording(search)
    assert search.run(evaluate)[0] == 150
    assert search.tree.visits[0, T.ROOT] == 150 and search.root_visits()[0].sum() == 149
    assert evaluate.sizes[0] == 1 and max(evaluate.sizes) == 8  # the new root, then 8 leaves
    assert len(evaluate.sizes) < 150 / 4
    check_tree(search, 0)
    for _ in range(3):  # keep the subtree of the most visited move, search on
        move = int(np.argmax(search.root_visits()[0]))
        reused = search.tree.visits[0, search.tree.child_node[0, T.ROOT, move]]
        search.advance(0, move)
        board.do_move(move)
        assert search.run(evaluate)[0] == 150
        assert search.tree.visits[0, T.ROOT] == reused + 150
        assert (search.root_visits()[0][board.stones != 0] == 0).all()
        check_tree(search, 0)
    assert not search.tree.virtual.any()


# Few empty points: the walks of a step soon meet the leaves other walks wait for.
CROWDED = """
    X O X O X .
    X O X O . O
    O X O X O X
    O X O X O X
    X O . O X O
    . X O X O X
"""


@pytest.mark.parametrize("picture,n_in_row,collide", [(CROWDED, 5, True), (POSITION, 4, False)])
def test_a_leaf_is_sent_once_a_call_in_every_tree(picture, n_in_row, collide):
    board = parse(picture, n_in_row)
    search = BatchedSearch(board.config, 2, SearchConfig(n_playout=60, leaf_batch=8))
    evaluate = Recording(search)
    visits = search.search([board, Board(6, 6, n_in_row)], evaluate)
    assert (visits.sum(axis=1) == 59).all() and not search.tree.virtual.any()
    for g in range(2):
        check_tree(search, g)
    # the root's step and 59 playouts in steps of 8, unless walks collided and stopped a step
    assert (search.steps > 1 + 8) == collide


def test_trees_stepped_by_two_threads_search_as_one_thread_does():
    boards = [parse(POSITION, n_in_row=4), Board(6, 6, 4), parse(POSITION, n_in_row=4)]
    boards[2].do_move(0)
    visits = [BatchedSearch(BoardConfig(6, 6, 4), 3, SearchConfig(n_playout=70, leaf_batch=8),
                            n_threads=threads).search(boards, hashed_evaluator)
              for threads in (1, 2)]
    np.testing.assert_array_equal(visits[0], visits[1])


def test_walks_may_end_on_one_terminal_leaf_and_collisions_are_taken_back():
    board = parse(WIN_AT_ONCE, 4)
    win = immediate_wins(board.stones.copy(), 6, 6, 4, board.current_player)[0]

    def likes_the_win(states):
        priors, values = uniform_evaluator(states)
        priors[:, win] += 1.0
        return priors / priors.sum(axis=1, keepdims=True), values
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=40))
    search.search([board], likes_the_win)
    tree, a = search.tree, board.width * board.height
    stones, path_tree, leaf_node = np.zeros((8, a), np.int8), np.zeros(8, np.int32), \
        np.zeros(8, np.int32)
    leaf_value, eval_paths = np.zeros(8, np.float32), np.zeros(8, np.int32)
    states, walked = np.zeros((8, 4, 6, 6), np.float32), np.zeros(1, np.int64)
    n_paths, n_eval = LB.select_leaves_virtual(
        tree, np.zeros(1, np.int32), np.array([8]), 8, 6, 6, 4, search.rule, 5.0, stones,
        path_tree, leaf_node, leaf_value, eval_paths, states, walked)
    terminal = tree.child_node[0, T.ROOT, win]
    ends = list(leaf_node[:n_paths])
    assert ends.count(terminal) >= 2  # the win is worth several walks
    others = [leaf_node[p] for p in eval_paths[:n_eval]]
    assert len(set(others)) == n_eval and terminal not in others
    assert walked[0] == n_paths and tree.virtual[0, T.ROOT] == n_paths
    priors, values = likes_the_win(states[:n_eval])
    LB.expand_and_backup_virtual(tree, n_paths, n_eval, eval_paths, priors, values, path_tree,
                                 leaf_node, leaf_value, stones, search._root_noise,
                                 search._noise_pending, 0.0, 6, 6, search.rule)
    assert not tree.virtual.any() and tree.visits[0, T.ROOT] == 40 + n_paths
    check_tree(search, 0)
    # a new root: the second walk meets the root the first waits for, and is taken back
    search.reset(0, board)
    n_paths, n_eval = LB.select_leaves_virtual(
        tree, np.zeros(1, np.int32), np.array([8]), 8, 6, 6, 4, search.rule, 5.0, stones,
        path_tree, leaf_node, leaf_value, eval_paths, states, walked)
    assert (n_paths, n_eval, leaf_node[0]) == (1, 1, T.ROOT) and tree.virtual[0, T.ROOT] == 1


@pytest.mark.parametrize("picture,playouts,expected", [(WIN_AT_ONCE, 200, (18, 22)),
                                                       (BLOCK, 1500, (22,))])
def test_tactics_are_still_found(picture, playouts, expected):
    board = parse(picture, 4)
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=playouts, leaf_batch=8))
    assert most_visited(search.search([board], uniform_evaluator))[0] in expected


def test_the_player_batches_its_leaves_and_a_deadline_cuts_the_same_search():
    evaluate, _ = fake_net(6, 6)
    sizes = []

    def recording(states):
        sizes.append(len(states))
        return evaluate(states)
    board = parse(POSITION, n_in_row=4)
    player = MCTSPlayer(evaluate=recording, n_playout=100, leaf_batch=8, seed=3)
    move = player.get_action(board)
    assert player.playouts == 100 and move in board.legal_moves() and max(sizes) == 8
    timed = MCTSPlayer(evaluate=evaluate, n_playout=HUGE, leaf_batch=8, seed=3)
    _, probs = timed.get_action(board, temp=1.0, return_prob=1, deadline=time.monotonic() + 0.05)
    assert 2 <= timed.playouts < HUGE
    full = MCTSPlayer(evaluate=evaluate, n_playout=timed.playouts, leaf_batch=8, seed=3)
    np.testing.assert_array_equal(full.get_action(board, temp=1.0, return_prob=1)[1], probs)
    late = MCTSPlayer(evaluate=evaluate, n_playout=HUGE, leaf_batch=8)
    late.get_action(board, deadline=time.monotonic() - 1)
    assert late.playouts == 1 + 8  # the root's evaluation, then one step


def test_trees_grown_in_chunks_give_the_search_without_a_deadline(monkeypatch):
    monkeypatch.setattr(batched, "PREALLOCATE_PLAYOUTS", 16)
    monkeypatch.setattr(batched, "GROWING_START_NODES", 8)
    monkeypatch.setattr(batched, "CHUNK_STEPS", 5)
    evaluate, _ = fake_net(6, 6)
    board = parse(POSITION, n_in_row=4)
    timed = MCTSPlayer(evaluate=evaluate, n_playout=300, is_selfplay=1, seed=6, leaf_batch=8)
    untimed = MCTSPlayer(evaluate=evaluate, n_playout=300, is_selfplay=1, seed=6, leaf_batch=8)
    for _ in range(2):
        move, probs = timed.get_action(board, temp=1.0, return_prob=1,
                                       deadline=time.monotonic() + 600)
        move_untimed, probs_untimed = untimed.get_action(board, temp=1.0, return_prob=1)
        assert move == move_untimed and timed.playouts == 300
        np.testing.assert_array_equal(probs, probs_untimed)
        board.do_move(move)


def test_a_failed_evaluation_leaves_no_virtual_loss():
    board = Board(6, 6, 4)
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=50, leaf_batch=8))
    calls = []

    def failing(states):
        calls.append(len(states))
        if len(calls) == 3:
            raise RuntimeError("the net went away")
        return hashed_evaluator(states)
    with pytest.raises(RuntimeError):
        search.search([board], failing)
    assert not search.tree.virtual.any()
    search.run(hashed_evaluator)  # the tree goes on
    check_tree(search, 0)


def test_self_play_with_a_leaf_batch_replays_legally():
    records = play_games(hashed_evaluator, BoardConfig(6, 6, 4),
                         SearchConfig(n_playout=40, seed=1, leaf_batch=4), n_games=2)
    for r in records:
        board = Board(6, 6, 4)
        for move in r.moves:
            board.do_move(int(move))
        assert board.game_end() == (True, r.winner)


def test_leaf_batch_is_a_checked_search_key_and_old_checkpoints_lack_it():
    assert SearchConfig.from_dict({"leaf_batch": 16}).leaf_batch == 16
    for bad in (0, 65, 2.5):
        with pytest.raises(ValueError, match="leaf_batch"):
            SearchConfig(leaf_batch=bad)
    defaults = {"search": {"n_playout": 400, "leaf_batch": 1}, "run": {"seed": 0}}
    saved = {"search": {"n_playout": 400}, "run": {"seed": 0}}  # written before the key came
    assert config_differences(with_defaults(saved, defaults), defaults) == []
    assert config_differences(with_defaults(saved, defaults),
                              {"search": {"n_playout": 400, "leaf_batch": 8}, "run": {"seed": 0}}
                              ) == ["search.leaf_batch"]


@pytest.mark.parametrize("args,message", [(["--pure", "20", "--leaf-batch", "8"], "pure MCTS"),
                                          (["--leaf-batch", "0"], "--leaf-batch must be from 1")])
def test_bad_leaf_batch_flags(capsys, args, message):
    assert cli.main(["play"] + args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_net_brain_searches_with_its_leaf_batch(tmp_path):
    pytest.importorskip("tensorflow")
    from net import PolicyValueNet
    from pipeline import brain as brains
    model = tmp_path / "best_policy"
    PolicyValueNet.for_game(BoardConfig(6, 6, 4), seed=0).save_model(model)
    brain = brains.net_brain(model, 40, leaf_batch=8)
    assert "leaf batch 8" in brain.label
    board = parse(POSITION, n_in_row=4)
    player = brain.make_player(brain.board)
    assert player.get_action(board) in board.legal_moves() and player.playouts == 40
