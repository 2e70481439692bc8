"""The search trees of a BatchedSearch as one object of flat arrays, and the compiled kernels.

``Tree`` holds G trees (one row each; ``C`` nodes of capacity; ``A = H*W`` moves); kernels take it
and change its arrays in place; ``new_tree`` and ``grown`` make new ones:
- node ``ROOT`` (0) is the position to search; a node is made when a playout first takes its move;
- ``child_node[g, n, a]`` is the node reached by move ``a`` from node ``n``, or ``NO_NODE``;
- ``child_prior[g, n, a]`` is the prior of move ``a`` at an EXPANDED node: 0 on occupied points,
  ``ILLEGAL_PRIOR`` on the empty points the player to move may not play (black's forbidden points
  under renju), never chosen by ``select_action``; the others' priors sum to 1;
- ``visits[g, n]`` / ``value_sum[g, n]``: the playouts through node ``n`` and the sum of their
  values, seen by the player who made the move into ``n`` (so the parent maximises ``Q = W / N``);
- ``raw_value[g, n]``: the value the evaluator gave node ``n`` when it was expanded, for the
  player to move there (the Gumbel search's completed Q needs it);
- ``virtual[g, n]``: the walks of the current leaf-batched step (``mcts.leaf_batch``) that
  passed through ``n`` and are not backed up yet; 0 for every node between steps;
- ``state[g, n]``: UNEXPANDED (made, waiting for its evaluation), EXPANDED (priors known) or
  TERMINAL (the game is over there; ``terminal_value`` is its value for the player to move:
  LOSS_VALUE after a winning move, DRAW_VALUE for a full board). Terminal nodes are never
  expanded nor evaluated.
- Every node was made after its parent, so ``parent[g, n] < n``; keeping a subtree renumbers
  its nodes in their old order, which keeps this true.

Kernels take the game's rule as a ``gomoku.variants`` code: wins are ``move_wins`` under it, and
under renju a node where black has no legal point is TERMINAL with DRAW_VALUE (found when the node
is expanded, as ``Board.game_end`` finds it).

The root's position is ``root_stones``, ``root_player`` (to move), ``root_last`` (last move or -1)
and ``root_count`` (stones on the board); ``root_black`` is the player who moved first in the
tree's game (renju's black). A playout rebuilds the leaf position in ``stones``
(int8 [G, A]) by playing the path's moves on a copy of the root's.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from gomoku.rules import EMPTY, opponent
from gomoku.variants import RENJU, legal_mask, move_wins

ROOT = 0
NO_NODE = -1  # child_node / parent: no such node
# state values
UNEXPANDED = 0
EXPANDED = 1
TERMINAL = 2
LOSS_VALUE = -1.0  # terminal value for the player to move after the opponent's winning move
DRAW_VALUE = 0.0  # terminal value of a full board (or of black without a legal point, renju)
ILLEGAL_PRIOR = -1.0  # child_prior of an empty point the player to move may not play


class Tree(NamedTuple):
    """G search trees; every array's first axis is the tree."""

    child_node: np.ndarray  # int32 [G, C, A]
    child_prior: np.ndarray  # float32 [G, C, A]
    parent: np.ndarray  # int32 [G, C]
    move: np.ndarray  # int32 [G, C]: the move into the node (-1 for a ROOT)
    visits: np.ndarray  # int32 [G, C]
    value_sum: np.ndarray  # float64 [G, C]
    raw_value: np.ndarray  # float32 [G, C]: the evaluator's value at expansion, for its mover
    virtual: np.ndarray  # int32 [G, C]: walks in flight (leaf batching), 0 between steps
    state: np.ndarray  # int8 [G, C]
    terminal_value: np.ndarray  # float32 [G, C]
    n_nodes: np.ndarray  # int32 [G]: nodes in use, ROOT included
    root_stones: np.ndarray  # int8 [G, A]
    root_player: np.ndarray  # int8 [G]
    root_last: np.ndarray  # int32 [G]
    root_count: np.ndarray  # int32 [G]
    root_black: np.ndarray  # int8 [G]: the player who moved first

    @property
    def capacity(self) -> int:
        return self.visits.shape[1]


# per-node arrays and the value their new nodes take
NODE_FILL = {"child_node": NO_NODE, "child_prior": 0, "parent": NO_NODE, "move": -1, "visits": 0,
             "value_sum": 0, "raw_value": 0, "virtual": 0, "state": UNEXPANDED, "terminal_value": 0}


