"""Pure-rollout MCTS: the evaluation opponent of training (the reference's ``MCTS_Pure``).

Semantics kept from the reference trainer (AlphaZero_Gomoku ``mcts_pure.py``):
- every node gives its legal moves the uniform prior ``1 / (number of legal moves)``: the empty
  points, less black's forbidden points under renju (``Board.legal_mask``);
- a playout descends from the root by ``Q + c_puct * P * sqrt(N_parent) / (1 + N)``
  (``Q`` = 0 for an unvisited move; ties go to the lowest move number) until it reaches a node
  never visited before; that leaf is expanded unless the game is over there, and it is valued by
  one uniformly random rollout to the end of the game (a game over at the leaf gives its true
  result, no rollout); the value is backed up with its sign flipped at every level;
- the first playout of a move evaluates the root itself, as the reference's does;
- the most visited root move is played; the tree lives for one move only.

Wins follow the game's rule (``gomoku.variants.move_wins``). Under renju a node where black is to
move finds its legal points when a playout first leaves it (before that, its one rollout draws
only legal points too); a node where black has none is a terminal draw, as in ``Board.game_end``.

The whole search of a move is one compiled call on flat arrays allocated for that call, so nothing
is kept between moves (memory per call: about 12 bytes x H*W per node, at most n_playout nodes;
13 under renju, whose nodes keep their legal points).
A search with a deadline checks the clock every CLOCK_CHECK_EVERY playouts and starts none after
the deadline has passed; with a large ``n_playout`` cap its arrays start small and double as the
tree grows, so the cap costs memory only for the playouts the time allows.
"""
from __future__ import annotations

import math
import time

import numba
import numpy as np

from gomoku.rules import EMPTY, PLAYER_1, opponent
from gomoku.validation import Float, Int
from gomoku.variants import FREESTYLE, RENJU, legal_mask, move_wins

from .deadline import checked_deadline
from .rollout import random_rollout

ROOT = 0
UNEXPANDED = -1  # children_index: no node has been made for this move yet
SEED_BOUND = 2**32  # numba's generator takes a 32-bit seed
NO_DEADLINE = np.inf
UNKNOWN = -1  # node_n_legal: the node's legal points are not known yet
MIN_PLAYOUTS = 2  # a deadline never stops a search before this: the root's evaluation and one move
# A clock read from compiled code is a trip into the interpreter: reading it every this many
# playouts keeps its cost small against the playouts' and a search's stop close to its deadline
# (scripts/bench_deadline.py measures both).
CLOCK_CHECK_EVERY = 128
# A timed search allocates its n_playout cap at once when that is at most this many node-move
# cells (12 bytes each); above it, its arrays start at GROWING_START_NODES and double as needed,
# so a huge cap costs memory only for the playouts the time allows.
PREALLOCATE_CELLS = 2**20
GROWING_START_NODES = 1024


@numba.njit(cache=True)
def _monotonic():
    """``time.monotonic()`` from compiled code (takes the GIL for the call)."""
    with numba.objmode(now="float64"):
        now = time.monotonic()
    return now


@numba.njit(cache=True, nogil=True)
def _grown(array, n_rows, fill):
    """A copy of ``array`` [R, ...] with ``n_rows`` >= R rows, the new ones set to ``fill``."""
    out = np.empty((n_rows,) + array.shape[1:], array.dtype)
    out[:array.shape[0]] = array
    out[array.shape[0]:] = fill
    return out


@numba.njit(cache=True, nogil=True)
def _select_action(stones, node, n_legal, c_puct, node_visits, children_visits,
                   children_value_sum, masked, legal):
    """The legal move of ``node`` with the highest PUCT score (lowest move number on ties).

    Legal: empty, and when ``masked`` also set in ``legal`` (bool [A]); ``n_legal`` of them.
    """
    exploration = c_puct * (1.0 / n_legal) * math.sqrt(node_visits[node])
    best_action, best_score = -1, -np.inf
    for action in range(stones.shape[0]):
        if stones[action] != EMPTY or (masked and not legal[action]):
            continue
        visits = children_visits[node, action]
        q = children_value_sum[node, action] / visits if visits > 0 else 0.0
        score = q + exploration / (1 + visits)
        if score > best_score:
            best_action, best_score = action, score
    return best_action


