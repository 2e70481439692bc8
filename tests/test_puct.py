"""PUCT search: tactics with a uniform evaluator, visit accounting, tree reuse, root noise,
the MCTSPlayer interface and the evaluation-play API."""

import numpy as np

from gomoku import BoardConfig
import pytest

from gomoku.ascii import parse
from gomoku.board import Board
from gomoku.rules import is_winning_move
from mcts import tree as T
from mcts.batched import BatchedSearch, most_visited, visit_distribution
from mcts.puct import MCTSPlayer, board_from_state, evaluator_from_policy_value_fn
from mcts.search_config import SearchConfig

from evaluators import hashed_evaluator, uniform_evaluator


def policy_value_fn_of(evaluate):
    """The reference's policy_value_fn(board) on top of a batched evaluator."""
    def policy_value_fn(board):
        priors, values = evaluate(board.current_state()[None])
        return zip(board.availables, priors[0][board.availables]), values[0]
    return policy_value_fn


def search_one(board, n_playout, evaluate=uniform_evaluator, c_puct=5):
    search = BatchedSearch(board.config, 1,
                           SearchConfig(n_playout=n_playout, c_puct=c_puct))
    return search.search([board], evaluate)[0]


def immediate_wins(stones, width, height, n_in_row, player):
    wins = []
    for m in np.flatnonzero(stones == 0):
        stones[m] = player
        if is_winning_move(stones, width, height, n_in_row, m):
            wins.append(int(m))
        stones[m] = 0
    return wins


def wins_in_two(board):
    """Moves after which the mover wins on their next move whatever the opponent replies."""
    stones, me = board.stones.copy(), board.current_player
    dims = (board.width, board.height, board.n_in_row)
    found = []
    for m in np.flatnonzero(stones == 0):
        stones[m] = me
        forced = True
        for r in np.flatnonzero(stones == 0):
            stones[r] = 3 - me
            if is_winning_move(stones, *dims, r) or not immediate_wins(stones, *dims, me):
                forced = False
            stones[r] = 0
            if not forced:
                break
        stones[m] = 0
        if forced:
            found.append(int(m))
    return found


# -- tactics ---------------------------------------------------------------------------------
# With equal priors and values, ties go to the lowest move, so the search widens in move order
# until a terminal value tells moves apart: the playouts below leave room for that.
WIN_AT_ONCE = """
. . . . . .
. . . . . .
. X X X . .
. O O . . .
. . . . O .
. . . . . .
"""

BLOCK = """
. . . . . .
. . . . . .
X O O O . .
. . . . . .
. X . . X .
. . . . . .
"""

# X to move: the open three on row 3 and the crowded board leave a few moves that win in two
WIN_IN_TWO = """
X . X O O X O O
. O X O O . X X
X O . . . . O O
. . O O X X . X
. . X X X . . .
X X O . O . O O
O O . O X . X O
X O X X . O X X
"""


def test_wins_at_once():
    board = parse(WIN_AT_ONCE, 4)
    wins = immediate_wins(board.stones.copy(), 6, 6, 4, board.current_player)
    assert sorted(wins) == [18, 22]
    assert most_visited(search_one(board, 200)[None])[0] in wins


def test_blocks_the_opponents_immediate_win():
    board = parse(BLOCK, 4)
    assert immediate_wins(board.stones.copy(), 6, 6, 4, board.current_player) == []
    threats = immediate_wins(board.stones.copy(), 6, 6, 4, 3 - board.current_player)
    assert threats == [22]
    assert most_visited(search_one(board, 1500)[None])[0] == 22


def test_finds_a_win_in_two_on_8x8x5():
    board = parse(WIN_IN_TWO, 5)
    assert immediate_wins(board.stones.copy(), 8, 8, 5, board.current_player) == []
    winning = wins_in_two(board)
    assert 0 < len(winning) <= 3
    visits = search_one(board, 3000)
    assert most_visited(visits[None])[0] in winning


