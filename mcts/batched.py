"""BatchedSearch: PUCT search on G trees in lock step, one evaluator call per playout step.

Semantics (per tree; the reference trainer's AlphaZero search unless noted):
- a playout walks from the root by ``Q + c_puct * P * sqrt(N_parent) / (1 + N)`` (``Q`` = 0 for an
  untried move, lowest move number on ties) until it reaches a node never evaluated; the first
  playout of a new root evaluates the root itself;
- the leaf is evaluated by the network, its priors are kept for the legal points (the empty
  points, less black's forbidden ones under renju, which are never chosen) and renormalised
  over them (the reference keeps them unnormalised), and its value is backed up with the sign
  flipped at every level; a leaf where the game is over takes its true value (-1 for the player
  to move after a winning move under the game's rule, 0 for a full board) and is never sent to
  the evaluator;
- self-play mixes Dirichlet noise into the root's priors (AlphaZero paper), not into the choice of
  the move as the reference did.

A step walks every tree of the search to one leaf (with ``config.leaf_batch`` L > 1, up to L
leaves, with virtual loss: ``mcts.leaf_batch``), evaluates all the non-terminal leaves with one
call to ``evaluate(states float32 [B, 4, H, W]) -> (priors [B, H*W], values [B])`` and backs up,
so trees never interact: a tree's search is the same whichever other trees share the batch,
given an evaluator that treats each row on its own. A ``deadline`` (a ``time.monotonic()`` value)
is checked before every step: the playouts that run are the first ones of the search without it.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gomoku.board_config import BoardConfig
from gomoku.rules import EMPTY, opponent
from gomoku.variants import move_wins
from gomoku.validation import Int, is_int

from . import gumbel as GB
from . import leaf_batch as LB
from . import tree as T
from .deadline import checked_deadline
from .search_config import MAX_PLAYOUTS, SearchConfig

MIN_STEPS = 2  # a deadline never stops a run before: a new root's evaluation, then one move
# Trees start with room for a whole run when n_playout is at most PREALLOCATE_PLAYOUTS; above
# it they start at GROWING_START_NODES nodes, and a run with a deadline grows them as it goes,
# CHUNK_STEPS steps at least at a time, so a huge n_playout cap costs only what the time allows.
PREALLOCATE_PLAYOUTS = 2**14
GROWING_START_NODES = 2**10
CHUNK_STEPS = 256


class BatchedSearch:
    """``n_trees`` search trees of one game (``board``), each with its own root position.

    A tree is set with ``reset(i, board)`` and moved on with ``advance(i, move)`` (which keeps
    the subtree of the move). ``run`` adds ``config.n_playout`` playouts to each chosen tree
    (fewer when its deadline passes), so a root's visit count is its reused visits plus the
    playouts run. The search never keeps a Board: it copies the position.

    ``n_threads`` > 1 splits the trees of a ``run`` into that many parts, each stepped by its own
    thread with its own evaluator calls (``evaluate`` must then be thread-safe): one part's tree
    work, which releases the GIL, overlaps another's network call. Results do not change (with a
    deadline, each part checks it on its own, so parts may stop a step apart).

    Counters for benchmarks: ``evaluate_calls``, ``evaluated_positions``, ``evaluate_seconds``
    (summed over threads) and ``steps`` (playout steps of one part).
    """

    def __init__(self, board: BoardConfig, n_trees: int, config: SearchConfig, n_threads: int = 1):
        if not isinstance(board, BoardConfig):
            raise ValueError(f"board must be a BoardConfig, got {type(board).__name__}")
        if not isinstance(config, SearchConfig):
            raise ValueError(f"config must be a SearchConfig, got {type(config).__name__}")
        self.board = board
        self.width, self.height, self.n_in_row = board.width, board.height, board.n_in_row
        self.rule = board.rule_code  # the kernels' rule code
        self.n_moves = board.n_moves
        self.n_trees = Int(1).check("n_trees", n_trees)
        self.n_threads = Int(1).check("n_threads", n_threads)
        self.config = config
        capacity = config.n_playout + 1 if config.n_playout <= PREALLOCATE_PLAYOUTS \
            else GROWING_START_NODES
        self.tree = T.new_tree(self.n_trees, capacity, self.n_moves)
        g, a = self.n_trees, self.n_moves
        self._stones = np.zeros((g, a), np.int8)  # int8 [G, A]: each walk's leaf position
        self._leaf_node = np.zeros(g, np.int32)  # int32 [G]
        self._leaf_value = np.zeros(g, np.float32)  # float32 [G]: value for the leaf's mover
        # per thread: the tree of each evaluated row, int32 [G], and the rows, float32 [G, 4, H, W]
        self._batches = [(np.zeros(g, np.int32), np.zeros((g, 4, self.height, self.width),
                                                          np.float32))
                         for _ in range(self.n_threads)]
        self.leaf_batch = config.leaf_batch
        # per thread, for leaf batching: each path's leaf position, tree, node and value, the
        # paths evaluated and their rows
        paths = g * self.leaf_batch if self.leaf_batch > 1 else 0
        self._paths = [(np.zeros((paths, a), np.int8), np.zeros(paths, np.int32),
                        np.zeros(paths, np.int32), np.zeros(paths, np.float32),
                        np.zeros(paths, np.int32),
                        np.zeros((paths, 4, self.height, self.width), np.float32))
                       for _ in range(self.n_threads)]
        self._root_noise = np.zeros((g, a), np.float32)  # float32 [G, A]
        self._gumbel = np.zeros((g, a), np.float32)  # float32 [G, A]: Gumbel search's root draws
        self._budget = np.full(g, config.n_playout, np.int32)  # int32 [G]: its playouts
        self._noise_pending = np.zeros(g, np.bool_)  # bool [G]: mix noise when the root expands
        self._renumber = np.zeros(self.tree.capacity, np.int32)  # int32 [C]
        # stand-ins for the evaluator's output in a step where every leaf is terminal
        self._no_priors = np.zeros((0, a), np.float32)  # float32 [0, A]
        self._no_values = np.zeros(0, np.float32)  # float32 [0]
        self.evaluate_calls = 0
        self.evaluated_positions = 0
        self.evaluate_seconds = 0.0
        self.steps = 0

    # -- roots -------------------------------------------------------------------------------
    def _tree_index(self, i) -> int:
        if not is_int(i) or not 0 <= i < self.n_trees:
            raise ValueError(f"tree index {i!r} is not in range({self.n_trees})")
        return int(i)

    def reset(self, i: int, board) -> None:
        """Make tree ``i`` a new tree for ``board``'s position (which must not be over)."""
        i = self._tree_index(i)
        if board.config != self.board:
            raise ValueError(f"board {board.config.label} does not match the search's "
                             f"{self.board.label}")
        ended, winner = board.game_end()
        if ended:
            raise ValueError(f"cannot search a finished game (winner {winner})")
        tree = self.tree
        tree.root_stones[i] = board.stones
        tree.root_player[i] = board.current_player
        tree.root_last[i] = board.last_move
        tree.root_count[i] = int(np.count_nonzero(board.stones))
        tree.root_black[i] = board.first_player
        self._clear(i)

    def _clear(self, i: int) -> None:
        T.clear_node(self.tree, i, T.ROOT, T.NO_NODE, self.tree.root_last[i])
        self.tree.n_nodes[i] = 1
        self._noise_pending[i] = False
        self._gumbel[i] = 0.0
        self._budget[i] = self.config.n_playout

    def advance(self, i: int, move: int) -> None:
        """Play ``move`` at the root of tree ``i``, keeping the subtree below it.

        If the move ends the game the tree stays TERMINAL until ``reset``: ``run`` refuses it.
        """
        i = self._tree_index(i)
        tree = self.tree
        if not (0 <= move < self.n_moves) or tree.root_stones[i, move] != EMPTY:
            raise ValueError(f"move {move!r} is not an empty point of tree {i}'s root")
        child = int(tree.child_node[i, T.ROOT, move])
        tree.root_stones[i, move] = tree.root_player[i]
        tree.root_player[i] = opponent(tree.root_player[i])
        tree.root_last[i] = move
        tree.root_count[i] += 1
        if child == T.NO_NODE:
            self._clear(i)
            if tree.root_count[i] == self.n_moves or move_wins(
                    tree.root_stones[i], self.width, self.height, self.n_in_row, move, self.rule,
                    tree.root_black[i]):
                tree.state[i, T.ROOT] = T.TERMINAL
        else:
            T.keep_subtree(tree, i, child, self._renumber)
        self._noise_pending[i] = False

    # -- search ------------------------------------------------------------------------------
    def _ensure_capacity(self, trees: np.ndarray, steps: int) -> None:
        """Each playout makes at most one node: grow all trees if one might run out in ``steps``."""
        needed = int(self.tree.n_nodes[trees].max()) + steps
        if needed > self.tree.capacity:
            self.tree = T.grown(self.tree, max(needed, 2 * self.tree.capacity))
            self._renumber = np.zeros(self.tree.capacity, np.int32)

    def _trees(self, trees) -> np.ndarray:
        """``trees`` (default: all) as distinct tree indices, int32 [K]."""
        trees = np.arange(self.n_trees, dtype=np.int32) if trees is None \
            else np.asarray(trees, dtype=np.int32).reshape(-1)
        if trees.size and (trees.min() < 0 or trees.max() >= self.n_trees
                           or np.unique(trees).size != trees.size):
            raise ValueError(f"trees must be distinct indices in range({self.n_trees})")
        return trees

    def _per_root(self, name: str, values, trees: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float32)
        if values.shape != (trees.size, self.n_moves):
            raise ValueError(f"{name} must have shape {(trees.size, self.n_moves)}, "
                             f"got {values.shape}")
        return values

    def add_root_noise(self, trees, root_noise) -> None:
        """Mix ``root_noise`` (float [len(trees), A], zero on occupied points) into each root's
        priors with weight ``config.dirichlet_weight``: now if the root is expanded, else as soon
        as the next playout expands it."""
        trees = self._trees(trees)
        self._root_noise[trees] = self._per_root("root_noise", root_noise, trees)
        T.add_root_noise(self.tree, trees, self._root_noise, self._noise_pending,
                         self.config.dirichlet_weight)

    def set_gumbel(self, trees, gumbel, budget: int) -> None:
        """The Gumbel search (``config.algorithm`` gumbel) of each new root of ``trees``: its
        draws ``gumbel`` (float [len(trees), A]; zero, as after ``reset``, plays the best move)
        and its ``budget`` of playouts, which sequential halving spreads (``config.n_playout``
        after ``reset``)."""
        trees = self._trees(trees)
        self._gumbel[trees] = self._per_root("gumbel", gumbel, trees)
        self._budget[trees] = Int(1, MAX_PLAYOUTS).check("budget", budget)

    def run(self, evaluate, trees=None, root_noise=None, deadline=None,
            playouts: int | None = None) -> np.ndarray:
        """``playouts`` (default ``config.n_playout``) playouts on each tree of ``trees``
        (default: all), in lock step.

        ``root_noise``: see ``add_root_noise``. ``deadline`` (a ``time.monotonic()`` value, None
        for none): no step starts after it, but at least min(MIN_STEPS, playouts) run.
        Returns the playouts each tree of ``trees`` received, int64 [len(trees)]. A search may
        be run in parts: its trees' playouts do not depend on how they are split between calls.
        """
        deadline = checked_deadline(deadline)
        trees = self._trees(trees)
        if trees.size == 0:
            return np.zeros(0, np.int64)
        over = trees[self.tree.state[trees, T.ROOT] == T.TERMINAL]
        if over.size:
            raise ValueError(f"tree {over[0]}'s root is a finished game: reset it before searching")
        weight = self.config.dirichlet_weight
        if root_noise is not None:
            self.add_root_noise(trees, root_noise)
        parts = np.array_split(trees, min(self.n_threads, trees.size))
        starts = np.cumsum([0] + [part.size for part in parts])  # part i: trees[starts[i]:..]
        done = np.zeros(trees.size, np.int64)  # int64 [K]: playouts each tree received
        n_playout = self.config.n_playout if playouts is None \
            else Int(1, MAX_PLAYOUTS).check("playouts", playouts)
        step_playouts = self._playouts if self.leaf_batch == 1 else self._playouts_virtual
        while done.max() < n_playout:
            # without a deadline, one chunk of n_playout playouts; with one, chunks that fit the
            # trees' room (or CHUNK_STEPS, growing them), until a part stops at the deadline
            steps = n_playout - int(done.max())
            if deadline is not None:
                room = self.tree.capacity - int(self.tree.n_nodes[trees].max())
                steps = min(steps, max(room, CHUNK_STEPS))
            self._ensure_capacity(trees, steps + self.leaf_batch - 1)
            min_steps = max(MIN_STEPS - int(done.min()), 0)
            args = [(evaluate, part, weight, i, steps, deadline, min_steps,
                     n_playout - done[starts[i]:starts[i + 1]]) for i, part in enumerate(parts)]
            if len(parts) == 1:
                counts = [step_playouts(*args[0])]
            else:
                with ThreadPoolExecutor(len(parts)) as pool:
                    counts = list(pool.map(lambda a: step_playouts(*a), args))
            for i, (ran, n_steps, stopped, calls, positions, seconds) in enumerate(counts):
                done[starts[i]:starts[i + 1]] += ran
                self.evaluate_calls += calls
                self.evaluated_positions += positions
                self.evaluate_seconds += seconds
            self.steps += max(n_steps for _, n_steps, *_ in counts)
            if any(stopped for _, _, stopped, *_ in counts):
                break  # the deadline passed
        return done

    def _playouts(self, evaluate, trees: np.ndarray, weight: float, part: int, n_steps: int,
                  deadline: float | None, min_steps: int, remaining: np.ndarray):
        """``n_steps`` lock-step playouts on ``trees`` with the buffers of thread ``part``, the
        ones after the first ``min_steps`` only while ``deadline`` has not passed (one playout a
        tree and step, so ``remaining``, each tree's playouts still to run, is not needed).

        Returns (playouts of each tree int64 [K], steps run, whether the deadline stopped it,
        evaluator calls, positions evaluated, seconds inside the evaluator).
        """
        tree = self.tree  # a run grows the trees only between calls of this
        eval_trees, states = self._batches[part]
        calls, positions, seconds = 0, 0, 0.0
        for step in range(n_steps):
            if deadline is not None and step >= min_steps and time.monotonic() >= deadline:
                return np.full(trees.size, step), step, True, calls, positions, seconds
            n_eval = self._select_leaves(tree, trees, eval_trees, states)
            priors, values, spent = self._evaluate(evaluate, states, n_eval)
            seconds += spent
            calls += int(n_eval > 0)
            positions += n_eval
            T.expand_and_backup(tree, trees, n_eval, eval_trees, priors, values, self._leaf_node,
                                self._leaf_value, self._stones, self._root_noise,
                                self._noise_pending, weight, self.width, self.height, self.rule)
        return np.full(trees.size, n_steps), n_steps, False, calls, positions, seconds

    def _select_leaves(self, tree: T.Tree, trees: np.ndarray, eval_trees: np.ndarray,
                       states: np.ndarray) -> int:
        """One walk per tree of ``trees`` by the config's algorithm (see ``tree.select_leaves``)."""
        cfg = self.config
        if cfg.gumbel:
            return GB.select_leaves_gumbel(
                tree, trees, self.width, self.height, self.n_in_row, self.rule, self._gumbel,
                self._budget, cfg.gumbel_k, cfg.gumbel_c_visit, cfg.gumbel_c_scale, self._stones,
                self._leaf_node, self._leaf_value, eval_trees, states)
        return T.select_leaves(tree, trees, self.width, self.height, self.n_in_row, self.rule,
                               cfg.c_puct, cfg.forced_playouts_k, self._stones, self._leaf_node,
                               self._leaf_value, eval_trees, states)

    def _playouts_virtual(self, evaluate, trees: np.ndarray, weight: float, part: int,
                          n_playouts: int, deadline: float | None, min_playouts: int,
                          remaining: np.ndarray):
        """Leaf-batched steps (``mcts.leaf_batch``) on ``trees`` with the buffers of thread
        ``part`` until each tree has ``n_playouts`` more playouts (up to ``leaf_batch - 1`` more)
        or its ``remaining`` ones; once every tree has ``min_playouts``, only while ``deadline``
        has not passed. A step walks ``min(leaf_batch, remaining)`` paths in a tree whatever the
        chunk, so a deadline's chunks give the steps of the search without one.

        Returns what ``_playouts`` does.
        """
        tree = self.tree  # a run grows the trees only between calls of this
        buffers = self._paths[part]
        stones, path_tree, leaf_node, leaf_value, eval_paths, states = buffers
        ran = np.zeros(trees.size, np.int64)
        walked = np.zeros(trees.size, np.int64)
        calls, positions, seconds, step = 0, 0, 0.0, 0
        try:
            while True:
                wanted = np.where(ran < n_playouts, remaining - ran, 0)
                if not wanted.any():
                    return ran, step, False, calls, positions, seconds
                if deadline is not None and ran.min() >= min_playouts and \
                        time.monotonic() >= deadline:
                    return ran, step, True, calls, positions, seconds
                n_paths, n_eval = LB.select_leaves_virtual(
                    tree, trees, wanted, self.leaf_batch, self.width, self.height, self.n_in_row,
                    self.rule, self.config.c_puct, stones, path_tree, leaf_node, leaf_value,
                    eval_paths, states, walked)
                priors, values, spent = self._evaluate(evaluate, states, n_eval)
                seconds += spent
                calls += int(n_eval > 0)
                positions += n_eval
                LB.expand_and_backup_virtual(tree, n_paths, n_eval, eval_paths, priors, values,
                                             path_tree, leaf_node, leaf_value, stones,
                                             self._root_noise, self._noise_pending, weight,
                                             self.width, self.height, self.rule)
                ran += walked
                step += 1
        except BaseException:
            tree.virtual[trees] = 0  # a failed step's walks are dropped with their virtual losses
            raise

    def _evaluate(self, evaluate, states: np.ndarray, n_eval: int):
        """The checked output of ``evaluate`` on the first ``n_eval`` rows of ``states`` (the
        empty stand-ins when there are none), and the seconds spent inside it."""
        if not n_eval:
            return self._no_priors, self._no_values, 0.0
        start = time.perf_counter()
        priors, values = evaluate(states[:n_eval])
        seconds = time.perf_counter() - start
        return (*self._check_output(priors, values, n_eval), seconds)

    def _check_output(self, priors, values, n: int):
        priors = np.ascontiguousarray(priors, dtype=np.float32)
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        if priors.shape != (n, self.n_moves) or values.shape != (n,):
            raise ValueError(f"evaluate returned priors {priors.shape} and values {values.shape}; "
                             f"expected ({n}, {self.n_moves}) and ({n},)")
        if not (np.isfinite(priors).all() and np.isfinite(values).all()):
            raise ValueError("evaluate returned priors or values that are not finite")
        return priors, values

    # -- results -----------------------------------------------------------------------------
    def root_visits(self, trees=None) -> np.ndarray:
        """int32 [K, A]: the visit count of every root move of each tree (0 if untried/illegal)."""
        trees = np.arange(self.n_trees, dtype=np.int32) if trees is None \
            else np.asarray(trees, dtype=np.int32).reshape(-1)
        out = np.zeros((trees.size, self.n_moves), np.int32)
        T.root_child_visits(self.tree, trees, out)
        return out

    def _expanded_roots(self, trees) -> np.ndarray:
        trees = self._trees(trees)
        if (self.tree.state[trees, T.ROOT] != T.EXPANDED).any():
            raise ValueError("a tree's root was not searched yet")
        return trees

    def chosen_moves(self, trees=None) -> np.ndarray:
        """The move each searched tree of ``trees`` plays without sampling, int64 [K]: the most
        visited root move (lowest on ties) for PUCT; for Gumbel, the best of the most visited
        by ``gumbel + logits + sigma(completed Q)`` (``mcts.gumbel``)."""
        trees = self._expanded_roots(trees)
        if not self.config.gumbel:
            return most_visited(self.root_visits(trees))
        out = np.zeros(trees.size, np.int64)
        GB.chosen_moves(self.tree, trees, self._gumbel, self.config.gumbel_c_visit,
                        self.config.gumbel_c_scale, out)
        return out

    def improved_policy(self, trees=None) -> np.ndarray:
        """The Gumbel search's policy target of each searched tree of ``trees``: the root's
        ``softmax(logits + sigma(completed Q))`` over its legal moves, float32 [K, A]."""
        trees = self._expanded_roots(trees)
        out = np.zeros((trees.size, self.n_moves), np.float32)
        GB.improved_policy(self.tree, trees, self.config.gumbel_c_visit,
                           self.config.gumbel_c_scale, out)
        return out

    def search(self, boards, evaluate, deadline=None) -> np.ndarray:
        """Evaluation play: a fresh noiseless search of each board (tree ``i`` for ``boards[i]``),
        ``config.n_playout`` playouts, fewer if ``deadline`` passes (as in ``run``).

        Returns the root visit counts, int32 [len(boards), A]; ``chosen_moves`` picks the moves.
        """
        if len(boards) > self.n_trees:
            raise ValueError(f"{len(boards)} boards but only {self.n_trees} trees")
        for i, board in enumerate(boards):
            self.reset(i, board)
        trees = np.arange(len(boards), dtype=np.int32)
        self.run(evaluate, trees, deadline=deadline)
        return self.root_visits(trees)