def new_tree(n_trees: int, capacity: int, n_moves: int) -> Tree:
    """``n_trees`` empty trees of ``capacity`` nodes over ``n_moves`` moves."""
    g, c, a = n_trees, capacity, n_moves
    return Tree(
        child_node=np.full((g, c, a), NO_NODE, np.int32),
        child_prior=np.zeros((g, c, a), np.float32),
        parent=np.full((g, c), NO_NODE, np.int32),
        move=np.full((g, c), -1, np.int32),
        visits=np.zeros((g, c), np.int32),
        value_sum=np.zeros((g, c), np.float64),
        raw_value=np.zeros((g, c), np.float32),
        virtual=np.zeros((g, c), np.int32),
        state=np.zeros((g, c), np.int8),
        terminal_value=np.zeros((g, c), np.float32),
        n_nodes=np.ones(g, np.int32),
        root_stones=np.zeros((g, a), np.int8),
        root_player=np.ones(g, np.int8),
        root_last=np.full(g, -1, np.int32),
        root_count=np.zeros(g, np.int32),
        root_black=np.ones(g, np.int8))


def grown(tree: Tree, capacity: int) -> Tree:
    """``tree`` with room for ``capacity`` nodes per tree, contents kept (itself if it has it)."""
    extra = capacity - tree.capacity
    if extra <= 0:
        return tree
    bigger = {}
    for name, fill in NODE_FILL.items():
        old = getattr(tree, name)
        pad = np.full((old.shape[0], extra) + old.shape[2:], fill, old.dtype)
        bigger[name] = np.concatenate([old, pad], axis=1)
    return tree._replace(**bigger)


@numba.njit(cache=True, nogil=True)
def clear_node(tree, g, n, parent_node, the_move):
    tree.child_node[g, n, :] = NO_NODE
    tree.parent[g, n] = parent_node
    tree.move[g, n] = the_move
    tree.visits[g, n] = 0
    tree.value_sum[g, n] = 0.0
    tree.state[g, n] = UNEXPANDED


@numba.njit(cache=True, nogil=True)
def select_action(tree, stones, g, node, c_puct):
    """The legal point maximising ``Q + c_puct * P * sqrt(N_parent) / (1 + N)`` (lowest on ties).

    Legal: empty, with a prior that is not ILLEGAL_PRIOR. ``Q`` and ``N`` are 0 for a move no
    playout has taken yet.
    """
    scale = c_puct * math.sqrt(tree.visits[g, node])
    best_action, best_score = -1, -np.inf
    for a in range(stones.shape[0]):
        prior = tree.child_prior[g, node, a]
        if stones[a] != EMPTY or prior == ILLEGAL_PRIOR:
            continue
        child = tree.child_node[g, node, a]
        n, q = 0, 0.0
        if child != NO_NODE:
            n = tree.visits[g, child]
            if n > 0:
                q = tree.value_sum[g, child] / n
        score = q + scale * prior / (1 + n)
        if score > best_score:
            best_action, best_score = a, score
    return best_action


@numba.njit(cache=True, nogil=True)
def forced_action(tree, stones, g, forced_k):
    """KataGo's forced playouts: the legal root move whose visits ``N`` are below
    ``sqrt(forced_k * P * (sum of the root's child visits))`` (the one furthest short;
    lowest on ties), or -1 when every move has its forced visits."""
    total = tree.visits[g, ROOT] - 1  # the root's own evaluation is not a child's visit
    best_action, best_gap = -1, 0.0
    for a in range(stones.shape[0]):
        prior = tree.child_prior[g, ROOT, a]
        if stones[a] != EMPTY or prior <= 0.0:
            continue
        child = tree.child_node[g, ROOT, a]
        n = 0 if child == NO_NODE else tree.visits[g, child]
        gap = math.sqrt(forced_k * prior * total) - n
        if gap > best_gap:
            best_action, best_gap = a, gap
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
def make_child(tree, g, node, a, board, depth, width, height, n_in_row, rule):
    """The node reached by move ``a`` from ``node`` of tree ``g``, made now if it was not.

    ``board`` already holds the move, ``depth`` moves below the root. A new node is TERMINAL
    when the move wins under ``rule`` or fills the board, else UNEXPANDED.
    """
    child = tree.child_node[g, node, a]
    if child != NO_NODE:
        return child
    child = tree.n_nodes[g]
    tree.n_nodes[g] += 1
    clear_node(tree, g, child, node, a)
    tree.child_node[g, node, a] = child
    if move_wins(board, width, height, n_in_row, a, rule, tree.root_black[g]):
        tree.state[g, child] = TERMINAL
        tree.terminal_value[g, child] = LOSS_VALUE
    elif tree.root_count[g] + depth == width * height:
        tree.state[g, child] = TERMINAL
        tree.terminal_value[g, child] = DRAW_VALUE
    return child


