"""Batched self-play: records, reproducibility, batched == one at a time == MCTSPlayer,
terminal positions never evaluated."""
import dataclasses

import numpy as np

from gomoku import BoardConfig

from gomoku.board import Board
from gomoku.rules import is_winning_move
from mcts.puct import MCTSPlayer
from mcts.search_config import SearchConfig
from mcts.selfplay import SelfPlay, play_games

from evaluators import hashed_evaluator


def assert_same_games(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.game_index == y.game_index and x.winner == y.winner
        assert (x.moves == y.moves).all()
        assert np.array_equal(x.mcts_probs, y.mcts_probs)
        assert np.array_equal(x.states, y.states) and np.array_equal(x.z, y.z)
        assert np.array_equal(x.root_values, y.root_values)


CONFIG = SearchConfig(n_playout=60, seed=11)


def test_records_replay_legal_games_with_results_for_the_player_to_move():
    records = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=4)
    assert [r.game_index for r in records] == [0, 1, 2, 3]
    for r in records:
        board = Board(6, 6, 4)
        board.init_board(0)
        for t, move in enumerate(r.moves):
            assert np.array_equal(r.states[t], board.current_state())
            assert r.mcts_probs[t][move] > 0 and (r.mcts_probs[t][board.stones != 0] == 0).all()
            assert abs(r.mcts_probs[t].sum() - 1) < 1e-5
            player = board.current_player
            board.do_move(int(move))  # raises on an illegal move
            expected_z = 0 if r.winner == -1 else (1 if player == r.winner else -1)
            assert r.z[t] == expected_z
        assert board.game_end() == (True, r.winner)
        assert r.length == len(r.moves) == len(r.states) == len(r.z)
        assert r.root_values.dtype == np.float32 and r.root_values.shape == r.z.shape
        assert (np.abs(r.root_values) <= 1).all() and (r.root_values != 0).any()


def test_self_play_is_reproducible_under_its_seed():
    first = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=2)
    assert_same_games(first, play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=2))
    other = play_games(hashed_evaluator, BoardConfig(6, 6, 4), SearchConfig(n_playout=60, seed=12), n_games=2)
    assert any(not np.array_equal(a.moves, b.moves) for a, b in zip(first, other))


def test_batched_games_equal_the_same_games_one_at_a_time():
    batched = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=5)
    refilled = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=5, n_parallel=2)
    alone = [play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=1, first_game=i)[0]
             for i in range(5)]
    threaded = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=5, n_threads=2)
    assert_same_games(batched, alone)
    assert_same_games(refilled, alone)
    assert_same_games(threaded, alone)


def test_after_temp_moves_the_most_visited_move_is_played():
    sampled = play_games(hashed_evaluator, BoardConfig(6, 6, 4), CONFIG, n_games=6)
    greedy = play_games(hashed_evaluator, BoardConfig(6, 6, 4),
                        dataclasses.replace(CONFIG, temp_moves=4), n_games=6)
    for s, g in zip(sampled, greedy):
        assert (g.moves[:4] == s.moves[:4]).all()  # the same draws up to the switch
        # the targets stay the visits at temp 1; the move is their first maximum
        assert (g.moves[4:] == g.mcts_probs[4:].argmax(axis=1)).all()
    assert any((s.moves[4:] != s.mcts_probs[4:].argmax(axis=1)).any() for s in sampled)


def test_one_game_batch_is_the_mcts_player_playing_itself():
    config = SearchConfig(n_playout=80, seed=5, temp=1.0)
    record = play_games(hashed_evaluator, BoardConfig(6, 6, 4), config, n_games=1)[0]

    def policy_value_fn(board):
        priors, values = hashed_evaluator(board.current_state()[None])
        return zip(board.availables, priors[0][board.availables]), values[0]

    player = MCTSPlayer(policy_value_fn, c_puct=5, n_playout=80, is_selfplay=1, seed=5)
    board = Board(6, 6, 4)
    board.init_board(0)
    moves, probs = [], []
    while not board.game_end()[0]:
        move, move_probs = player.get_action(board, temp=1.0, return_prob=1)
        moves.append(move)
        probs.append(move_probs)
        board.do_move(move)
    assert moves == list(record.moves)
    assert np.allclose(np.array(probs), record.mcts_probs, atol=1e-7)
    assert board.game_end()[1] == record.winner


def is_terminal(state, n_in_row):
    planes = state[:2, ::-1, :].reshape(2, -1)
    stones = (planes[0] + 2 * planes[1]).astype(np.int8)
    height, width = state.shape[1:]
    if (stones != 0).all():
        return True
    return any(is_winning_move(stones, width, height, n_in_row, m) for m in np.flatnonzero(stones))


def test_terminal_positions_are_never_sent_to_the_evaluator():
    sent = []

    def checking_evaluator(states):
        sent.extend(is_terminal(s, 3) for s in states)
        return hashed_evaluator(states)

    # tic-tac-toe: wins and full-board draws are reached within a few plies of every root
    runner = SelfPlay(checking_evaluator, BoardConfig(3, 3, 3), SearchConfig(n_playout=40, seed=1), 4)
    records = runner.play_games(8)
    assert len(records) == 8 and len(sent) > 0 and not any(sent)
    search = runner.search
    assert runner.moves_played == sum(r.length for r in records)
    assert search.evaluated_positions < runner.moves_played * 40  # terminal leaves were hit
    assert search.evaluated_positions == len(sent)
