"""Gumbel root search (Danihelka et al., ICLR 2022, "Policy improvement by planning with Gumbel").

A Gumbel search of a tree is a fresh search of ``budget`` playouts: the first evaluates the root,
the other ``budget - 1`` are simulations from it. With the root's Gumbel sample ``g`` (zero when
nothing is sampled, as in evaluation play), ``logits = log P`` and, at a node,
``sigma(q) = (c_visit + max_b N(b)) * c_scale * q`` on its completed Q rescaled to [0, 1]:
- at the root, simulation ``s`` takes, among the legal moves whose visits equal
  ``considered_visit(m, budget - 1, s)`` (``m = min(gumbel_k, legal moves)``), the one maximising
  ``g + logits + sigma(completed Q)``. The first ``m`` simulations so try the top ``m`` moves of
  ``g + logits`` once each (Gumbel-top-k), and every later phase keeps the better half of the
  moves left: sequential halving, its visits given one simulation at a time so that all trees
  still step together;
- below the root, the paper's deterministic rule: the move maximising
  ``pi'(a) - N(a) / (1 + sum_b N(b))``, with the improved policy
  ``pi' = softmax(logits + sigma(completed Q))``;
- the move chosen is, among the most visited root moves, the one maximising
  ``g + logits + sigma(completed Q)``; the policy target is the root's ``pi'``.

Completed Q: a visited move's ``Q``; an unvisited legal move's is the node's mixed value
``(v + sum_b N(b) * sum_visited P(a) Q(a) / sum_visited P(a)) / (1 + sum_b N(b))``, where ``v`` is
the node's own evaluation (``Tree.raw_value``). Values are seen by the player to move at the node.
Legal moves are those ``tree.select_action`` may take: empty points without ILLEGAL_PRIOR.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from gomoku.rules import EMPTY, opponent

from .tree import EXPANDED, ILLEGAL_PRIOR, NO_NODE, ROOT, make_child, record_leaf

PRIOR_FLOOR = 1e-30  # a prior below this counts as this in logits and in the mixed value
RESCALE_EPSILON = 1e-8  # the completed Q's smallest range when rescaled to [0, 1]


@numba.njit(cache=True, nogil=True)
def considered_visit(n_considered, n_simulations, simulation):
    """The visits the root move taken at ``simulation`` (0-based) has before it, in sequential
    halving of ``n_simulations`` simulations over ``n_considered`` moves.

    There are ``ceil(log2(n_considered))`` phases. A phase with ``r`` moves left gives each of
    them ``max(1, n_simulations // (phases * r))`` more visits, in rounds that visit each once,
    then keeps ``max(2, r // 2)`` of them; past ``n_simulations`` the last rounds go on. One
    move (or none) is simply visited every simulation.
    """
    if n_considered <= 1:
        return simulation
    phases = 0
    while (1 << phases) < n_considered:
        phases += 1
    left, start, visits = n_considered, 0, 0
    while True:
        rounds = max(1, n_simulations // (phases * left))
        if simulation < start + rounds * left:
            return visits + (simulation - start) // left
        start += rounds * left
        visits += rounds
        left = max(2, left // 2)


@numba.njit(cache=True, nogil=True)
def _is_legal(tree, stones, g, node, a):
    return stones[a] == EMPTY and tree.child_prior[g, node, a] != ILLEGAL_PRIOR


@numba.njit(cache=True, nogil=True)
def _child_visits(tree, g, node, a):
    child = tree.child_node[g, node, a]
    return 0 if child == NO_NODE else tree.visits[g, child]


@numba.njit(cache=True, nogil=True)
def improved_logits(tree, stones, g, node, c_visit, c_scale, out):
    """``out[a] = log P(a) + sigma(completed Q(a))`` for the legal moves of the expanded ``node``
    of tree ``g`` (position ``stones``), -inf elsewhere (float64 [A]).

    Returns the sum of the node's child visits.
    """
    n_moves = stones.shape[0]
    total_n, max_n = 0, 0
    sum_p, sum_pq = 0.0, 0.0
    for a in range(n_moves):  # first pass: Q of the visited moves
        out[a] = np.nan
        if not _is_legal(tree, stones, g, node, a):
            continue
        n = _child_visits(tree, g, node, a)
        if n > 0:
            q = tree.value_sum[g, tree.child_node[g, node, a]] / n
            p = max(tree.child_prior[g, node, a], PRIOR_FLOOR)
            total_n += n
            max_n = max(max_n, n)
            sum_p += p
            sum_pq += p * q
            out[a] = q
    mixed = np.float64(tree.raw_value[g, node])
    if total_n > 0:
        mixed = (mixed + total_n * sum_pq / sum_p) / (total_n + 1)
    low, high = np.inf, -np.inf
    for a in range(n_moves):  # second pass: complete, and find the range
        if not _is_legal(tree, stones, g, node, a):
            continue
        if np.isnan(out[a]):
            out[a] = mixed
        low = min(low, out[a])
        high = max(high, out[a])
    scale = (c_visit + max_n) * c_scale / max(high - low, RESCALE_EPSILON)
    for a in range(n_moves):
        if _is_legal(tree, stones, g, node, a):
            out[a] = math.log(max(tree.child_prior[g, node, a], PRIOR_FLOOR)) \
                + scale * (out[a] - low)
        else:
            out[a] = -np.inf
    return total_n


@numba.njit(cache=True, nogil=True)
def _softmax_in_place(logits):
    """Softmax of the finite entries of ``logits`` (float64 [A]); -inf entries become 0."""
    top = -np.inf
    for a in range(logits.shape[0]):
        top = max(top, logits[a])
    total = 0.0
    for a in range(logits.shape[0]):
        logits[a] = 0.0 if logits[a] == -np.inf else math.exp(logits[a] - top)
        total += logits[a]
    for a in range(logits.shape[0]):
        logits[a] /= total


@numba.njit(cache=True, nogil=True)
def select_interior(tree, stones, g, node, c_visit, c_scale, scratch):
    """The legal move maximising ``pi'(a) - N(a) / (1 + sum_b N(b))`` (lowest on ties)."""
    total_n = improved_logits(tree, stones, g, node, c_visit, c_scale, scratch)
    _softmax_in_place(scratch)
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        if not _is_legal(tree, stones, g, node, a):
            continue
        score = scratch[a] - _child_visits(tree, g, node, a) / (1.0 + total_n)
        if score > best_score:
            best_action, best_score = a, score
    return best_action


@numba.njit(cache=True, nogil=True)
def _best_with_visits(tree, stones, g, gumbel, scratch, wanted):
    """The legal root move with ``wanted`` visits maximising ``gumbel + scratch`` (the improved
    logits), lowest on ties; -1 if no legal move has that many visits."""
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        if scratch[a] == -np.inf or _child_visits(tree, g, ROOT, a) != wanted:
            continue
        score = gumbel[a] + scratch[a]
        if score > best_score:
            best_action, best_score = a, score
    return best_action


@numba.njit(cache=True, nogil=True)
def select_root(tree, stones, g, gumbel, n_simulations, gumbel_k, c_visit, c_scale, scratch):
    """The root move of the next simulation of sequential halving (see the module docstring).

    ``gumbel`` float32 [A]: the root's sample. A root whose visits left the schedule (a search
    not started fresh) falls back to the best legal move by ``gumbel + logits + sigma``.
    """
    total_n = improved_logits(tree, stones, g, ROOT, c_visit, c_scale, scratch)
    n_legal = 0
    for a in range(stones.shape[0]):
        if scratch[a] != -np.inf:
            n_legal += 1
    wanted = considered_visit(min(gumbel_k, n_legal), n_simulations, total_n)
    a = _best_with_visits(tree, stones, g, gumbel, scratch, wanted)
    if a >= 0:
        return a
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        if scratch[a] != -np.inf and gumbel[a] + scratch[a] > best_score:
            best_action, best_score = a, gumbel[a] + scratch[a]
    return best_action


@numba.njit(cache=True, nogil=True)
def select_leaves_gumbel(tree, trees, width, height, n_in_row, rule, gumbel, budget, gumbel_k,
                         c_visit, c_scale, stones, leaf_node, leaf_value, eval_trees, states_out):
    """``tree.select_leaves`` with the Gumbel search's choices: ``select_root`` at the root
    (``gumbel`` float32 [G, A], ``budget`` int32 [G] playouts of each tree's search),
    ``select_interior`` below it. Returns how many leaves need evaluating."""
    scratch = np.empty(stones.shape[1], np.float64)
    n_eval = 0
    for i in range(trees.shape[0]):
        g = trees[i]
        board = stones[g]
        board[:] = tree.root_stones[g]
        player = tree.root_player[g]
        node, depth = ROOT, 0
        while tree.state[g, node] == EXPANDED:
            if node == ROOT:
                a = select_root(tree, board, g, gumbel[g], budget[g] - 1, gumbel_k, c_visit,
                                c_scale, scratch)
            else:
                a = select_interior(tree, board, g, node, c_visit, c_scale, scratch)
            board[a] = player
            player = opponent(player)
            depth += 1
            node = make_child(tree, g, node, a, board, depth, width, height, n_in_row, rule)
        n_eval = record_leaf(tree, g, node, board, player, depth, width, height, g, n_eval,
                             leaf_node, leaf_value, eval_trees, states_out)
    return n_eval


@numba.njit(cache=True, nogil=True)
def chosen_moves(tree, trees, gumbel, c_visit, c_scale, out):
    """``out[i]``: the move tree ``trees[i]``'s search chose, the most visited root move
    maximising ``gumbel + logits + sigma`` (int64 [K]); every root must be expanded."""
    stones_width = tree.root_stones.shape[1]
    scratch = np.empty(stones_width, np.float64)
    for i in range(trees.shape[0]):
        g = trees[i]
        stones = tree.root_stones[g]
        improved_logits(tree, stones, g, ROOT, c_visit, c_scale, scratch)
        most = 0
        for a in range(stones_width):
            if scratch[a] != -np.inf:
                most = max(most, _child_visits(tree, g, ROOT, a))
        out[i] = _best_with_visits(tree, stones, g, gumbel[g], scratch, most)


@numba.njit(cache=True, nogil=True)
def improved_policy(tree, trees, c_visit, c_scale, out):
    """``out[i]``: the root's improved policy ``pi'`` of tree ``trees[i]`` (float32 [K, A], 0 on
    occupied and illegal points); every root must be expanded."""
    scratch = np.empty(tree.root_stones.shape[1], np.float64)
    for i in range(trees.shape[0]):
        g = trees[i]
        improved_logits(tree, tree.root_stones[g], g, ROOT, c_visit, c_scale, scratch)
        _softmax_in_place(scratch)
        out[i, :] = scratch