# -- visit accounting, legality, trees -------------------------------------------------------
def check_tree(search, g):
    """Structural invariants of tree ``g`` after complete playouts."""
    tree = search.tree
    for n in range(tree.n_nodes[g]):
        children = tree.child_node[g, n][tree.child_node[g, n] != T.NO_NODE]
        assert (tree.parent[g, children] == n).all()
        assert (children > n).all()
        if tree.state[g, n] == T.EXPANDED:
            assert tree.visits[g, n] == 1 + tree.visits[g, children].sum()
            assert np.isclose(tree.child_prior[g, n].sum(), 1.0, atol=1e-5)
        else:
            assert tree.state[g, n] == T.TERMINAL and children.size == 0


def test_root_visits_count_the_playouts_and_the_reused_visits():
    board = Board(6, 6, 4)
    search = BatchedSearch(BoardConfig(6, 6, 4), 1, SearchConfig(n_playout=150))
    search.reset(0, board)
    search.run(hashed_evaluator)
    assert search.tree.visits[0, T.ROOT] == 150
    visits = search.root_visits()[0]
    assert visits.sum() == 150 - 1  # the first playout evaluates the root
    check_tree(search, 0)
    for _ in range(4):  # keep the subtree of the most visited move, search on
        move = int(np.argmax(search.root_visits()[0]))
        child = search.tree.child_node[0, T.ROOT, move]
        grand = search.tree.child_node[0, child].copy()
        reused = search.tree.visits[0, child]
        expected = np.where(grand != T.NO_NODE, search.tree.visits[0, grand], 0)
        search.advance(0, move)
        board.do_move(move)
        assert search.tree.visits[0, T.ROOT] == reused
        assert (search.root_visits()[0] == expected).all()
        check_tree(search, 0)
        search.run(hashed_evaluator)
        assert search.tree.visits[0, T.ROOT] == reused + 150
        assert search.root_visits()[0].sum() == reused + 150 - 1
        assert (search.root_visits()[0][board.stones != 0] == 0).all()
        check_tree(search, 0)
    assert search.tree.capacity > 151  # the kept subtrees made the trees grow


def test_search_is_reproducible_and_only_visits_empty_points():
    board = parse(WIN_IN_TWO, 5)
    first = search_one(board, 300, hashed_evaluator)
    again = search_one(board, 300, hashed_evaluator)
    assert (first == again).all()
    assert (first[board.stones != 0] == 0).all()


def test_terminal_leaves_are_valued_without_the_evaluator():
    board = parse(WIN_AT_ONCE, 4)
    search = BatchedSearch(BoardConfig(6, 6, 4), 1, SearchConfig(n_playout=200))
    search.search([board], uniform_evaluator)
    assert search.steps == 200
    assert search.evaluated_positions < 200  # the winning leaf was revisited for free
    winning = search.tree.child_node[0, T.ROOT, 18]
    assert search.tree.state[0, winning] == T.TERMINAL
    # each visit of the win backed up +1 for the winner
    assert search.tree.value_sum[0, winning] == search.tree.visits[0, winning]


def test_a_game_over_at_the_root_is_never_searched():
    board = parse(WIN_AT_ONCE, 4)
    search = BatchedSearch(BoardConfig(6, 6, 4), 2, SearchConfig(n_playout=50))
    search.reset(0, board)
    search.advance(0, 22)  # a win on a tree without nodes: the new root learns the game is over
    search.reset(1, board)
    search.run(uniform_evaluator, [1])
    assert search.tree.state[1, search.tree.child_node[1, T.ROOT, 18]] == T.TERMINAL
    search.advance(1, 18)  # a win the search had tried: its terminal node becomes the root
    for tree in (0, 1):
        with pytest.raises(ValueError, match="finished game"):
            search.run(uniform_evaluator, [tree])


