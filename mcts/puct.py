"""MCTSPlayer: the reference trainer's AlphaZero player, over a one-tree BatchedSearch.

Invariants:
- The player sees its network through one of two functions, given at construction:
  ``policy_value_fn(board)`` returns ``(iterable of (move, prior), value)`` for the player to move
  on ``board``, as the reference's does (a Board is rebuilt for every leaf); or the batched
  ``evaluate(states float32 [B, 4, H, W]) -> (priors [B, H*W], values [B])`` that the search
  calls directly (``net.PolicyValueNet.evaluate``, the fast path; here B = 1). Either is only
  called on positions where the game goes on.
- The player's own generator (``seed``) draws its root noise and its moves, in that order, so a
  player with seed ``s`` plays a self-play game exactly as game 0 of ``mcts.selfplay`` with seed
  ``s`` does, for the same evaluator.
- Self-play (``is_selfplay=1``): Dirichlet noise on the root's priors, the tree of the move played
  is kept for the next call (when that call's board is the position after the move). Otherwise
  every call searches a new tree without noise.
- A ``deadline`` given to ``get_action`` only cuts the search short: the playouts run are the
  first ones of the search without it, so the seed still fixes everything but their number.
"""
from __future__ import annotations

import numpy as np

from gomoku.board import Board
from gomoku.board_config import BoardConfig
from gomoku.rules import PLAYER_1, PLAYER_2, opponent

from .batched import BatchedSearch, dirichlet_noise, visit_distribution
from .deadline import checked_deadline
from .search_config import SearchConfig, game_rng


