"""Where a run's self-play games come from: in this process, or from Ray actors on many machines.

``TrainingRun`` takes its games from one *self-play source*, an object with six methods:

    play(first_game, n_games) -> list[GameRecord]   the next ``n_games`` finished games (blocks)
    weights_changed()                                the learner has just updated its net once
    round_stats() -> dict                            numbers about the last ``play`` for metrics.jsonl
    state() -> dict, load_state(state)               what a checkpoint keeps of the source (JSON)
    close()

``selfplay_source(net, config, log)`` picks the source: ``actor.SelfPlayRounds`` when
``config.distributed.actors`` is 0 (games ``first_game ..`` played in rounds in this process, the
whole state in the game index; Ray is never imported), ``RayActorPool`` otherwise.

The pool (the learner's side) and its ``SelfPlayWorker`` actors (the other side):

- Each actor builds its own replica of the net from the config (TensorFlow runs in the actor) and
  plays the batched self-play of ``mcts.SelfPlay`` in a thread of its own, ``games_at_once``
  games at a time. The learner hands out game indices from one counter, so game ``i`` draws from
  ``game_rng(search.seed, i)`` wherever it is played; an index is never handed out twice in a
  run (the counter is in the checkpoint). Each actor holds at most ``2 * games_at_once`` indices
  (its games in play and the next batch's), so it never waits for the learner between two calls.
- The learner talks to each actor through one outstanding ``exchange`` call, which brings new
  weights (when there are) and new indices, and comes back with the actor's finished games as
  soon as there are some. The learner collects replies while it waits for games and after every
  update, and gives them to the run in the order they came.
- Weights: the net's model weights (``model.get_weights()``, no optimizer state) are put in the
  object store every ``weights_every`` updates, each time a new *generation*; an actor fetches a
  generation once, with its next exchange. A game carries the generation it started with
  (``GameRecord.generation``). When the learner takes a game, its staleness is the current
  generation minus the game's; games staler than ``max_staleness`` are dropped (``split_stale``).
- Ratio: the run earns ``updates_per_game`` updates for each game it takes, whatever the actors'
  speed. Back-pressure: while ``queue_size`` or more finished games wait for the learner, actors
  get no new indices, finish the games they hold and wait; a learner ahead of its actors waits
  in ``play``. So at most ``queue_size + actors * 2 * games_at_once`` finished games ever wait.
- Faults: an actor that dies (a killed process, a lost node) fails its exchange; its unfinished
  games (the indices it held) are lost and logged, Ray restarts it (``max_restarts``) and the
  learner sends it the current weights with new indices. The learner owns all the state, so a
  learner that dies is resumed from its checkpoint with fresh actors and the checkpoint's weights.
"""
from __future__ import annotations

import importlib.util as importlib_util
import math
import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace

from mcts.selfplay import GameRecord

from .run_config import Config, DistributedConfig

ACTOR_NAME_PREFIX = "gomoku-zero-selfplay"
EXCHANGE_TIMEOUT = 5.0  # seconds an exchange waits for a finished game before it answers empty
WAIT_SLICE = 0.5  # the learner waits for replies in slices, so Ctrl-C is handled promptly
HELD_BATCHES = 2  # an actor holds at most this many batches of game indices
RETRY_SECONDS = 1.0  # a dead actor is asked again this often whether Ray has restarted it ...
RESTART_TIMEOUT = 600.0  # ... for at most this long (a restart imports TensorFlow again)


class SelfPlayError(RuntimeError):
    """Distributed self-play cannot go on: Ray cannot be reached, or every actor is gone."""


def ray_missing() -> str | None:
    """Why ``distributed.actors`` cannot work here (Ray is not installed), or None."""
    if importlib_util.find_spec("ray") is None:
        return "self-play on Ray actors needs Ray: pip install 'gomoku-zero[ray]' (or 'ray')"
    return None


def selfplay_source(net, config: Config, log):
    """The run's self-play source: in this process (``distributed.actors`` 0) or on Ray actors."""
    if config.distributed.actors == 0:
        from .actor import SelfPlayRounds
        return SelfPlayRounds(net, config)
    return RayActorPool(net, config, log)


def split_stale(records, generation: int, max_staleness: int):
    """(kept, dropped, staleness of each kept game): a game is dropped when it started more than
    ``max_staleness`` generations before ``generation``."""
    kept, dropped, staleness = [], [], []
    for record in records:
        age = generation - record.generation
        if age > max_staleness:
            dropped.append(record)
        else:
            kept.append(record)
            staleness.append(age)
    return kept, dropped, staleness


