"""Flat arrays for G PUCT search trees, and the compiled kernels that walk them.

Layout (one row per tree ``g``; ``C`` nodes of capacity; ``A = H*W`` moves):
- node ``ROOT`` (0) is the position to search; a node is made when a playout first takes its move;
- ``child_node[g, n, a]`` is the node reached by move ``a`` from node ``n``, or ``NO_NODE``;
- ``child_prior[g, n, a]`` is the prior of move ``a`` at an EXPANDED node (0 on occupied points);
- ``visits[g, n]`` / ``value_sum[g, n]``: the playouts through node ``n`` and the sum of their
  values, seen by the player who made the move into ``n`` (so the parent maximises ``Q = W / N``);
- ``state[g, n]``: UNEXPANDED (made, waiting for its evaluation), EXPANDED (priors known) or
  TERMINAL (the game is over there; ``terminal_value`` is its value for the player to move:
  -1 after a winning move, 0 for a full board). Terminal nodes are never expanded nor evaluated.
- Every node was made after its parent, so ``parent[g, n] < n``; keeping a subtree renumbers
  its nodes in their old order, which keeps this true.

The root's position is ``root_stones`` (int8 [G, A]), ``root_player`` (to move), ``root_last``
(last move or -1) and ``root_count`` (stones on the board). A playout rebuilds the leaf position in
``stones`` (int8 [G, A]) by playing the path's moves on a copy of the root's.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from gomoku.rules import EMPTY, is_winning_move

ROOT = 0
NO_NODE = -1  # child_node / parent: no such node
# state values
UNEXPANDED = 0
EXPANDED = 1
TERMINAL = 2
LOSS = -1.0  # terminal value for the player to move after the opponent's winning move
DRAW = 0.0


class TreeArrays:
    """Preallocated storage for ``n_trees`` trees of ``capacity`` nodes over ``n_moves`` moves."""

    def __init__(self, n_trees: int, capacity: int, n_moves: int):
        g, c, a = n_trees, capacity, n_moves
        self.child_node = np.full((g, c, a), NO_NODE, np.int32)  # int32 [G, C, A]
        self.child_prior = np.zeros((g, c, a), np.float32)  # float32 [G, C, A]
        self.parent = np.full((g, c), NO_NODE, np.int32)  # int32 [G, C]
        self.move = np.full((g, c), -1, np.int32)  # int32 [G, C]: the move into the node
        self.visits = np.zeros((g, c), np.int32)  # int32 [G, C]
        self.value_sum = np.zeros((g, c), np.float64)  # float64 [G, C]
        self.state = np.zeros((g, c), np.int8)  # int8 [G, C]
        self.terminal_value = np.zeros((g, c), np.float32)  # float32 [G, C]
        self.n_nodes = np.ones(g, np.int32)  # int32 [G]: nodes in use, ROOT included
        self.root_stones = np.zeros((g, a), np.int8)  # int8 [G, A]
        self.root_player = np.ones(g, np.int8)  # int8 [G]
        self.root_last = np.full(g, -1, np.int32)  # int32 [G]
        self.root_count = np.zeros(g, np.int32)  # int32 [G]

    @property
    def capacity(self) -> int:
        return self.visits.shape[1]

    def grow(self, capacity: int) -> None:
        """Enlarge every tree to ``capacity`` nodes, keeping their contents."""
        extra = capacity - self.capacity
        if extra <= 0:
            return
        for name, fill in (("child_node", NO_NODE), ("child_prior", 0), ("parent", NO_NODE),
                           ("move", -1), ("visits", 0), ("value_sum", 0), ("state", 0),
                           ("terminal_value", 0)):
            old = getattr(self, name)
            pad = np.full((old.shape[0], extra) + old.shape[2:], fill, old.dtype)
            setattr(self, name, np.concatenate([old, pad], axis=1))

    def node_arrays(self):
        """The per-node arrays in the order the kernels take them."""
        return (self.child_node, self.child_prior, self.parent, self.move, self.visits,
                self.value_sum, self.state, self.terminal_value, self.n_nodes)

    def root_arrays(self):
        return self.root_stones, self.root_player, self.root_last, self.root_count


@numba.njit(cache=True, nogil=True)
def clear_node(child_node, parent, move, visits, value_sum, state, g, n, parent_node, the_move):
    child_node[g, n, :] = NO_NODE
    parent[g, n] = parent_node
    move[g, n] = the_move
    visits[g, n] = 0
    value_sum[g, n] = 0.0
    state[g, n] = UNEXPANDED


@numba.njit(cache=True, nogil=True)
def select_action(stones, child_node, child_prior, visits, value_sum, g, node, c_puct):
    """The empty point maximising ``Q + c_puct * P * sqrt(N_parent) / (1 + N)`` (lowest on ties).

    ``Q`` and ``N`` are 0 for a move no playout has taken yet.
    """
    scale = c_puct * math.sqrt(visits[g, node])
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        if stones[a] != EMPTY:
            continue
        child = child_node[g, node, a]
        n, q = 0, 0.0
        if child != NO_NODE:
            n = visits[g, child]
            if n > 0:
                q = value_sum[g, child] / n
        score = q + scale * child_prior[g, node, a] / (1 + n)
        if score > best_score:
            best_action, best_score = a, score
    return best_action


@numba.njit(cache=True, nogil=True)
def encode_state(stones, to_play, last_move, n_stones, width, height, out):
    """Write ``Board.current_state()``'s planes of a position into ``out`` (float32 [4, H, W])."""
    out[:] = 0.0
    for m in range(stones.shape[0]):
        s = stones[m]
        if s != EMPTY:
            out[0 if s == to_play else 1, height - 1 - m // width, m % width] = 1.0
    if last_move >= 0:
        out[2, height - 1 - last_move // width, last_move % width] = 1.0
    if n_stones % 2 == 0:
        out[3, :, :] = 1.0


@numba.njit(cache=True, nogil=True)
def select_leaves(trees, width, height, n_in_row, c_puct,
                  child_node, child_prior, parent, move, visits, value_sum, state, terminal_value,
                  n_nodes, root_stones, root_player, root_last, root_count,
                  stones, leaf_node, leaf_value, eval_trees, states_out):
    """Walk each tree in ``trees`` (int32 [K]) from its root to a leaf, making the leaf's node.

    A walk stops at an UNEXPANDED node (the root of a new tree, or the node just made for the
    move taken) or at a TERMINAL one. Writes ``leaf_node[g]``; for a terminal leaf its value in
    ``leaf_value[g]``; for the others appends ``g`` to ``eval_trees`` and the leaf's planes to
    ``states_out`` (float32 [G, 4, H, W]) in the same order. Returns how many need evaluating.
    Precondition: ``n_nodes[g] < capacity`` for every walked tree.
    """
    n_moves = width * height
    n_eval = 0
    for i in range(trees.shape[0]):
        g = trees[i]
        board = stones[g]
        board[:] = root_stones[g]
        player = root_player[g]
        node, depth = ROOT, 0
        while state[g, node] == EXPANDED:
            a = select_action(board, child_node, child_prior, visits, value_sum, g, node, c_puct)
            board[a] = player
            player = 3 - player
            depth += 1
            child = child_node[g, node, a]
            if child == NO_NODE:
                child = n_nodes[g]
                n_nodes[g] += 1
                clear_node(child_node, parent, move, visits, value_sum, state, g, child, node, a)
                child_node[g, node, a] = child
                if is_winning_move(board, width, height, n_in_row, a):
                    state[g, child] = TERMINAL
                    terminal_value[g, child] = LOSS
                elif root_count[g] + depth == n_moves:
                    state[g, child] = TERMINAL
                    terminal_value[g, child] = DRAW
            node = child
        leaf_node[g] = node
        if state[g, node] == TERMINAL:
            leaf_value[g] = terminal_value[g, node]
        else:
            last = move[g, node] if node != ROOT else root_last[g]
            encode_state(board, player, last, root_count[g] + depth, width, height,
                         states_out[n_eval])
            eval_trees[n_eval] = g
            n_eval += 1
    return n_eval


@numba.njit(cache=True, nogil=True)
def expand_and_backup(trees, n_eval, eval_trees, priors, values, leaf_node, leaf_value, stones,
                      child_node, child_prior, parent, visits, value_sum, state,
                      root_noise, noise_pending, noise_weight):
    """Expand the evaluated leaves with their priors, then back up every walked tree's value.

    ``priors`` (float32 [n_eval, A]) are renormalised over the leaf's empty points (uniform if
    they put no mass there); a root with ``noise_pending`` mixes in ``root_noise[g]`` with
    ``noise_weight``. ``values`` (float32 [n_eval]) are for the player to move at the leaf; the
    leaf's node gets the negated value and the sign flips at every level up to the root.
    """
    for k in range(n_eval):
        g = eval_trees[k]
        node = leaf_node[g]
        board = stones[g]
        total, n_legal = 0.0, 0
        for a in range(board.shape[0]):
            if board[a] == EMPTY:
                total += priors[k, a]
                n_legal += 1
        noisy = node == ROOT and noise_pending[g]
        for a in range(board.shape[0]):
            p = 0.0
            if board[a] == EMPTY:
                p = priors[k, a] / total if total > 0.0 else 1.0 / n_legal
                if noisy:
                    p = (1.0 - noise_weight) * p + noise_weight * root_noise[g, a]
            child_prior[g, node, a] = p
        if noisy:
            noise_pending[g] = False
        state[g, node] = EXPANDED
        leaf_value[g] = values[k]
    for i in range(trees.shape[0]):
        g = trees[i]
        node = leaf_node[g]
        v = -np.float64(leaf_value[g])
        while node != NO_NODE:
            visits[g, node] += 1
            value_sum[g, node] += v
            v = -v
            node = parent[g, node]


@numba.njit(cache=True, nogil=True)
def add_root_noise(trees, root_noise, noise_pending, noise_weight, child_prior, state,
                   root_stones):
    """Mix ``root_noise[g]`` into the priors of each expanded root now; mark new roots pending."""
    for i in range(trees.shape[0]):
        g = trees[i]
        if state[g, ROOT] != EXPANDED:
            noise_pending[g] = True
            continue
        for a in range(root_stones.shape[1]):
            if root_stones[g, a] == EMPTY:
                child_prior[g, ROOT, a] = ((1.0 - noise_weight) * child_prior[g, ROOT, a]
                                           + noise_weight * root_noise[g, a])


@numba.njit(cache=True, nogil=True)
def keep_subtree(g, new_root, child_node, child_prior, parent, move, visits, value_sum, state,
                 terminal_value, n_nodes, renumber):
    """Make node ``new_root`` of tree ``g`` the ROOT, keeping its subtree and dropping the rest.

    Kept nodes move down to 0, 1, 2, ... in their old order, so copying in increasing old index
    never overwrites a kept node before it is read. ``renumber`` is scratch, int32 [C].
    """
    n = n_nodes[g]
    renumber[:n] = NO_NODE
    renumber[new_root] = ROOT
    count = 1
    for old in range(new_root + 1, n):
        p = parent[g, old]
        if renumber[p] != NO_NODE:
            renumber[old] = count
            count += 1
    for old in range(new_root, n):
        new = renumber[old]
        if new == NO_NODE:
            continue
        p = parent[g, old]
        parent[g, new] = NO_NODE if old == new_root else renumber[p]
        move[g, new] = move[g, old]
        visits[g, new] = visits[g, old]
        value_sum[g, new] = value_sum[g, old]
        state[g, new] = state[g, old]
        terminal_value[g, new] = terminal_value[g, old]
        for a in range(child_node.shape[2]):
            child = child_node[g, old, a]
            child_node[g, new, a] = NO_NODE if child == NO_NODE else renumber[child]
            child_prior[g, new, a] = child_prior[g, old, a]
    n_nodes[g] = count


@numba.njit(cache=True, nogil=True)
def root_child_visits(trees, child_node, visits, out):
    """``out[i, a]`` = visits of move ``a`` at the root of tree ``trees[i]`` (int32 [K, A])."""
    for i in range(trees.shape[0]):
        g = trees[i]
        for a in range(child_node.shape[2]):
            child = child_node[g, ROOT, a]
            out[i, a] = 0 if child == NO_NODE else visits[g, child]