@numba.njit(cache=True, nogil=True)
def search(root_stones, width, height, n_in_row, to_play, c_puct, n_playout, seed,
           deadline=NO_DEADLINE, check_every=CLOCK_CHECK_EVERY, rule=FREESTYLE, black=PLAYER_1):
    """Run ``n_playout`` playouts from ``root_stones`` (int8 [H*W], read only), fewer if the
    ``deadline`` (a ``time.monotonic()`` value) passes first, under ``rule`` (a
    ``gomoku.variants`` code; ``black``: the player who moved first, renju's black).

    Precondition: the game is not over at the root (``Board.game_end``: a legal point exists, no
    win) and ``to_play`` (1 or 2) is the player to move; ``n_playout`` >= 1, ``check_every`` >= 1.
    With a deadline the clock is read once MIN_PLAYOUTS playouts have run, then every
    ``check_every`` playouts; no playout starts once the deadline has been seen passed (so at
    least min(MIN_PLAYOUTS, n_playout) run). The playouts that run are the first ones of the search
    without a deadline: the same seed gives the same tree, cut short.
    Returns the visit counts of the root's moves, int32 [H*W] (0 on points that are not legal);
    the playouts run are their sum plus one (the first playout evaluates the root).
    """
    np.random.seed(seed)
    n_actions = root_stones.shape[0]
    timed = deadline < NO_DEADLINE
    # the root, then at most one new node per playout after the first
    n_nodes = n_playout
    if timed and n_playout * n_actions > PREALLOCATE_CELLS:
        n_nodes = min(n_playout, GROWING_START_NODES)
    node_visits = np.zeros(n_nodes, np.int32)  # int32 [N]
    node_terminal = np.zeros(n_nodes, np.bool_)  # bool [N]: the game is over at the node
    node_terminal_value = np.zeros(n_nodes, np.float32)  # float32 [N]: for the player to move
    children_index = np.full((n_nodes, n_actions), UNEXPANDED, np.int32)  # int32 [N, A]
    children_visits = np.zeros((n_nodes, n_actions), np.int32)  # int32 [N, A]
    # sum of backed-up values, seen by the player to move at the parent node
    children_value_sum = np.zeros((n_nodes, n_actions), np.float32)  # float32 [N, A]
    # renju: the legal points of a node with black to move, once known (one dummy row otherwise)
    renju = rule == RENJU
    node_legal = np.zeros((n_nodes if renju else 1, n_actions), np.bool_)  # bool [N, A]
    node_n_legal = np.full(n_nodes if renju else 1, UNKNOWN, np.int32)  # int32 [N]
    path_nodes = np.empty(n_actions + 1, np.int32)  # int32 [A + 1]: root .. leaf
    path_actions = np.empty(n_actions, np.int32)  # int32 [A]: the move out of path_nodes[d]
    stones = np.empty_like(root_stones)  # int8 [A]: the position of the current playout
    empties = np.empty(n_actions, np.int32)  # int32 [A]: rollout scratch
    root_empty = 0
    for action in range(n_actions):
        if root_stones[action] == EMPTY:
            root_empty += 1

    node_count = 1
    next_check = MIN_PLAYOUTS
    for playout in range(n_playout):
        if timed and playout == next_check:
            if _monotonic() >= deadline:
                break
            next_check += check_every
        if node_count == n_nodes < n_playout:  # a timed search's tree may need more nodes
            n_nodes = min(2 * n_nodes, n_playout)
            node_visits = _grown(node_visits, n_nodes, 0)
            node_terminal = _grown(node_terminal, n_nodes, False)
            node_terminal_value = _grown(node_terminal_value, n_nodes, 0.0)
            children_index = _grown(children_index, n_nodes, UNEXPANDED)
            children_visits = _grown(children_visits, n_nodes, 0)
            children_value_sum = _grown(children_value_sum, n_nodes, 0.0)
            if renju:
                node_legal = _grown(node_legal, n_nodes, False)
                node_n_legal = _grown(node_n_legal, n_nodes, UNKNOWN)
        stones[:] = root_stones
        player, n_empty = to_play, root_empty
        node, depth = ROOT, 0
        path_nodes[0] = ROOT
        while node_visits[node] > 0 and not node_terminal[node]:
            masked = renju and player == black
            n_legal, row = n_empty, 0
            if masked:
                row = node
                if node_n_legal[node] == UNKNOWN:
                    node_n_legal[node] = legal_mask(stones, width, height, player, rule,
                                                    node_legal[node], black)
                n_legal = node_n_legal[node]
                if n_legal == 0:
                    node_terminal[node] = True  # black cannot move: a draw, value 0
                    break
            action = _select_action(stones, node, n_legal, c_puct, node_visits,
                                    children_visits, children_value_sum, masked,
                                    node_legal[row])
            stones[action] = player
            player = opponent(player)
            n_empty -= 1
            child = children_index[node, action]
            if child == UNEXPANDED:
                child = node_count
                node_count += 1
                children_index[node, action] = child
                if move_wins(stones, width, height, n_in_row, action, rule, black):
                    node_terminal[child] = True
                    node_terminal_value[child] = -1.0  # the player to move has lost
                elif n_empty == 0:
                    node_terminal[child] = True  # draw: value 0
            path_actions[depth] = action
            depth += 1
            path_nodes[depth] = child
            node = child

        if node_terminal[node]:
            value = np.float64(node_terminal_value[node])
        else:
            value = random_rollout(stones, width, height, n_in_row, player, empties, rule, black)
        node_visits[node] += 1
        for d in range(depth - 1, -1, -1):
            value = -value
            parent, action = path_nodes[d], path_actions[d]
            children_visits[parent, action] += 1
            children_value_sum[parent, action] += value
            node_visits[parent] += 1
    return children_visits[ROOT].copy()


