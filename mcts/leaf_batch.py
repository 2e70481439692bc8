"""Leaf batching with virtual loss: several walks in one tree per step, one evaluator call.

A step of ``BatchedSearch`` with ``leaf_batch`` L > 1 walks, in each tree, up to L paths from the
root, one after the other. Each walk adds a virtual loss to every node of its path
(``Tree.virtual``): while it is in flight a node counts ``v = virtual`` more visits, each a loss
for the player who moved into it, so the next walks score a move by
``Q = (W - VIRTUAL_LOSS * v) / (N + v)`` and ``U = c_puct * P * sqrt(N_p + v_p) / (1 + N + v)``
(``_p``: the parent's), which turns them towards other moves. Every walk ends at a leaf (a new
node, or a terminal one); the new leaves of all trees are evaluated in one call, then expanded,
and every walk is backed up with its virtual loss removed. So between steps ``virtual`` is 0
everywhere, and the visits and values are those of the walks' playouts run one by one.

Invariants of a step:
- no leaf is sent to the evaluator twice: a walk that ends on a leaf another walk of the step is
  waiting for (an UNEXPANDED node with virtual > 1, the root of a new tree included) is a
  collision: its virtual loss is taken back, it is not a playout, and the tree walks no more in
  this step. Terminal leaves may end several walks: they are valued without the evaluator.
- a tree asked for ``wanted`` playouts walks at most ``min(L, wanted)`` paths, and at least one
  when ``wanted`` > 0 (its first walk of a step meets no virtual loss).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from gomoku.rules import EMPTY, opponent
from gomoku.variants import RENJU

from .tree import (DRAW_VALUE, EXPANDED, ILLEGAL_PRIOR, NO_NODE, ROOT, UNEXPANDED, expand_leaf,
                   make_child, record_leaf)

VIRTUAL_LOSS = 1.0  # the value a walk in flight counts for each of its nodes (a loss)


@numba.njit(cache=True, nogil=True)
def select_action_virtual(tree, stones, g, node, c_puct):
    """``tree.select_action`` with the walks in flight counted as lost visits."""
    scale = c_puct * math.sqrt(tree.visits[g, node] + tree.virtual[g, node])
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        prior = tree.child_prior[g, node, a]
        if stones[a] != EMPTY or prior == ILLEGAL_PRIOR:
            continue
        child = tree.child_node[g, node, a]
        n, q = 0, 0.0
        if child != NO_NODE:
            v = tree.virtual[g, child]
            n = tree.visits[g, child] + v
            if n > 0:
                q = (tree.value_sum[g, child] - VIRTUAL_LOSS * v) / n
        score = q + scale * prior / (1 + n)
        if score > best_score:
            best_action, best_score = a, score
    return best_action


@numba.njit(cache=True, nogil=True)
def _take_back(tree, g, node):
    """Remove one walk's virtual loss from ``node`` and its ancestors."""
    while node != NO_NODE:
        tree.virtual[g, node] -= 1
        node = tree.parent[g, node]


@numba.njit(cache=True, nogil=True)
def select_leaves_virtual(tree, trees, wanted, leaf_batch, width, height, n_in_row, rule, c_puct,
                          stones, path_tree, leaf_node, leaf_value, eval_paths, states_out,
                          walked):
    """Walk up to ``min(leaf_batch, wanted[i])`` paths in each tree ``trees[i]`` (see the module
    docstring), leaving their virtual losses on.

    Path ``p`` (numbered in walking order) ends at ``leaf_node[p]`` of tree ``path_tree[p]``, its
    position in ``stones[p]`` (int8 [P, A]); a terminal leaf's value goes to ``leaf_value[p]``,
    the others' paths to ``eval_paths`` and their planes to ``states_out`` (float32
    [P, 4, H, W]) in the same order. ``walked[i]``: the paths tree ``trees[i]`` walked.
    Returns (paths, paths to evaluate). Precondition: every tree has room for ``min(leaf_batch,
    wanted[i])`` more nodes.
    """
    n_paths, n_eval = 0, 0
    for i in range(trees.shape[0]):
        g = trees[i]
        walked[i] = 0
        for _ in range(min(leaf_batch, wanted[i])):
            board = stones[n_paths]
            board[:] = tree.root_stones[g]
            player = tree.root_player[g]
            node, depth = ROOT, 0
            tree.virtual[g, ROOT] += 1
            while tree.state[g, node] == EXPANDED:
                a = select_action_virtual(tree, board, g, node, c_puct)
                board[a] = player
                player = opponent(player)
                depth += 1
                node = make_child(tree, g, node, a, board, depth, width, height, n_in_row, rule)
                tree.virtual[g, node] += 1
            if tree.state[g, node] == UNEXPANDED and tree.virtual[g, node] > 1:
                _take_back(tree, g, node)  # a collision: another walk waits on this leaf
                break
            path_tree[n_paths] = g
            n_eval = record_leaf(tree, g, node, board, player, depth, width, height, n_paths,
                                 n_eval, leaf_node, leaf_value, eval_paths, states_out)
            n_paths += 1
            walked[i] += 1
    return n_paths, n_eval


@numba.njit(cache=True, nogil=True)
def expand_and_backup_virtual(tree, n_paths, n_eval, eval_paths, priors, values, path_tree,
                              leaf_node, leaf_value, stones, root_noise, noise_pending,
                              noise_weight, width, height, rule):
    """Expand the evaluated leaves (``tree.expand_leaf``), then back up every path of the step
    and take its virtual loss back.

    ``priors`` float32 [n_eval, A] and ``values`` float32 [n_eval] (for the player to move at
    the leaf) belong to the paths ``eval_paths``; the sign of a value flips at every level up.
    """
    legal = np.ones(stones.shape[1] if rule == RENJU else 0, np.bool_)  # bool [A]: renju black
    for k in range(n_eval):
        p = eval_paths[k]
        leaf_value[p] = values[k] if expand_leaf(
            tree, path_tree[p], leaf_node[p], stones[p], priors[k], root_noise, noise_pending,
            noise_weight, width, height, rule, legal) else DRAW_VALUE
        tree.raw_value[path_tree[p], leaf_node[p]] = leaf_value[p]
    for p in range(n_paths):
        g, node = path_tree[p], leaf_node[p]
        v = -np.float64(leaf_value[p])
        while node != NO_NODE:
            tree.visits[g, node] += 1
            tree.value_sum[g, node] += v
            tree.virtual[g, node] -= 1
            v = -v
            node = tree.parent[g, node]