# -- the actor ----------------------------------------------------------------------------------
class SelfPlayWorker:
    """A Ray actor's body: batched self-play on its own net replica, in a thread of its own.

    ``exchange`` hands it weights and game indices and takes its finished games; the play thread
    starts the indices in free slots, one move of every game per network step, and waits while it
    has neither games nor weights. Made a Ray actor by ``RayActorPool`` (``ray.remote``), so this
    module imports no Ray.
    """

    def __init__(self, config: Config):
        from net import PolicyValueNet  # first: it loads TensorFlow quietly

        import tensorflow as tf
        from mcts.selfplay import SelfPlay
        threads = max(1, int(config.distributed.num_cpus))
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        self.net = PolicyValueNet.for_game(config.board, config.net)
        self.runner = SelfPlay(self.net.evaluate, config.board, config.search,
                               n_parallel=config.training.games_at_once,
                               n_threads=config.training.selfplay_threads)
        self._cond = threading.Condition()
        self._todo: deque[int] = deque()  # indices handed in and not yet started
        self._outbox: list[GameRecord] = []
        self._weights = None  # (generation, weights) not yet loaded
        self._generation = -1  # of the loaded weights; -1: none yet
        self._started_with: dict[int, int] = {}  # game index -> generation at its start
        self._active = 0
        self._reported_positions = 0
        self._error: str | None = None
        threading.Thread(target=self._play, daemon=True, name="selfplay").start()

    def pid(self) -> int:
        return os.getpid()

    def exchange(self, generation: int, weights, new_games: list[int],
                 timeout: float = EXCHANGE_TIMEOUT):
        """Take ``weights`` (of ``generation``; None: no change) and ``new_games``; return
        ``(finished games, network positions evaluated since the last exchange, pid)`` as soon
        as a game is finished, after ``timeout`` seconds, or at once when there is nothing to do."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if weights is not None:
                self._weights = (generation, weights)
            self._todo.extend(new_games)
            self._cond.notify_all()
            while (not self._outbox and self._error is None
                   and (self._todo or self._active or self._weights is not None)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._error is not None:
                raise RuntimeError(f"self-play failed in the actor:\n{self._error}")
            finished, self._outbox = self._outbox, []
            positions = self.runner.search.evaluated_positions
            delta, self._reported_positions = positions - self._reported_positions, positions
        return finished, delta, os.getpid()

    def _play(self) -> None:
        try:
            while True:
                with self._cond:
                    while not (self._weights is not None
                               or (self._generation >= 0 and (self._todo or self._active))):
                        self._cond.wait()
                    weights, self._weights = self._weights, None
                if weights is not None:
                    self.net.model.set_weights(weights[1])
                    self._generation = weights[0]
                with self._cond:
                    while self._todo and self.runner.n_active < self.runner.search.n_trees:
                        index = self._todo.popleft()
                        self.runner.start_game(index)
                        self._started_with[index] = self._generation
                    self._active = self.runner.n_active
                if not self._active:
                    continue
                finished = self.runner.play_move()
                with self._cond:
                    self._outbox.extend(replace(r, generation=self._started_with.pop(r.game_index))
                                        for r in finished)
                    self._active = self.runner.n_active
                    if finished:
                        self._cond.notify_all()
        except BaseException:  # noqa: BLE001 - reported through the next exchange
            import traceback
            with self._cond:
                self._error = traceback.format_exc()
                self._cond.notify_all()


# -- the learner's side -------------------------------------------------------------------------
@dataclass
class _Actor:
    number: int
    handle: object
    held: set = field(default_factory=set)  # indices handed to it and not come back
    generation: int = -1  # the generation it was last sent; -1: it has no weights
    pending: object = None  # the ObjectRef of its exchange in flight, if any
    deaths: int = 0
    alive: bool = True  # False: given up (Ray no longer restarts it)
    up: bool = True  # False: dead, and not yet answering again since
    down_since: float = 0.0
    retry_at: float = 0.0
    pid: int | None = None


class RayActorPool:
    """Self-play on ``distributed.actors`` Ray actors (see the module's docstring).

    Ray starts (or is joined) at the first ``play``, so a resumed run's actors start with the
    checkpoint's weights; ``close`` kills the actors and stops a Ray it started.
    """

    def __init__(self, net, config: Config, log):
        self.net = net
        self.config = config
        self.log = log
        self.settings: DistributedConfig = config.distributed.resolved(config.training)
        self.held_max = HELD_BATCHES * config.training.games_at_once
        self.queue: deque[GameRecord] = deque()  # finished games the learner has not taken
        self.next_game = 0
        self.generation = 0
        self.updates_since_broadcast = 0
        self.totals = {"games_lost": 0, "stale_dropped": 0, "actor_deaths": 0}
        self.actors: list[_Actor] = []
        self._ray = None
        self._owns_ray = False
        self._weights_ref = None
        self._by_ref: dict = {}
        self._round = self._new_round()
        self.network_positions = 0  # evaluated by the actors' nets in this session (benchmarks)
        self.wait_seconds = 0.0  # the learner's time waiting for games in this session

    # -- the source's interface ------------------------------------------------------------------
    def play(self, first_game: int, n_games: int) -> list[GameRecord]:
        """The next ``n_games`` games that are fresh enough, in the order they came."""
        if self._ray is None:
            self._start(first_game)
        games: list[GameRecord] = []
        while len(games) < n_games:
            taken = [self.queue.popleft() for _ in range(min(n_games - len(games), len(self.queue)))]
            kept, dropped, staleness = split_stale(taken, self.generation,
                                                   self.settings.max_staleness)
            games += kept
            self._round["staleness"] += staleness
            self._round["stale_dropped"] += len(dropped)
            self.totals["stale_dropped"] += len(dropped)
            if len(games) < n_games:
                started = time.perf_counter()
                self._collect(WAIT_SLICE)
                waited = time.perf_counter() - started
                self._round["wait"] += waited
                self.wait_seconds += waited
        self._collect(0.0)  # the queue has room again: hand out indices
        return games

    def weights_changed(self) -> None:
        self.updates_since_broadcast += 1
        if self.updates_since_broadcast >= self.settings.weights_every:
            self.updates_since_broadcast = 0
            self.generation += 1
            self._weights_ref = self._ray.put(self.net.model.get_weights())
        self._collect(0.0)

    def round_stats(self) -> dict:
        """Since the last call: the games and positions that came per wall-clock time, the taken
        games' staleness, the games dropped and lost, the learner's wait; and the run's totals."""
        r, self._round = self._round, self._new_round()
        seconds = max(time.perf_counter() - r["since"], 1e-9)
        staleness = r["staleness"]
        return {
            "games_per_hour": r["games"] * 3600.0 / seconds,
            "positions_per_s": r["moves"] / seconds,
            "network_positions_per_s": r["positions"] / seconds,
            "generation": self.generation,
            "staleness_mean": sum(staleness) / len(staleness) if staleness else None,
            "staleness_max": max(staleness) if staleness else None,
            "stale_dropped": r["stale_dropped"], "games_lost": r["games_lost"],
            "learner_wait_s": r["wait"], "queue": len(self.queue),
            "actors_alive": sum(a.alive for a in self.actors),
            **{f"{k}_total": v for k, v in self.totals.items()},
        }

    def state(self) -> dict:
        return {"next_game": self.next_game, "generation": self.generation,
                "updates_since_broadcast": self.updates_since_broadcast, **self.totals}

    def load_state(self, state: dict) -> None:
        self.next_game = int(state.get("next_game", 0))
        self.generation = int(state.get("generation", 0))
        self.updates_since_broadcast = int(state.get("updates_since_broadcast", 0))
        for key in self.totals:
            self.totals[key] = int(state.get(key, 0))

    def close(self) -> None:
        if self._ray is None:
            return
        for actor in self.actors:
            try:
                self._ray.kill(actor.handle, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors, self._by_ref = [], {}
        if self._owns_ray:
            self._ray.shutdown()
        self._ray = None

    # -- inside ----------------------------------------------------------------------------------
    @staticmethod
    def _new_round() -> dict:
        return {"since": time.perf_counter(), "games": 0, "moves": 0, "positions": 0,
                "staleness": [], "stale_dropped": 0, "games_lost": 0, "wait": 0.0}

    def _start(self, first_game: int) -> None:
        import logging

        import ray
        s = self.settings
        if not ray.is_initialized():
            try:
                if s.address is None:
                    cpus = max(os.cpu_count() or 1, math.ceil(s.actors * s.num_cpus))
                    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                             logging_level=logging.WARNING)
                else:
                    ray.init(address=s.address, log_to_driver=False,
                             logging_level=logging.WARNING)
            except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError
                where = "start a local Ray" if s.address is None else f"join Ray at {s.address}"
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise SelfPlayError(f"cannot {where}: {type(exc).__name__}: {first[:300]}") \
                    from None
            self._owns_ray = True
        worker = ray.remote(SelfPlayWorker)
        token = uuid.uuid4().hex[:8]
        handles = [worker.options(
            name=f"{ACTOR_NAME_PREFIX}-{token}-{k}", num_cpus=s.num_cpus, num_gpus=s.num_gpus,
            max_restarts=s.max_restarts, max_task_retries=0, max_concurrency=2,
        ).remote(self.config) for k in range(1, s.actors + 1)]
        where = "a local Ray" if self._owns_ray and s.address is None else \
            f"Ray at {ray.get_runtime_context().gcs_address}"
        self.log(f"self-play on {s.actors} Ray actors ({where}); weights every "
                 f"{s.weights_every} updates, games at most {s.max_staleness} generations old")
        self.attach(ray, handles, first_game)

    def attach(self, ray, handles: list, first_game: int) -> None:
        """Start playing on the actors ``handles`` through ``ray`` (the module, or a fake)."""
        self._ray = ray
        self.next_game = max(self.next_game, first_game)
        self._weights_ref = ray.put(self.net.model.get_weights())
        self.actors = [_Actor(k, handle) for k, handle in enumerate(handles, start=1)]
        self._collect(0.0)

    def _collect(self, timeout: float) -> None:
        """Take the replies that are in (waiting up to ``timeout`` for a first one), then give
        every actor without an exchange in flight its next one."""
        refs = list(self._by_ref)
        if refs:
            ready, _ = self._ray.wait(refs, num_returns=1, timeout=timeout)
            if ready:
                ready, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
            for ref in ready:
                self._take_reply(self._by_ref.pop(ref), ref)
        elif timeout:
            time.sleep(timeout)  # every actor is down and waits for its next try
        now = time.monotonic()
        for actor in self.actors:
            if actor.alive and actor.pending is None and now >= actor.retry_at:
                self._send(actor)
        if not any(a.alive for a in self.actors):
            raise SelfPlayError("every self-play actor has died and none is restarted any more")

    def _take_reply(self, actor: _Actor, ref) -> None:
        from ray.exceptions import RayActorError, RayTaskError
        actor.pending = None
        try:
            finished, positions, actor.pid = self._ray.get(ref)
        except RayActorError as exc:
            self._lost(actor, exc)
            return
        except RayTaskError as exc:  # self-play itself failed: a bug, not a lost machine
            self.log.warn(str(exc).rstrip())
            lines = str(exc).strip().splitlines()
            raise SelfPlayError(f"self-play actor {actor.number} failed: "
                                f"{lines[-1] if lines else type(exc).__name__}") from None
        actor.up = True
        for record in finished:
            actor.held.discard(record.game_index)
            self.queue.append(record)
            self._round["games"] += 1
            self._round["moves"] += record.length
        self._round["positions"] += positions
        self.network_positions += positions

    def _send(self, actor: _Actor) -> None:
        """The actor's next exchange: new weights if it lacks them, new indices if the queue
        has room; none when it has nothing to do (it is sent one when the queue has room)."""
        new = []
        if actor.up and len(self.queue) < self.settings.queue_size:
            n = self.held_max - len(actor.held)
            new = list(range(self.next_game, self.next_game + n))
            self.next_game += n
        stale = actor.generation != self.generation
        if not new and not actor.held and not stale:
            return
        actor.pending = actor.handle.exchange.remote(
            self.generation, self._weights_ref if stale else None, new)
        actor.generation = self.generation
        actor.held.update(new)
        self._by_ref[actor.pending] = actor

    def _lost(self, actor: _Actor, exc: Exception) -> None:
        """An exchange failed: the actor died (or is not back yet from dying). Its unfinished
        games are lost; it is asked again every RETRY_SECONDS, with weights and no games, until
        Ray has restarted it."""
        from ray.exceptions import ActorDiedError
        now = time.monotonic()
        actor.generation = -1
        actor.retry_at = now + RETRY_SECONDS
        limit = self.settings.max_restarts
        if actor.up:  # it was answering: this is a new death
            actor.up, actor.down_since = False, now
            actor.deaths += 1
            lost = len(actor.held)
            actor.held.clear()
            self.totals["actor_deaths"] += 1
            self.totals["games_lost"] += lost
            self._round["games_lost"] += lost
            actor.alive = limit < 0 or actor.deaths <= limit
            what = (f"Ray restarts it ({actor.deaths} of {'unlimited' if limit < 0 else limit})"
                    if actor.alive else "it is not restarted any more")
            self.log.warn(f"self-play actor {actor.number} died ({type(exc).__name__}): "
                          f"lost its {lost} unfinished games; {what}")
        elif isinstance(exc, ActorDiedError) and getattr(exc, "actor_init_failed", False):
            actor.alive = False
            self.log.warn(f"self-play actor {actor.number} cannot start: "
                          f"{str(exc).strip().splitlines()[-1][:300]}")
        elif now - actor.down_since > RESTART_TIMEOUT:
            actor.alive = False
            self.log.warn(f"self-play actor {actor.number} did not come back within "
                          f"{RESTART_TIMEOUT:.0f} s; going on without it")