def most_visited(visits: np.ndarray) -> np.ndarray:
    """The most visited move of each row of ``visits`` [K, A] (lowest move on ties), int64 [K]."""
    return np.argmax(visits, axis=-1)


def visit_distribution(visits: np.ndarray, legal: np.ndarray, temp: float) -> np.ndarray:
    """The reference's move probabilities: ``softmax(log(visits + 1e-10) / temp)`` over legal moves.

    ``visits`` [..., A], ``legal`` bool [..., A]; returns float64 [..., A], 0 on illegal points.
    ``temp`` 1 gives visits / total; a small ``temp`` (1e-3) puts ~all mass on the most visited.
    """
    logits = np.where(legal, np.log(visits + 1e-10) / temp, -np.inf)
    logits = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=-1, keepdims=True)


def pruned_visits(visits: np.ndarray, priors: np.ndarray, q: np.ndarray, c_puct: float,
                  forced_k: float) -> np.ndarray:
    """KataGo's policy target pruning of a root searched with forced playouts, int64 [A].

    ``visits`` int [A], ``priors`` (the root's, noise included) and ``q`` (for the player to
    move; NaN where unvisited) float [A]. Every move but the most visited one ``b`` loses up to
    its ``sqrt(forced_k * P * N)`` forced visits (``N``: all the root's child visits), as long as
    its PUCT score ``Q + c_puct * P * sqrt(N + 1) / (1 + n)`` stays at most ``b``'s; a move left
    with one visit loses it too.
    """
    visits = np.asarray(visits, np.int64)
    total = int(visits.sum())
    best = int(np.argmax(visits))
    scale = c_puct * np.sqrt(total + 1)
    best_score = q[best] + scale * priors[best] / (1 + visits[best])
    out = visits.copy()
    for a in np.flatnonzero(visits):
        if a == best:
            continue
        gap = best_score - q[a]
        # the fewest visits that keep its score at most the best's (all of them if none does)
        fewest = max(int(np.ceil(scale * priors[a] / gap - 1)), 0) if gap > 0 else visits[a]
        forced = int(np.floor(np.sqrt(forced_k * priors[a] * total)))
        out[a] = min(visits[a], max(visits[a] - forced, fewest))
        if out[a] <= 1:
            out[a] = 0
    return out


def dirichlet_noise(rng: np.random.Generator, legal: np.ndarray, alpha: float) -> np.ndarray:
    """float32 [A]: a ``Dir(alpha)`` draw over the legal points (in move order), 0 elsewhere."""
    noise = np.zeros(legal.shape[-1], np.float32)
    noise[legal] = rng.dirichlet(np.full(int(legal.sum()), alpha))
    return noise