def board_from_state(state: np.ndarray, n_in_row: int, start_player: int = 0,
                     rule: str = "freestyle") -> Board:
    """The Board under ``rule`` whose ``current_state()`` is ``state`` (float32 [4, H, W], a game
    not over).

    ``start_player`` says which player moved first (as in ``Board.init_board``); the plane of ones
    then tells who is to move. Stones are replayed alternately, the last-move stone last.
    """
    planes = np.asarray(state)[:, ::-1, :]
    height, width = planes.shape[1:]
    first = (PLAYER_1, PLAYER_2)[start_player]
    to_play = first if planes[3, 0, 0] == 1 else opponent(first)
    stones = {to_play: [int(m) for m in np.flatnonzero(planes[0])],
              opponent(to_play): [int(m) for m in np.flatnonzero(planes[1])]}
    last = np.flatnonzero(planes[2])
    if last.size:
        mover = stones[opponent(to_play)]
        mover.remove(int(last[0]))
        mover.append(int(last[0]))
    second = opponent(first)
    order = [(stones[first][i // 2], first) if i % 2 == 0 else (stones[second][i // 2], second)
             for i in range(len(stones[first]) + len(stones[second]))]
    return Board.from_stones(BoardConfig(width, height, n_in_row, rule), order, to_play)


def evaluator_from_policy_value_fn(policy_value_fn, n_in_row: int, start_player: int = 0,
                                   rule: str = "freestyle"):
    """An ``evaluate(states [B, 4, H, W]) -> (priors [B, H*W], values [B])`` calling
    ``policy_value_fn`` once per row on the Board (under ``rule``) the row encodes."""
    def evaluate(states: np.ndarray):
        n, _, height, width = states.shape
        priors = np.zeros((n, height * width), np.float32)
        values = np.zeros(n, np.float32)
        for k in range(n):
            act_probs, value = policy_value_fn(
                board_from_state(states[k], n_in_row, start_player, rule))
            for move, prob in act_probs:
                priors[k, move] = prob
            values[k] = float(np.asarray(value).reshape(-1)[0])
        return priors, values
    return evaluate


class MCTSPlayer:
    """AI player based on PUCT search guided by a policy-value function (reference interface).

    Give exactly one of ``policy_value_fn`` (the reference's, positional) and ``evaluate=``
    (batched, faster): ``MCTSPlayer(net.policy_value_fn)`` and ``MCTSPlayer(evaluate=net.evaluate)``
    search the same tree. ``leaf_batch`` > 1 evaluates that many leaves a network call, walked
    with virtual loss (``mcts.leaf_batch``): faster per playout, not the same tree.
    ``algorithm="gumbel"`` searches every move afresh with the Gumbel root search
    (``mcts.gumbel``, ``gumbel_k`` root moves): the move is the search's choice (Gumbel draws
    from the player's generator in self-play, none otherwise), ``return_prob`` gives its improved
    policy, and ``temp`` is not used.
    ``playouts`` is the number of playouts the last ``get_action`` ran (0 before the first).
    """

    def __init__(self, policy_value_fn=None, c_puct=5, n_playout=400, is_selfplay=0, *,
                 evaluate=None, seed=0, dirichlet_alpha=0.3, dirichlet_weight=0.25,
                 leaf_batch=1, algorithm="puct", gumbel_k=16):
        if (policy_value_fn is None) == (evaluate is None):
            raise ValueError("MCTSPlayer needs exactly one of policy_value_fn and evaluate=")
        for name, fn in (("policy_value_fn", policy_value_fn), ("evaluate", evaluate)):
            if fn is not None and not callable(fn):
                raise ValueError(f"{name} must be callable, got {type(fn).__name__}")
        self.config = SearchConfig(c_puct=c_puct, n_playout=n_playout, seed=seed,
                                   dirichlet_alpha=dirichlet_alpha,
                                   dirichlet_weight=dirichlet_weight, leaf_batch=leaf_batch,
                                   algorithm=algorithm, gumbel_k=gumbel_k)
        self._policy_value_fn = policy_value_fn
        self._is_selfplay = bool(is_selfplay)
        self._rng = game_rng(self.config.seed, 0)
        self._search = None  # BatchedSearch of one tree, made for the first board's game
        self._evaluate = evaluate
        self._reusable = False  # the tree's root is the position after the last move played
        self.playouts = 0
        self.player = None

    def set_player_ind(self, p):
        self.player = p

    def reset_player(self):
        """Forget the tree: the next move is searched from scratch."""
        self._reusable = False

    def _search_for(self, board: Board) -> BatchedSearch:
        if self._search is None or self._search.board != board.config:
            self._search = BatchedSearch(board.config, 1, self.config)
            self._reusable = False
        if self._policy_value_fn is not None:
            self._evaluate = evaluator_from_policy_value_fn(
                self._policy_value_fn, board.n_in_row, board.start_player, board.rule)
        return self._search

    def _tree_is_at(self, board: Board) -> bool:
        tree = self._search.tree
        return (self._reusable and tree.root_player[0] == board.current_player
                and tree.root_last[0] == board.last_move
                and np.array_equal(tree.root_stones[0], board.stones))

    def get_action(self, board: Board, temp=1e-3, return_prob=0, deadline=None):
        """A move sampled from the root visits at ``temp``, or ``(move, move_probs float64 [H*W])``.

        ``deadline`` (a ``time.monotonic()`` value, None for none) stops the search early:
        ``n_playout`` playouts at most, none started after the deadline, at least two (a new
        root's evaluation and one move) when ``n_playout`` >= 2. The move is one of
        ``board.legal_moves()``. Raises ValueError when the game is already over.
        """
        ended, winner = board.game_end()
        if ended:
            raise ValueError(f"get_action: the game is over (winner {winner}), no move to choose")
        deadline = checked_deadline(deadline)
        search = self._search_for(board)
        if self.config.gumbel:
            return self._gumbel_action(search, board, return_prob, deadline)
        if not self._tree_is_at(board):
            search.reset(0, board)
        legal = board.legal_mask()
        noise = None
        if self._is_selfplay and self.config.dirichlet_weight > 0:
            noise = dirichlet_noise(self._rng, legal, self.config.dirichlet_alpha)[None]
        self.playouts = int(search.run(self._evaluate, root_noise=noise, deadline=deadline)[0])
        move_probs = visit_distribution(search.root_visits()[0], legal, temp)
        move = int(self._rng.choice(move_probs.size, p=move_probs))
        if self._is_selfplay:
            search.advance(0, move)
        self._reusable = self._is_selfplay
        return (move, move_probs) if return_prob else move

    def _gumbel_action(self, search: BatchedSearch, board: Board, return_prob, deadline):
        search.reset(0, board)
        if self._is_selfplay:
            search.set_gumbel([0], self._rng.gumbel(size=(1, search.n_moves)),
                              self.config.n_playout)
        self.playouts = int(search.run(self._evaluate, deadline=deadline)[0])
        move = int(search.chosen_moves()[0])
        self._reusable = False
        return (move, search.improved_policy()[0].astype(np.float64)) if return_prob else move

    def __str__(self):
        return f"MCTS {self.player}"