# -- root noise ------------------------------------------------------------------------------
def test_dirichlet_noise_goes_on_the_root_priors_only():
    board = Board(6, 6, 4)
    board.do_move(14)
    legal = board.stones == 0
    config = SearchConfig(n_playout=2, dirichlet_weight=0.25)
    noise = np.zeros((1, 36), np.float32)
    noise[0, 20] = 1.0

    search = BatchedSearch(BoardConfig(6, 6, 4), 1, config)
    search.reset(0, board)
    search.run(hashed_evaluator, root_noise=noise)
    net_priors = hashed_evaluator(board.current_state()[None])[0][0]
    clean = np.where(legal, net_priors, 0) / net_priors[legal].sum()
    expected = 0.75 * clean + 0.25 * noise[0]
    assert np.allclose(search.tree.child_prior[0, T.ROOT], expected, atol=1e-6)
    child = search.tree.child_node[0, T.ROOT, int(np.argmax(expected))]
    assert search.tree.state[0, child] == T.EXPANDED  # the second playout expanded a child
    assert abs(search.tree.child_prior[0, child].sum() - 1.0) < 1e-5

    # an already expanded root gets the noise at once
    search.run(hashed_evaluator, root_noise=noise)
    assert np.allclose(search.tree.child_prior[0, T.ROOT], 0.75 * expected + 0.25 * noise[0],
                       atol=1e-6)


# -- MCTSPlayer ------------------------------------------------------------------------------
def test_board_from_state_round_trips():
    rng = np.random.default_rng(0)
    for start_player in (0, 1):
        for n_moves in (0, 1, 2, 7, 12):
            board = Board(5, 4, 4)
            board.init_board(start_player)
            for move in rng.choice(20, size=n_moves, replace=False):
                if board.game_end()[0]:
                    break
                board.do_move(int(move))
            if board.game_end()[0]:
                continue
            again = board_from_state(board.current_state(), 4, start_player)
            assert (again.stones == board.stones).all()
            assert again.current_player == board.current_player
            assert again.last_move == board.last_move
            assert (again.current_state() == board.current_state()).all()


def test_player_matches_the_batched_search_in_evaluation_play():
    board = parse(WIN_IN_TWO, 5)
    player = MCTSPlayer(policy_value_fn_of(hashed_evaluator), c_puct=5, n_playout=120)
    move, probs = player.get_action(board, temp=1e-3, return_prob=1)
    visits = search_one(board, 120, hashed_evaluator)
    assert move == most_visited(visits[None])[0]
    assert np.allclose(probs, visit_distribution(visits, board.stones == 0, 1e-3))
    assert player.get_action(board) == move  # a new tree each move: same search again


def test_player_rejects_a_finished_game():
    board = parse(WIN_AT_ONCE, 4)
    board.do_move(18)
    with pytest.raises(ValueError, match="game is over"):
        MCTSPlayer(policy_value_fn_of(uniform_evaluator), n_playout=10).get_action(board)


def test_policy_value_fn_adapter_scatters_priors_over_moves():
    board = parse(BLOCK, 4)
    evaluate = evaluator_from_policy_value_fn(policy_value_fn_of(hashed_evaluator), 4)
    states = board.current_state()[None]
    priors, values = evaluate(states)
    want_priors, want_values = hashed_evaluator(states)
    legal = board.stones == 0
    assert np.allclose(priors[0][legal], want_priors[0][legal]) and (priors[0][~legal] == 0).all()
    assert values[0] == want_values[0]


# -- evaluation API, config and errors -------------------------------------------------------
def test_search_of_many_boards_equals_each_board_alone():
    boards = [parse(WIN_AT_ONCE, 4), parse(BLOCK, 4), Board(6, 6, 4)]
    search = BatchedSearch(BoardConfig(6, 6, 4), 4, SearchConfig(n_playout=100))
    together = search.search(boards, hashed_evaluator)
    alone = np.stack([search_one(b, 100, hashed_evaluator) for b in boards])
    assert (together == alone).all()
    # the same object searches new boards from fresh trees
    assert (search.search(boards[::-1], hashed_evaluator) == alone[::-1]).all()


