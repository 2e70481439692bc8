"""The evaluator: the match of a net against pure MCTS, all games at once.

The net is player 1 in every game; game ``i`` is started by the net when ``i`` is even, by pure
MCTS when odd (the reference's ``start_player = i % 2``). With ``openings``, game ``i`` starts
from ``openings[i // 2]`` played out by the same rule (the starter has its 1st, 3rd, ... stones),
so every opening is played once with each colour. The net side searches without noise,
afresh for every move, and plays its most visited move; its searches of all the games waiting for
it run as one batched search (one network call per playout step). Meanwhile the pure MCTS moves of
the other games run on a thread pool (the compiled search releases the GIL). Game ``i``'s pure
player is seeded from ``(seed, i)``, so a match is reproducible whatever the thread timing.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gomoku import PLAYER_1, PLAYER_2, Board, BoardConfig
from mcts import MCTSPurePlayer
from mcts.batched import BatchedSearch
from mcts.search_config import SearchConfig

from .progress import progress_bar

NET_PLAYER = PLAYER_1
PURE_PLAYER = PLAYER_2


@dataclass(frozen=True)
class GameResult:
    winner: int  # NET_PLAYER, PURE_PLAYER or gomoku.DRAW
    first_player: int  # who moved first
    moves: list  # the moves played, in order, after the opening
    opening: tuple = ()


def play_match(net, board: BoardConfig, search: SearchConfig, n_games: int, pure_playout: int,
               pure_c_puct: float, seed: int, desc: str = "match", threads: int | None = None,
               openings=None):
    """Play ``n_games`` of ``net`` (searching as ``search`` says) against pure MCTS of
    ``pure_playout`` playouts; returns the net's (wins, losses, ties)."""
    results = play_match_games(net, board, search, n_games, pure_playout, pure_c_puct, seed,
                               desc, threads, openings)
    wins = sum(r.winner == NET_PLAYER for r in results)
    losses = sum(r.winner == PURE_PLAYER for r in results)
    return wins, losses, n_games - wins - losses


def play_match_games(net, board: BoardConfig, search: SearchConfig, n_games: int,
                     pure_playout: int, pure_c_puct: float, seed: int, desc: str = "match",
                     threads: int | None = None, openings=None) -> list[GameResult]:
    """The games of a match (see the module docstring), in order; ``openings`` (move tuples,
    at least ``ceil(n_games / 2)``) or None for the empty board."""
    starts = [tuple(openings[i // 2]) if openings else () for i in range(n_games)]
    boards, moves = [], [[] for _ in range(n_games)]
    for i in range(n_games):
        b = Board.from_config(board)
        b.init_board(start_player=i % 2)
        for move in starts[i]:
            b.do_move(move)
        boards.append(b)
    pure = [MCTSPurePlayer(c_puct=pure_c_puct, n_playout=pure_playout,
                           seed=int(np.random.SeedSequence([seed, i]).generate_state(1)[0]))
            for i in range(n_games)]
    searcher = BatchedSearch(board, n_games, search)
    results = [None] * n_games  # winner of each finished game
    bar = progress_bar(n_games, desc)
    with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
        while any(r is None for r in results):
            active = [i for i in range(n_games) if results[i] is None]
            net_turn = [i for i in active if boards[i].get_current_player() == NET_PLAYER]
            pure_turn = [i for i in active if boards[i].get_current_player() == PURE_PLAYER]
            pending = {i: pool.submit(pure[i].get_action, boards[i]) for i in pure_turn}
            if net_turn:
                searcher.search([boards[i] for i in net_turn], net.evaluate)
                net_moves = searcher.chosen_moves(np.arange(len(net_turn)))
            played = {i: int(future.result()) for i, future in pending.items()}
            if net_turn:
                played.update(zip(net_turn, (int(m) for m in net_moves)))
            for i, move in played.items():
                boards[i].do_move(move)
                moves[i].append(move)
            for i in active:
                ended, winner = boards[i].game_end()
                if ended:
                    results[i] = winner
                    bar.update(1)
    bar.close()
    return [GameResult(results[i], NET_PLAYER if i % 2 == 0 else PURE_PLAYER, moves[i], starts[i])
            for i in range(n_games)]