@numba.njit(cache=True, nogil=True)
def encode_leaf(tree, g, node, board, player, depth, width, height, out):
    """``encode_state`` of the leaf ``node`` of tree ``g``, ``depth`` moves below the root."""
    last = tree.move[g, node] if node != ROOT else tree.root_last[g]
    encode_state(board, player, last, tree.root_count[g] + depth, width, height, out)


@numba.njit(cache=True, nogil=True)
def record_leaf(tree, g, node, board, player, depth, width, height, slot, n_eval, leaf_node,
                leaf_value, eval_slots, states_out):
    """The end of a walk of tree ``g`` at ``node``, written to the walk's ``slot`` of the outputs
    (``select_leaves``'): ``leaf_node[slot]``, and ``leaf_value[slot]`` for a terminal leaf, else
    ``eval_slots[n_eval] = slot`` and the leaf's planes in ``states_out[n_eval]``. Returns the
    new count of leaves to evaluate."""
    leaf_node[slot] = node
    if tree.state[g, node] == TERMINAL:
        leaf_value[slot] = tree.terminal_value[g, node]
        return n_eval
    encode_leaf(tree, g, node, board, player, depth, width, height, states_out[n_eval])
    eval_slots[n_eval] = slot
    return n_eval + 1


@numba.njit(cache=True, nogil=True)
def select_leaves(tree, trees, width, height, n_in_row, rule, c_puct, forced_k,
                  stones, leaf_node, leaf_value, eval_trees, states_out):
    """Walk each tree in ``trees`` (int32 [K]) from its root to a leaf, making the leaf's node.

    A walk stops at an UNEXPANDED node (the root of a new tree, or the node just made for the
    move taken) or at a TERMINAL one. Writes ``leaf_node[g]``; for a terminal leaf its value in
    ``leaf_value[g]``; for the others appends ``g`` to ``eval_trees`` and the leaf's planes to
    ``states_out`` (float32 [G, 4, H, W]) in the same order. Returns how many need evaluating.
    ``forced_k`` > 0 first gives every root move its forced playouts (``forced_action``).
    Precondition: ``n_nodes[g] < capacity`` for every walked tree.
    """
    n_eval = 0
    for i in range(trees.shape[0]):
        g = trees[i]
        board = stones[g]
        board[:] = tree.root_stones[g]
        player = tree.root_player[g]
        node, depth = ROOT, 0
        while tree.state[g, node] == EXPANDED:
            a = -1
            if node == ROOT and forced_k > 0.0:
                a = forced_action(tree, board, g, forced_k)
            if a < 0:
                a = select_action(tree, board, g, node, c_puct)
            board[a] = player
            player = opponent(player)
            depth += 1
            node = make_child(tree, g, node, a, board, depth, width, height, n_in_row, rule)
        n_eval = record_leaf(tree, g, node, board, player, depth, width, height, g, n_eval,
                             leaf_node, leaf_value, eval_trees, states_out)
    return n_eval


@numba.njit(cache=True, nogil=True)
def _leaf_player(tree, board, g, node):
    """The player to move at ``node`` of tree ``g``, whose position is ``board``."""
    if node == ROOT:
        return tree.root_player[g]
    return opponent(board[tree.move[g, node]])


@numba.njit(cache=True, nogil=True)
def expand_leaf(tree, g, node, board, priors, root_noise, noise_pending, noise_weight, width,
                height, rule, legal):
    """Expand the evaluated leaf ``node`` of tree ``g`` (position ``board``) with ``priors``.

    ``priors`` (float32 [A]) are renormalised over the leaf's legal points (uniform if they put
    no mass there); the other empty points get ILLEGAL_PRIOR. A root with ``noise_pending``
    mixes in ``root_noise[g]`` with ``noise_weight``. ``legal`` is scratch, bool [A] under renju.
    Returns False, and makes the node TERMINAL with DRAW_VALUE, when under renju black is to
    move there without a legal point; else True.
    """
    black = tree.root_black[g]
    masked = rule == RENJU and _leaf_player(tree, board, g, node) == black
    if masked and legal_mask(board, width, height, black, rule, legal, black) == 0:
        tree.state[g, node] = TERMINAL
        tree.terminal_value[g, node] = DRAW_VALUE
        return False
    total, n_legal = 0.0, 0
    for a in range(board.shape[0]):
        if board[a] == EMPTY and (not masked or legal[a]):
            total += priors[a]
            n_legal += 1
    noisy = node == ROOT and noise_pending[g]
    for a in range(board.shape[0]):
        p = 0.0
        if board[a] == EMPTY and masked and not legal[a]:
            p = ILLEGAL_PRIOR
        elif board[a] == EMPTY:
            p = priors[a] / total if total > 0.0 else 1.0 / n_legal
            if noisy:
                p = (1.0 - noise_weight) * p + noise_weight * root_noise[g, a]
        tree.child_prior[g, node, a] = p
    if noisy:
        noise_pending[g] = False
    tree.state[g, node] = EXPANDED
    return True


