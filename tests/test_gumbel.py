"""The Gumbel root search: the sequential-halving schedule, the completed-Q improved policy on
hand-made trees against NumPy, the visits a real search gives, and forced wins found with a
perfect evaluator."""
import math
import numpy as np
import pytest

from gomoku import BoardConfig
from gomoku.ascii import parse
from gomoku.rules import DRAW
from mcts import gumbel as GB
from mcts import tree as T
from mcts.batched import BatchedSearch
from mcts.puct import board_from_state
from mcts.search_config import SearchConfig
from mcts.selfplay import play_games

from evaluators import hashed_evaluator, uniform_evaluator


def schedule_by_lists(k: int, n: int) -> list[int]:
    """The considered visit of each of ``n`` simulations, built as the paper describes it: keep
    every considered move's visits in a list, phase by phase."""
    if k <= 1:
        return list(range(n))
    phases = math.ceil(math.log2(k))
    visits = [0] * k
    sequence: list[int] = []
    left = k
    while len(sequence) < n:
        for _ in range(max(1, n // (phases * left))):
            sequence += visits[:left]
            for i in range(left):
                visits[i] += 1
        left = max(2, left // 2)
    return sequence[:n]


@pytest.mark.parametrize("k, n", [(1, 7), (2, 9), (3, 10), (4, 16), (5, 3), (8, 50), (16, 200),
                                  (16, 15), (64, 400)])
def test_considered_visits_follow_sequential_halving(k, n):
    assert [GB.considered_visit(k, n, s) for s in range(n)] == schedule_by_lists(k, n)


def hand_made_root(priors, children, raw_value):
    """A one-tree, 3x3 root with ``priors`` (float [9]; -1 marks ILLEGAL_PRIOR, NaN an occupied
    point) and ``children`` {move: (visits, value_sum)}; returns (tree, stones)."""
    tree = T.new_tree(1, 16, 9)
    stones = np.zeros(9, np.int8)
    for a, p in enumerate(priors):
        if np.isnan(p):
            stones[a] = 2
            p = 0.0
        tree.child_prior[0, T.ROOT, a] = p
    tree.root_stones[0] = stones
    tree.state[0, T.ROOT] = T.EXPANDED
    tree.raw_value[0, T.ROOT] = raw_value
    for node, (a, (n, w)) in enumerate(children.items(), start=1):
        tree.child_node[0, T.ROOT, a] = node
        tree.parent[0, node], tree.move[0, node] = T.ROOT, a
        tree.visits[0, node], tree.value_sum[0, node] = n, w
        tree.state[0, node] = T.EXPANDED
    tree.n_nodes[0] = len(children) + 1
    tree.visits[0, T.ROOT] = 1 + sum(n for n, _ in children.values())
    return tree, stones


def numpy_improved_policy(priors, children, raw_value, c_visit, c_scale):
    """The paper's improved policy written directly: legal = empty and not ILLEGAL_PRIOR."""
    priors = np.asarray(priors, np.float64)
    legal = ~np.isnan(priors) & (priors != T.ILLEGAL_PRIOR)
    p = np.where(legal, np.maximum(np.nan_to_num(priors), GB.PRIOR_FLOOR), 0.0)
    n = np.zeros(9)
    q = np.zeros(9)
    for a, (visits, value_sum) in children.items():
        n[a], q[a] = visits, value_sum / visits
    seen = n > 0
    mixed = raw_value
    if seen.any():
        mixed = (raw_value + n.sum() * (p[seen] * q[seen]).sum() / p[seen].sum()) / (1 + n.sum())
    completed = np.where(seen, q, mixed)
    lo, hi = completed[legal].min(), completed[legal].max()
    rescaled = (completed - lo) / max(hi - lo, GB.RESCALE_EPSILON)
    logits = np.where(legal, np.log(p, where=legal, out=np.zeros(9))
                      + (c_visit + n.max()) * c_scale * rescaled, -np.inf)
    e = np.exp(logits - logits[legal].max())
    return e / e.sum()


ROOTS = {
    "no visits": ([0.5, 0.2, 0.1, 0.1, 0.05, 0.05, 0, 0, 0], {}, 0.3),
    "some visits": ([0.3, 0.3, 0.2, 0.1, 0.05, 0.05, 0, 0, 0],
                    {0: (3, -1.5), 1: (1, 0.8), 4: (2, 1.9)}, -0.2),
    "occupied and forbidden points": ([np.nan, 0.4, -1.0, 0.3, np.nan, 0.2, 0.1, -1.0, 0.0],
                                      {1: (4, 2.0), 3: (2, -2.0), 8: (1, 1.0)}, 0.9),
    "all equal q": ([0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0, np.nan],
                    {0: (2, 0.0), 1: (2, 0.0)}, 0.0),
}


@pytest.mark.parametrize("name", sorted(ROOTS))
@pytest.mark.parametrize("c_visit, c_scale", [(50.0, 0.1), (50.0, 1.0), (0.0, 0.5)])
def test_improved_policy_matches_numpy_on_hand_made_roots(name, c_visit, c_scale):
    priors, children, raw_value = ROOTS[name]
    tree, _ = hand_made_root(priors, children, raw_value)
    out = np.zeros((1, 9), np.float32)
    GB.improved_policy(tree, np.array([0], np.int32), c_visit, c_scale, out)
    expected = numpy_improved_policy(priors, children, raw_value, c_visit, c_scale)
    np.testing.assert_allclose(out[0], expected, atol=1e-6)
    illegal = np.isnan(priors) | (np.asarray(priors) == T.ILLEGAL_PRIOR)
    assert (out[0][illegal] == 0).all() and abs(out[0].sum() - 1) < 1e-5


def test_the_chosen_move_is_the_best_of_the_most_visited():
    # moves 1 and 4 have the most visits; 4's Q is higher, so with no Gumbel draw 4 is chosen,
    # and a big enough draw on 1 turns the choice to it; the unvisited 0 is never chosen
    tree, _ = hand_made_root([0.6, 0.2, 0.1, 0.05, 0.05, 0, 0, 0, 0],
                             {1: (3, -0.9), 4: (3, 2.4), 2: (1, 0.0)}, 0.0)
    out = np.zeros(1, np.int64)
    gumbel = np.zeros((1, 9), np.float32)
    GB.chosen_moves(tree, np.array([0], np.int32), gumbel, 50.0, 0.1, out)
    assert out[0] == 4
    gumbel[0, 1] = 100.0
    GB.chosen_moves(tree, np.array([0], np.int32), gumbel, 50.0, 0.1, out)
    assert out[0] == 1


def gumbel_config(n_playout, k, **kw):
    return SearchConfig(n_playout=n_playout, algorithm="gumbel", gumbel_k=k, **kw)


@pytest.mark.parametrize("k, n_playout", [(4, 17), (8, 33), (16, 65), (3, 20), (2, 2)])
def test_a_search_gives_the_root_moves_the_schedules_visits(k, n_playout):
    board = parse("""
        . . . . . .
        . . . . . .
        . . X O . .
        . . . . . .
        . . . . . .
        . . . . . .
    """, 4)
    search = BatchedSearch(board.config, 1, gumbel_config(n_playout, k))
    search.reset(0, board)
    search.set_gumbel([0], np.random.default_rng(3).gumbel(size=(1, 36)), n_playout)
    search.run(hashed_evaluator)
    visits = np.sort(search.root_visits()[0])[::-1]
    n_sims = n_playout - 1
    counts = {}
    for v in schedule_by_lists(k, n_sims):
        counts[v] = counts.get(v, 0) + 1  # how many moves reached visit v + 1
    expected = np.zeros(36, int)
    for v, moves in counts.items():
        expected[:moves] += 1
    assert visits.sum() == n_sims
    assert (visits == np.sort(expected)[::-1]).all()


def test_the_first_simulations_try_the_top_k_of_gumbel_plus_logits():
    board = parse("""
        . . . . . .
        . . . . . .
        . . . . . .
        . . . . . .
        . . . . . .
        . . . . . .
    """, 4)
    k = 6
    search = BatchedSearch(board.config, 1, gumbel_config(k + 1, k))
    search.reset(0, board)
    draws = np.random.default_rng(5).gumbel(size=(1, 36))
    search.set_gumbel([0], draws, k + 1)
    search.run(hashed_evaluator)
    priors, _ = hashed_evaluator(board.current_state()[None])
    top = set(np.argsort(-(draws[0] + np.log(priors[0])))[:k])
    assert set(np.flatnonzero(search.root_visits()[0])) == top


SOLVED: dict = {}


def solve(board) -> int:
    """The exact value (1 win, 0 draw, -1 loss) of a game not over, for the player to move."""
    key = (board.config, board.stones.tobytes(), board.current_player)
    if key not in SOLVED:
        best = -1
        for move in board.legal_moves():
            best = max(best, value_after(board, move))
            if best == 1:
                break
        SOLVED[key] = best
    return SOLVED[key]


def value_after(board, move) -> int:
    """The exact value of ``move`` for the player who plays it."""
    child = board.copy()
    child.do_move(move)
    ended, winner = child.game_end()
    if ended:
        return 1 if winner == board.current_player else 0 if winner == DRAW else -1
    return -solve(child)


def perfect_evaluator(config):
    def evaluate(states):
        n = len(states)
        values = np.zeros(n, np.float32)
        for k in range(n):
            values[k] = solve(board_from_state(states[k], config.n_in_row))
        return np.full((n, config.n_moves), 1.0 / config.n_moves, np.float32), values
    return evaluate


FORCED = {
    # X to move wins in three (a double threat); O's threat must not distract
    "double threat": ("""
        . . . .
        . X . .
        . . O .
        . . . .
    """, 3),
    "only one move avoids a loss": ("""
        X X X .
        O O . .
        . . . .
        . . . .
    """, 4),
}


@pytest.mark.parametrize("name", sorted(FORCED))
def test_with_a_perfect_evaluator_it_plays_a_best_move(name):
    drawing, n_in_row = FORCED[name]
    board = parse(drawing, n_in_row)
    values = {move: value_after(board, move) for move in board.legal_moves()}
    assert len(set(values.values())) > 1  # a choice that matters
    search = BatchedSearch(board.config, 1, gumbel_config(40, 16))  # 16 >= the legal moves
    search.search([board], perfect_evaluator(board.config))
    assert values[int(search.chosen_moves()[0])] == max(values.values())


def test_gumbel_self_play_is_the_same_batched_or_one_at_a_time():
    config = gumbel_config(12, 4, seed=3)
    batched = play_games(hashed_evaluator, BoardConfig(6, 6, 4), config, n_games=4)
    alone = [play_games(hashed_evaluator, BoardConfig(6, 6, 4), config, 1, first_game=i)[0]
             for i in range(4)]
    for a, b in zip(batched, alone):
        assert (a.moves == b.moves).all() and np.array_equal(a.mcts_probs, b.mcts_probs)
    for r in batched:
        assert np.allclose(r.mcts_probs.sum(axis=1), 1, atol=1e-5)
        assert (r.mcts_probs[np.arange(r.length), r.moves] > 0).all()


def test_gumbel_search_runs_in_parts_as_in_one():
    board = parse("""
        . . . . . .
        . . X . . .
        . . O X . .
        . . . O . .
        . . . . . .
        . . . . . .
    """, 4)
    draws = np.random.default_rng(9).gumbel(size=(1, 36))
    results = []
    for parts in ([25], [1, 7, 17]):
        search = BatchedSearch(board.config, 1, gumbel_config(25, 8))
        search.reset(0, board)
        search.set_gumbel([0], draws, 25)
        for p in parts:
            search.run(uniform_evaluator, playouts=p)
        results.append((search.root_visits()[0].copy(), search.improved_policy()[0]))
    assert (results[0][0] == results[1][0]).all()
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_the_mcts_player_plays_the_gumbel_search():
    from mcts.puct import MCTSPlayer
    board = parse("""
        . . . . . .
        . . . . . .
        . . X O . .
        . . . X . .
        . . . . . .
        . . . . . .
    """, 4)
    player = MCTSPlayer(evaluate=hashed_evaluator, n_playout=33, algorithm="gumbel", gumbel_k=8)
    move, probs = player.get_action(board, return_prob=1)
    search = BatchedSearch(board.config, 1, gumbel_config(33, 8))
    search.search([board], hashed_evaluator)
    assert move == int(search.chosen_moves()[0]) and player.playouts == 33
    np.testing.assert_allclose(probs, search.improved_policy()[0], atol=1e-7)
    selfplay = [MCTSPlayer(evaluate=hashed_evaluator, n_playout=33, algorithm="gumbel",
                           is_selfplay=1, seed=s).get_action(board) for s in range(8)]
    assert len(set(selfplay)) > 1  # its own Gumbel draws: moves vary with the seed


@pytest.mark.parametrize("args, message", [
    (["--algorithm", "gumbel", "--leaf-batch", "4"], "--leaf-batch must be 1"),
    (["--pure", "20", "--algorithm", "gumbel"], "pure MCTS has its own"),
])
def test_bad_algorithm_flags(capsys, args, message):
    from pipeline import cli
    assert cli.main(["play"] + args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
