"""What a BatchedSearch found, read after a search: each root move's mean value, the root's
value, the main line.

Invariants:
- The functions only read the search; they never change its trees.
- Values are seen by the player to move at the root of the tree read: in the search's ``Tree`` a
  node's ``value_sum`` is seen by the player who moved into it, which for a child of the root is
  the root's player to move, so ``root_q`` is ``value_sum / visits`` of the root's children as
  they are stored. A move no playout has taken (or an occupied point) has no mean: NaN.
- The principal variation follows the most visited child (lowest move number on ties) from the
  root until a node with no visited child, or ``max_moves`` moves.
"""
from __future__ import annotations

import numpy as np

from gomoku.validation import Int

from . import tree as T


def _trees(search):
    """The ``mcts.tree.Tree`` of ``search`` (all its trees): the one place naming the attribute."""
    return search.tree


def _tree_index(search, tree) -> int:
    return Int(0, search.n_trees - 1).check("tree", tree)


def _child_visits(trees, tree: int, node: int) -> tuple[np.ndarray, np.ndarray]:
    """(child node int32 [A], its visits int32 [A]) of each move from ``node``; 0 visits where no
    child was made."""
    children = trees.child_node[tree, node]
    made = children != T.NO_NODE
    visits = np.where(made, trees.visits[tree, np.where(made, children, 0)], 0)
    return children, visits


def root_q(search, tree: int) -> np.ndarray:
    """float32 [A]: the mean backed-up value of each root move of ``tree``, for the player to
    move at the root (in [-1, 1]); NaN for moves no playout has taken."""
    tree = _tree_index(search, tree)
    trees = _trees(search)
    children, visits = _child_visits(trees, tree, T.ROOT)
    sums = trees.value_sum[tree, np.where(children != T.NO_NODE, children, 0)]
    q = np.full(children.shape[0], np.nan, np.float32)
    visited = visits > 0
    q[visited] = sums[visited] / visits[visited]
    return q


def root_value(search, tree: int) -> float:
    """The search's value of ``tree``'s root for its player to move: the mean backed-up value
    of its root moves weighted by their visits (0.0 before any playout left the root)."""
    tree = _tree_index(search, tree)
    trees = _trees(search)
    children, visits = _child_visits(trees, tree, T.ROOT)
    total = int(visits.sum())
    if total == 0:
        return 0.0
    sums = trees.value_sum[tree, np.where(children != T.NO_NODE, children, 0)]
    return float(np.sum(np.where(visits > 0, sums, 0.0)) / total)


def principal_variation(search, tree: int, max_moves: int = 10) -> list[int]:
    """The moves of ``tree``'s most visited line from its root, at most ``max_moves`` of them."""
    tree = _tree_index(search, tree)
    max_moves = Int(0).check("max_moves", max_moves)
    trees = _trees(search)
    line: list[int] = []
    node = T.ROOT
    while len(line) < max_moves:
        children, visits = _child_visits(trees, tree, node)
        move = int(np.argmax(visits))
        if visits[move] == 0:
            break
        line.append(move)
        node = int(children[move])
    return line