def test_search_config_validation():
    assert SearchConfig.from_dict({"n_playout": 50, "c_puct": 3}).n_playout == 50
    with pytest.raises(ValueError, match="n_playout"):
        SearchConfig(n_playout=0)
    with pytest.raises(ValueError, match="dirichlet_weight"):
        SearchConfig(dirichlet_weight=1.5)
    with pytest.raises(ValueError, match="c_puct"):
        SearchConfig(c_puct=-1)
    with pytest.raises(ValueError, match="unknown search config key"):
        SearchConfig.from_dict({"n_playouts": 50})


def test_bad_evaluator_output_and_finished_boards_are_reported():
    search = BatchedSearch(BoardConfig(6, 6, 4), 1, SearchConfig(n_playout=5))
    with pytest.raises(ValueError, match="evaluate returned"):
        search.search([Board(6, 6, 4)], lambda s: (np.zeros((len(s), 35)), np.zeros(len(s))))
    with pytest.raises(ValueError, match="not finite"):
        search.search([Board(6, 6, 4)],
                      lambda s: (np.full((len(s), 36), np.nan), np.zeros(len(s))))
    finished = parse(WIN_AT_ONCE, 4)
    finished.do_move(18)
    with pytest.raises(ValueError, match="finished game"):
        search.reset(0, finished)
    with pytest.raises(ValueError, match="does not match"):
        search.reset(0, Board(8, 8, 5))


# -- against a plain node-object search with the reference's structure -----------------------
class RefNode:
    """The reference's TreeNode, with the differences docs/search.md lists (renormalised priors)."""

    def __init__(self, parent, prior):
        self.parent, self.prior = parent, prior
        self.children, self.n, self.w = {}, 0, 0.0

    def select(self, c_puct):
        scale = c_puct * np.sqrt(self.n)
        return max(self.children.items(),  # first maximum in move order, as the reference's max
                   key=lambda item: (item[1].w / item[1].n if item[1].n else 0.0)
                   + scale * item[1].prior / (1 + item[1].n))

    def backup(self, value):  # value seen by the player who moved into this node
        node = self
        while node is not None:
            node.n += 1
            node.w += value
            value, node = -value, node.parent


def ref_playout(root, board, evaluate, c_puct):
    node, board = root, board.copy()
    while node.children:
        move, node = node.select(c_puct)
        board.do_move(move)
    ended, winner = board.game_end()
    if ended:
        leaf_value = 0.0 if winner == -1 else -1.0  # the player to move has lost
    else:
        priors, values = evaluate(board.current_state()[None])
        legal = np.array(board.availables)
        p = np.float32(priors[0][legal] / priors[0][legal].astype(np.float64).sum())
        node.children = {int(m): RefNode(node, float(q)) for m, q in zip(legal, p)}
        leaf_value = float(values[0])
    node.backup(-leaf_value)


def test_visits_equal_a_plain_node_object_search_with_reuse():
    board = parse(BLOCK, 4)
    search = BatchedSearch(BoardConfig(6, 6, 4), 1, SearchConfig(n_playout=300))
    search.reset(0, board)
    root = RefNode(None, 1.0)
    for _ in range(3):
        search.run(hashed_evaluator)
        for _ in range(300):
            ref_playout(root, board, hashed_evaluator, 5.0)
        ref_visits = np.zeros(36, np.int32)
        for move, child in root.children.items():
            ref_visits[move] = child.n
        ours = search.root_visits()[0]
        assert (ours == ref_visits).all()
        move = int(np.argmax(ours))
        search.advance(0, move)
        board.do_move(move)
        root = root.children[move]
        root.parent = None
        if board.game_end()[0]:
            break
    assert board.game_end()[0]  # the last search found the win it played
    with pytest.raises(ValueError, match="finished game"):
        search.run(hashed_evaluator)