class MCTSPurePlayer:
    """A player choosing its moves by pure-rollout MCTS (see the module docstring).

    ``seed`` (int or None) seeds the player's own generator, which draws one search seed per move:
    the same seed and the same positions give the same moves (a deadline only cuts a move's
    search short). The board passed to ``get_action`` is never modified. ``playouts`` is the
    number of playouts the last ``get_action`` ran (0 before the first).
    """

    def __init__(self, c_puct=5, n_playout=1000, seed=None):
        self.c_puct = Float().check("c_puct", c_puct)
        self.n_playout = Int(1).check("n_playout", n_playout)
        self._rng = np.random.default_rng(seed)
        self.playouts = 0
        self.player = None

    def set_player_ind(self, p):
        self.player = p

    def reset_player(self):
        """Nothing to forget: the tree is built afresh for every move and dropped after it."""

    def get_action(self, board, temp=1e-3, return_prob=0, deadline=None):
        """The most visited root move, or ``(move, visit distribution float64 [H*W])``.

        ``temp`` exists for the shared player interface; as in the reference, the pure player
        always plays its most visited move. ``deadline`` (a ``time.monotonic()`` value, None for
        none) stops the search early: ``n_playout`` playouts at most, no playout started after
        the deadline, at least two (the root's evaluation and one move) when ``n_playout`` >= 2,
        so a move is always chosen by the search, and it is one of ``board.legal_moves()``.
        Raises ValueError when the game is already over.
        """
        ended, winner = board.game_end()
        if ended:
            raise ValueError(f"get_action: the game is over (winner {winner}), no move to choose")
        deadline = checked_deadline(deadline)
        visits = search(board.stones, board.width, board.height, board.n_in_row,
                        board.current_player, Float().check("c_puct", self.c_puct),
                        Int(1).check("n_playout", self.n_playout),
                        int(self._rng.integers(SEED_BOUND)),
                        NO_DEADLINE if deadline is None else deadline, CLOCK_CHECK_EVERY,
                        board.config.rule_code, board.first_player)
        self.playouts = int(visits.sum()) + 1
        move = int(np.argmax(np.where(board.legal_mask(), visits, -1)))
        if not return_prob:
            return move
        total = visits.sum()
        if total > 0:
            move_probs = visits / total
        else:  # a single playout only evaluates the root
            move_probs = np.zeros(visits.shape[0])
            move_probs[move] = 1.0
        return move, move_probs

    def __str__(self):
        return f"MCTS {self.player}"
