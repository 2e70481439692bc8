"""Playout cap randomization, forced playouts and policy target pruning (KataGo), the search
config's switches, and a training run with them on."""
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from gomoku import BoardConfig
from gomoku.ascii import parse
from gomoku.validation import InputError
from mcts.batched import BatchedSearch, pruned_visits
from mcts.search_config import SearchConfig
from mcts.selfplay import play_games

from evaluators import UniformNet, hashed_evaluator

REPO = Path(__file__).resolve().parent.parent
BOARD = BoardConfig(6, 6, 4)


def test_fast_searches_leave_only_value_targets():
    config = SearchConfig(n_playout=40, full_search_prob=0.3, n_playout_fast=6, seed=5)
    records = play_games(hashed_evaluator, BOARD, config, n_games=8)
    full = np.concatenate([r.mcts_probs.sum(axis=1) for r in records])
    assert np.isin(np.round(full, 4), [0.0, 1.0]).all()  # a target, or none at all
    assert sum(r.policy_targets for r in records) == int(np.round(full).sum())
    assert 0.15 < full.mean() < 0.45  # about full_search_prob of the moves
    for r in records:  # every position keeps its value target
        assert (np.abs(r.z) == (0 if r.winner == -1 else 1)).all()


def test_capped_games_are_the_same_batched_or_one_at_a_time():
    for config in (SearchConfig(n_playout=30, full_search_prob=0.5, n_playout_fast=5, seed=2),
                   SearchConfig(n_playout=17, algorithm="gumbel", gumbel_k=4,
                                full_search_prob=0.4, n_playout_fast=3, seed=2)):
        batched = play_games(hashed_evaluator, BOARD, config, n_games=4)
        alone = [play_games(hashed_evaluator, BOARD, config, 1, first_game=i)[0]
                 for i in range(4)]
        for a, b in zip(batched, alone):
            assert (a.moves == b.moves).all() and np.array_equal(a.mcts_probs, b.mcts_probs)


def test_fast_and_full_searches_share_the_network_calls():
    net = UniformNet(BOARD)
    config = SearchConfig(n_playout=24, full_search_prob=0.25, n_playout_fast=4, seed=1)
    play_games(net.evaluate, BOARD, config, n_games=6, n_parallel=6)
    # while all six games go on, every call has a row per game whose leaf is not terminal: one
    # search per call would give calls of fewer rows as soon as fast searches finish first
    first = net.batches[:40]
    assert np.mean(first) > 5.5


def playouts_per_move(config):
    net = UniformNet(BOARD)
    records = play_games(net.evaluate, BOARD, config, n_games=4)
    return sum(net.batches) / sum(r.length for r in records)


def test_a_fast_search_costs_its_playouts():
    full = playouts_per_move(SearchConfig(n_playout=40, seed=4))
    capped = playouts_per_move(SearchConfig(n_playout=40, full_search_prob=0.25,
                                            n_playout_fast=8, seed=4))
    assert capped < 0.5 * full  # 0.25 * 40 + 0.75 * 8 = 16 a move against 40


def brute_force_pruned(visits, priors, q, c_puct, forced_k):
    """The pruned visits by trying every count, written independently of the code."""
    total = visits.sum()
    best = int(np.argmax(visits))

    def score(a, n):
        return q[a] + c_puct * priors[a] * math.sqrt(total + 1) / (1 + n)
    limit = score(best, visits[best])
    out = visits.copy()
    for a in range(len(visits)):
        if a == best or visits[a] == 0:
            continue
        forced = math.floor(math.sqrt(forced_k * priors[a] * total))
        for n in range(max(0, visits[a] - forced), visits[a] + 1):
            if score(a, n) <= limit or n == visits[a]:
                out[a] = n
                break
        if out[a] <= 1:
            out[a] = 0
    return out


def test_pruning_a_hand_made_root():
    visits = np.array([50, 10, 3, 1, 0])
    priors = np.array([0.4, 0.3, 0.2, 0.1, 0.0])
    q = np.array([0.5, -0.9, -0.9, -0.9, np.nan])
    assert list(pruned_visits(visits, priors, q, 5.0, 2.0)) == [50, 7, 3, 0, 0]


@pytest.mark.parametrize("seed", range(20))
def test_pruning_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    visits = rng.integers(0, 60, size=9)
    visits[rng.integers(9)] += 100
    priors = rng.dirichlet(np.ones(9))
    q = np.where(visits > 0, rng.uniform(-1, 1, 9), np.nan)
    got = pruned_visits(visits, priors, q, 5.0, 2.0)
    assert list(got) == list(brute_force_pruned(visits, priors, q, 5.0, 2.0))
    assert got[np.argmax(visits)] == visits.max() and (got <= visits).all()


def root_visits_and_priors(forced_k):
    board = parse("""
        . . . . . .
        . . . . . .
        . . X O . .
        . . O X . .
        . . . . . .
        . . . . . .
    """, 4)
    search = BatchedSearch(BOARD, 1, SearchConfig(n_playout=300, forced_playouts_k=forced_k))
    search.search([board], hashed_evaluator)
    priors = search.tree.child_prior[0, 0]
    return search.root_visits()[0], np.where(board.legal_mask(), priors, 0.0)


def test_forced_playouts_give_every_root_move_its_share():
    for forced_k, should_hold in ((0.0, False), (2.0, True)):
        visits, priors = root_visits_and_priors(forced_k)
        forced = np.sqrt(forced_k * priors * (visits.sum() - 1)) if forced_k else \
            np.sqrt(2.0 * priors * (visits.sum() - 1))
        holds = bool((visits >= np.floor(forced) - 1).all())
        assert holds == should_hold


@pytest.mark.parametrize("values, message", [
    ({"algorithm": "alphabeta"}, "algorithm must be one of puct, gumbel"),
    ({"algorithm": "gumbel", "leaf_batch": 4}, "leaf_batch must be 1 with the gumbel"),
    ({"algorithm": "gumbel", "forced_playouts_k": 2.0}, "forced_playouts_k is for the puct"),
    ({"forced_playouts_k": 2.0, "leaf_batch": 8}, "forced_playouts_k is for the exact search"),
    ({"full_search_prob": 0.5, "n_playout": 50, "n_playout_fast": 60},
     "n_playout_fast must be at most n_playout (50)"),
    ({"full_search_prob": 1.5}, "full_search_prob"),
    ({"gumbel_k": 0}, "gumbel_k"),
    ({"forced_playouts_k": -1}, "forced_playouts_k"),
    ({"temp_moves": -2}, "temp_moves"),
])
def test_bad_switches_are_named(values, message):
    with pytest.raises(InputError, match=None) as caught:
        SearchConfig.from_dict(values)
    assert message in str(caught.value)


def test_training_runs_with_gumbel_and_playout_caps(tmp_path):
    pytest.importorskip("tensorflow")
    from pipeline import cli
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["search"].update({"algorithm": "gumbel", "gumbel_k": 4, "full_search_prob": 0.5,
                           "n_playout_fast": 2})
    data["training"]["game_batch_num"] = 4
    data["evaluation"]["check_freq"] = 4
    config = tmp_path / "gumbel.yaml"
    config.write_text(yaml.safe_dump(data))
    assert cli.main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 0
    log = (tmp_path / "run" / "train.log").read_text()
    assert "batch i:4," in log and "num_playouts:20" in log
