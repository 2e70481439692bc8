"""A match of two players, A and B: games from openings, each opening played with both colours.

Schedule (``schedule``): games ``2k`` and ``2k + 1`` start from opening ``k`` (the openings are
used in order, again from the first when the games need more); A has black (player 1: the first
stone of the opening and the first move of an empty board) in the even games, B in the odd ones.
Without openings every game starts from the empty board, still alternating. So over an even
number of games each player has each colour equally often, on the same positions.

Play (``play_games``): all games at once. At every step each open game waits for its player to
move; A's waiting games and B's are asked at the same time (B's on a second thread), and each
player answers all of its games in one call (players.py: one batched search for a net, a thread
pool for pure MCTS). Every answer is checked: a player that answers a ``Forfeit``, a move that
is not an empty point, or under renju black's forbidden point (a foul) loses that game, and the
others go on. Wins are judged by the board's rule. A is seeded from ``(seed, 0)`` and B
from ``(seed, 1)``, so a match without engines is the same whatever the thread timing.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gomoku import DRAW, EMPTY, PLAYER_1, Board, BoardConfig, InputError
from gomoku.openings import opening_board
from gomoku.validation import is_int

from .players import Forfeit, GameState
from .progress import progress_bar
from .rating import EloEstimate, match_elo

A, B, DRAWN = "A", "B", "draw"  # a game's winner


@dataclass(frozen=True)
class GameRecord:
    """One game: its opening, who had black, the moves after the opening and the result.

    ``forfeit`` says why the loser lost without the game being played out (None otherwise).
    """

    opening: tuple[int, ...]
    a_black: bool
    moves: tuple[int, ...]
    winner: str  # A, B or DRAWN
    forfeit: str | None = None


@dataclass(frozen=True)
class Counts:
    """A's wins, losses and draws in some games."""

    wins: int
    losses: int
    draws: int

    @property
    def games(self) -> int:
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        """A's points per game (a draw is half a point); NaN without games."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else float("nan")


@dataclass(frozen=True)
class MatchResult:
    records: tuple[GameRecord, ...]

    def counts(self, a_black: bool | None = None) -> Counts:
        """A's results in all games, or in those where A had black (True) or white (False)."""
        games = [r for r in self.records if a_black is None or r.a_black == a_black]
        wins = sum(r.winner == A for r in games)
        losses = sum(r.winner == B for r in games)
        return Counts(wins, losses, len(games) - wins - losses)

    def elo(self, confidence: float = 0.95) -> EloEstimate:
        """A's Elo over B with its interval (rating.match_elo: the trinomial model)."""
        c = self.counts()
        return match_elo(c.wins, c.losses, c.draws, confidence)


def schedule(openings, n_games: int) -> list[tuple[tuple[int, ...], bool]]:
    """``(opening, a_black)`` of each game (see the module docstring); ``openings`` empty or
    None: the empty board."""
    openings = [tuple(o) for o in openings] if openings else [()]
    return [(openings[(i // 2) % len(openings)], i % 2 == 0) for i in range(n_games)]


def side_seed(seed: int, side: int) -> int:
    """The seed of side 0 (A) or 1 (B) of a match seeded ``seed``."""
    return int(np.random.SeedSequence([seed, side]).generate_state(1)[0])


def play_games(a, b, board: BoardConfig, n_games: int, openings=None, seed: int = 0,
               desc: str = "match") -> MatchResult:
    """Play ``n_games`` of ``a`` against ``b`` (players.py) on ``board``; see the module
    docstring. The players are started here and left open for the caller to close."""
    if a is b:
        raise ValueError("a match needs two player objects (the same one cannot play itself)")
    for player in (a, b):
        if player.board is not None and player.board != board:
            raise InputError(f"{player.label} plays {player.board.label}, not {board.label}")
    plan = schedule(openings, n_games)
    games = []
    for i, (opening, _) in enumerate(plan):
        opening_board(opening, board.width, board.height, board.n_in_row, board.rule)  # checks it
        position = Board.from_config(board)
        for move in opening:
            position.do_move(move)
        games.append(GameState(i, position, list(opening)))
    a.start(board, n_games, side_seed(seed, 0))
    b.start(board, n_games, side_seed(seed, 1))
    results: list[tuple[str, str | None] | None] = [None] * n_games
    bar = progress_bar(n_games, desc)
    with ThreadPoolExecutor(max_workers=1) as other_side:
        while True:
            waiting = {A: [], B: []}
            for g in games:
                if results[g.index] is None:
                    black_to_move = g.board.get_current_player() == PLAYER_1
                    waiting[A if black_to_move == plan[g.index][1] else B].append(g)
            if not waiting[A] and not waiting[B]:
                break
            b_moves = other_side.submit(b.moves, waiting[B]) if waiting[B] else None
            answers = {A: a.moves(waiting[A]) if waiting[A] else [],
                       B: b_moves.result() if b_moves else []}
            for side, player in ((A, a), (B, b)):
                for g, move in zip(waiting[side], answers[side]):
                    results[g.index] = _play(g, plan[g.index][1], move, side, player)
                    if results[g.index] is not None:
                        bar.update(1)
    bar.close()
    return MatchResult(tuple(
        GameRecord(opening, a_black, tuple(g.history[len(opening):]), *results[g.index])
        for g, (opening, a_black) in zip(games, plan)))


def _play(game: GameState, a_black: bool, move, side: str,
          player) -> tuple[str, str | None] | None:
    """Play ``side``'s answer in ``game``: ``(winner, forfeit)`` once it is over, else None."""
    other = B if side == A else A
    if isinstance(move, Forfeit):
        return other, f"{side} ({player.spec}) loses: {move.reason}"
    board = game.board
    if not (is_int(move) and 0 <= move < board.width * board.height
            and board.stones[move] == EMPTY):
        return other, f"{side} ({player.spec}) loses: illegal move {move!r}"
    if not board.legal_mask()[move]:
        return other, f"{side} ({player.spec}) loses: move {move} is forbidden to black (renju)"
    board.do_move(int(move))
    game.history.append(int(move))
    ended, winner = board.game_end()
    if not ended:
        return None
    if winner == DRAW:
        return DRAWN, None
    return (A if (winner == PLAYER_1) == a_black else B), None
