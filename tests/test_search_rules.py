"""The searches under each rule: renju's forbidden points are never played, searched or rolled out;
wins (terminal nodes) are judged by the rule; self-play records follow it.

Pictures are gomoku.ascii's (highest row first, X moves first and is black under renju).
"""
import numpy as np
import pytest

from gomoku import DRAW, PLAYER_1, PLAYER_2, Board, BoardConfig
from gomoku.ascii import parse
from gomoku.variants import RENJU
from mcts import MCTSPlayer, MCTSPurePlayer, SearchConfig
from mcts import tree as T
from mcts.batched import BatchedSearch
from mcts.rollout import random_rollout
from mcts.selfplay import play_games

from evaluators import hashed_evaluator
from rule_positions import STUCK

# Black (X) to move. (4,3) makes six in a row: the obvious win in freestyle, forbidden in renju,
# where black must rather stop white's broken four at (2,2).
OVERLINE = """
    . . . . . . . . .
    . . . . . . . . O
    . . . . . . . . .
    . . . . . . . . .
    X X X . X X . . .
    . . . . . . . . .
    O O . O O . . . .
    . . . . . . . . .
    . . . . . . . . .
"""
GAP = 4 * 9 + 3
# Black to move: (1,3) is forbidden (a double four), (0,5) legal; then white takes (1,3): a draw.
ONE_LEGAL = """
    X X O X X X
    O O O X O O
    O O O X X O
    X X X X O O
    O O X . O X
    X X O X O .
"""
FORBIDDEN, LEGAL = 1 * 6 + 3, 5
# STUCK (rule_positions) without one white stone: white refilling (5,1) leaves black no legal point.
BEFORE_STUCK = """
    X . X X O X
    O X X . X O
    O O X X O X
    O O X X O O
    X O O X . O
    O O X X O X
"""
REFILL = 5 * 6 + 1


def freestyle_net(gap):
    """An evaluator that puts almost all its prior on ``gap``, value 0: a net that knows only
    freestyle, where the gap wins."""
    def evaluate(states):
        n, _, h, w = states.shape
        priors = np.full((n, h * w), 0.01 / (h * w), np.float32)
        priors[:, gap] += 0.99
        return priors, np.zeros(n, np.float32)
    return evaluate


def test_the_overline_point_is_the_win_in_freestyle_and_forbidden_in_renju():
    assert MCTSPurePlayer(n_playout=200, seed=0).get_action(parse(OVERLINE, 5)) == GAP
    board = parse(OVERLINE, 5, rule="renju")
    assert GAP in board.availables and GAP not in board.legal_moves()


@pytest.mark.parametrize("seed", range(4))
def test_pure_mcts_never_plays_or_visits_a_forbidden_point(seed):
    board = parse(OVERLINE, 5, rule="renju")
    move, probs = MCTSPurePlayer(n_playout=300, seed=seed).get_action(board, return_prob=1)
    assert move in board.legal_moves() and probs[GAP] == 0
    assert probs[~board.legal_mask()].sum() == 0


def test_black_is_the_first_player_when_player_2_starts():
    swapped = OVERLINE.replace("X", "x").replace("O", "X").replace("x", "O")
    board = parse(swapped, 5, start_player=1, rule="renju")  # O started: O is black
    assert board.first_player == PLAYER_2 and GAP not in board.legal_moves()
    move, probs = MCTSPurePlayer(n_playout=200, seed=1).get_action(board, return_prob=1)
    assert move in board.legal_moves() and probs[GAP] == 0
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=32))
    visits = search.search([board], freestyle_net(GAP))[0]
    assert visits[GAP] == 0 and search.tree.child_prior[0, T.ROOT, GAP] == T.ILLEGAL_PRIOR
    assert MCTSPlayer(evaluate=freestyle_net(GAP), n_playout=32).get_action(board) != GAP


def test_pure_mcts_plays_the_one_legal_point():
    board = parse(ONE_LEGAL, 5, rule="renju")
    for seed in range(3):
        move, probs = MCTSPurePlayer(n_playout=50, seed=seed).get_action(board, return_prob=1)
        assert move == LEGAL and probs[FORBIDDEN] == 0


def test_renju_rollouts_draw_black_only_on_legal_points():
    board = parse(ONE_LEGAL, 5, rule="renju")
    empties = np.zeros(36, np.int32)
    for black in (PLAYER_1, PLAYER_2):  # the same position with the colours swapped
        white = 3 - black
        for _ in range(10):
            stones = np.where(board.stones == 0, 0, np.where(board.stones == 1, black, white))
            stones = stones.astype(np.int8)
            assert random_rollout(stones, 6, 6, 5, black, empties, RENJU, black) == 0.0
            assert stones[LEGAL] == black and stones[FORBIDDEN] == white
    stuck = parse(STUCK, 5, rule="renju")  # black to move, both empty points forbidden
    stones = stuck.stones.copy()
    assert random_rollout(stones, 6, 6, 5, PLAYER_1, empties, RENJU, PLAYER_1) == 0.0
    np.testing.assert_array_equal(stones, stuck.stones)