@numba.njit(cache=True, nogil=True)
def expand_and_backup(tree, trees, n_eval, eval_trees, priors, values, leaf_node, leaf_value,
                      stones, root_noise, noise_pending, noise_weight, width, height, rule):
    """Expand the evaluated leaves with their priors (``expand_leaf``), then back up every
    walked tree's value.

    ``priors`` float32 [n_eval, A]; ``values`` (float32 [n_eval]) are for the player to move at
    the leaf; the leaf's node gets the negated value and the sign flips at every level up to the
    root. A leaf ``expand_leaf`` makes TERMINAL backs up its DRAW_VALUE instead.
    """
    legal = np.ones(stones.shape[1] if rule == RENJU else 0, np.bool_)  # bool [A]: renju black
    for k in range(n_eval):
        g = eval_trees[k]
        leaf_value[g] = values[k] if expand_leaf(
            tree, g, leaf_node[g], stones[g], priors[k], root_noise, noise_pending, noise_weight,
            width, height, rule, legal) else DRAW_VALUE
        tree.raw_value[g, leaf_node[g]] = leaf_value[g]
    for i in range(trees.shape[0]):
        g = trees[i]
        node = leaf_node[g]
        v = -np.float64(leaf_value[g])
        while node != NO_NODE:
            tree.visits[g, node] += 1
            tree.value_sum[g, node] += v
            v = -v
            node = tree.parent[g, node]


@numba.njit(cache=True, nogil=True)
def add_root_noise(tree, trees, root_noise, noise_pending, noise_weight):
    """Mix ``root_noise[g]`` into the priors of each expanded root's legal points now; mark new
    roots pending."""
    for i in range(trees.shape[0]):
        g = trees[i]
        if tree.state[g, ROOT] != EXPANDED:
            noise_pending[g] = True
            continue
        for a in range(tree.root_stones.shape[1]):
            if tree.root_stones[g, a] == EMPTY and tree.child_prior[g, ROOT, a] != ILLEGAL_PRIOR:
                tree.child_prior[g, ROOT, a] = ((1.0 - noise_weight) * tree.child_prior[g, ROOT, a]
                                                + noise_weight * root_noise[g, a])


@numba.njit(cache=True, nogil=True)
def keep_subtree(tree, g, new_root, renumber):
    """Make node ``new_root`` of tree ``g`` the ROOT, keeping its subtree and dropping the rest.

    Kept nodes move down to 0, 1, 2, ... in their old order, so copying in increasing old index
    never overwrites a kept node before it is read. ``renumber`` is scratch, int32 [C].
    """
    n = tree.n_nodes[g]
    renumber[:n] = NO_NODE
    renumber[new_root] = ROOT
    count = 1
    for old in range(new_root + 1, n):
        p = tree.parent[g, old]
        if renumber[p] != NO_NODE:
            renumber[old] = count
            count += 1
    for old in range(new_root, n):
        new = renumber[old]
        if new == NO_NODE:
            continue
        p = tree.parent[g, old]
        tree.parent[g, new] = NO_NODE if old == new_root else renumber[p]
        tree.move[g, new] = tree.move[g, old]
        tree.visits[g, new] = tree.visits[g, old]
        tree.value_sum[g, new] = tree.value_sum[g, old]
        tree.raw_value[g, new] = tree.raw_value[g, old]
        tree.state[g, new] = tree.state[g, old]
        tree.terminal_value[g, new] = tree.terminal_value[g, old]
        for a in range(tree.child_node.shape[2]):
            child = tree.child_node[g, old, a]
            tree.child_node[g, new, a] = NO_NODE if child == NO_NODE else renumber[child]
            tree.child_prior[g, new, a] = tree.child_prior[g, old, a]
    tree.n_nodes[g] = count


@numba.njit(cache=True, nogil=True)
def root_child_visits(tree, trees, out):
    """``out[i, a]`` = visits of move ``a`` at the root of tree ``trees[i]`` (int32 [K, A])."""
    for i in range(trees.shape[0]):
        g = trees[i]
        for a in range(tree.child_node.shape[2]):
            child = tree.child_node[g, ROOT, a]
            out[i, a] = 0 if child == NO_NODE else tree.visits[g, child]