def test_puct_masks_forbidden_points_in_the_priors_and_never_chooses_them():
    board = parse(OVERLINE, 5, rule="renju")
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=64))
    visits = search.search([board], freestyle_net(GAP))[0]
    priors = search.tree.child_prior[0, T.ROOT]
    assert priors[GAP] == T.ILLEGAL_PRIOR and visits[GAP] == 0
    legal = board.legal_mask()
    assert priors[legal].sum() == pytest.approx(1.0) and visits[legal].sum() == 63
    player = MCTSPlayer(evaluate=freestyle_net(GAP), n_playout=64)
    move, probs = player.get_action(board, return_prob=1)
    assert move in board.legal_moves() and probs[GAP] == 0
    freestyle = parse(OVERLINE, 5)  # the same net under freestyle plays the gap
    assert MCTSPlayer(evaluate=freestyle_net(GAP), n_playout=64).get_action(freestyle) == GAP


@pytest.mark.parametrize("expanded", [False, True])
def test_root_noise_never_lands_on_a_forbidden_point(expanded):
    board = parse(OVERLINE, 5, rule="renju")
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=16))
    search.reset(0, board)
    if expanded:  # noise mixed into an expanded root's priors, else when the root expands
        search.run(freestyle_net(GAP))
    noise = np.full((1, 81), 1.0 / 81, np.float32)  # even on the forbidden point
    search.run(freestyle_net(GAP), root_noise=noise)
    priors = search.tree.child_prior[0, T.ROOT]
    assert priors[GAP] == T.ILLEGAL_PRIOR and search.root_visits()[0, GAP] == 0
    legal = board.legal_mask()  # the noise goes on legal points only, with weight 0.25
    assert priors[legal].sum() == pytest.approx(0.75 + 0.25 * legal.sum() / 81)
    player = MCTSPlayer(evaluate=freestyle_net(GAP), n_playout=32, is_selfplay=1, seed=3)
    move, probs = player.get_action(board, temp=1.0, return_prob=1)
    assert move != GAP and probs[GAP] == 0


def test_a_policy_value_fn_sees_boards_of_the_rule():
    seen = set()

    def policy_value_fn(board):
        seen.add(board.rule)
        return [(m, 1.0 / len(board.availables)) for m in board.availables], 0.0
    board = parse(ONE_LEGAL, 5, rule="renju")
    assert MCTSPlayer(policy_value_fn, n_playout=8).get_action(board) == LEGAL
    assert seen == {"renju"}


def test_black_without_a_legal_point_is_a_terminal_draw_in_the_tree():
    board = parse(BEFORE_STUCK, 5, rule="renju")
    assert board.current_player == PLAYER_2
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=6))
    search.search([board], freestyle_net(REFILL))
    tree = search.tree
    child = tree.child_node[0, T.ROOT, REFILL]
    assert tree.state[0, child] == T.TERMINAL and tree.terminal_value[0, child] == T.DRAW_VALUE
    assert tree.visits[0, child] == 5 and tree.value_sum[0, child] == 0.0
    board.do_move(REFILL)
    assert board.game_end() == (True, DRAW)


# -- terminal nodes judged by the rule --------------------------------------------------------
# Black to move: (4,3) makes a five blocked at both ends (a caro non-win), (2,3) six in a row.
BLOCKED = """
    . . . . . . . . .
    . . . . . . . . O
    . . . . . . . . .
    O . O . O . O . .
    O X X . X X O . .
    . . . . . . . . .
    X X X . X X . . .
    . . . . . . . . .
    . . . . . . O . O
"""
FIVE, SIX = 4 * 9 + 3, 2 * 9 + 3


@pytest.mark.parametrize("rule,gap,terminal", [
    ("freestyle", FIVE, True), ("caro", FIVE, False), ("standard", FIVE, True),
    ("freestyle", SIX, True), ("standard", SIX, False), ("caro", SIX, False)])
def test_select_leaves_judges_a_winning_child_by_the_rule(rule, gap, terminal):
    board = parse(BLOCKED, 5, rule=rule)
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=3))
    search.search([board], freestyle_net(gap))
    child = search.tree.child_node[0, T.ROOT, gap]
    assert child != T.NO_NODE
    assert (search.tree.state[0, child] == T.TERMINAL) == terminal


@pytest.mark.parametrize("rule,over", [("freestyle", True), ("standard", False)])
def test_advance_judges_the_root_by_the_rule(rule, over):
    board = parse(BLOCKED, 5, rule=rule)
    search = BatchedSearch(board.config, 1, SearchConfig(n_playout=2))
    search.reset(0, board)
    search.advance(0, SIX)  # through a new root
    if over:
        with pytest.raises(ValueError, match="finished game"):
            search.run(hashed_evaluator)
    else:
        assert search.run(hashed_evaluator)[0] == 2


@pytest.mark.parametrize("config", [BoardConfig(5, 5, 3, "standard"), BoardConfig(5, 5, 3, "caro"),
                                    BoardConfig(7, 7, 5, "renju")])
def test_self_play_records_replay_under_the_rule(config):
    records = play_games(hashed_evaluator, config, SearchConfig(n_playout=12, seed=2), n_games=2)
    for r in records:
        board = Board.from_config(config)
        for t, move in enumerate(r.moves):
            assert (r.mcts_probs[t][~board.legal_mask()] == 0).all()
            board.do_move(int(move))  # raises on a forbidden point
            assert board.game_end()[0] == (t == r.length - 1)
        assert board.game_end() == (True, r.winner)
