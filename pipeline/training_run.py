"""The training loop: self-play rounds, KL-adaptive updates, periodic matches, checkpoints.

A round plays ``games_at_once`` self-play games together; then each game in turn is one "batch"
of the reference's log: it enters the buffer, its line is printed, it earns ``updates_per_game``
updates (run once the buffer holds more than ``batch_size`` positions), and every ``check_freq``
batches the current net plays its match against pure MCTS. Checkpoints are written at the end of
a round, so a resumed run starts the next round exactly where the stopped one would have: game
``i`` of the run always draws its moves from ``game_rng(search.seed, i)``, and minibatches and
match seeds come from one NumPy generator whose state is in the checkpoint.
"""
from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gomoku.openings import random_openings

from . import checkpoint, log_lines
from .actor import SelfPlayRounds
from .evaluator import play_match
from .gate import Gate
from .generations import save_generation
from .learner import Trainer
from .metrics import MetricsWriter
from .replay_buffer import ReplayBuffer
from .run_config import Config

CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "train.log"
CURRENT_POLICY = "current_policy.model"
BEST_POLICY = "best_policy.model"
FORMAT_VERSION = 1
SEED_BOUND = 2**31  # seeds handed to the pure MCTS player


class RunLog:
    """Prints each line to a stream and appends it to the run's ``train.log``."""

    def __init__(self, run_dir: Path, stream=None):
        self.stream = sys.stdout if stream is None else stream
        self._file = open(Path(run_dir) / LOG_FILE, "a")

    def __call__(self, line: str) -> None:
        print(line, file=self.stream, flush=True)
        self._file.write(line + "\n")
        self._file.flush()

    def warn(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


@dataclass
class Progress:
    """Everything of the loop that is not an array: saved in a checkpoint's metadata."""

    batch: int = 0  # self-play games done
    n_updates: int = 0
    updates_owed: float = 0.0  # fractional updates earned and not yet run
    best_win_ratio: float = 0.0
    pure_playout: int = 0
    elapsed: float = 0.0  # seconds of training, summed over resumes


class StopRequested:
    """First Ctrl-C (or SIGTERM): finish the round, checkpoint and stop. A second: stop at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, log):
        self.requested = False
        self._log = log
        self._previous = {}

    def __enter__(self):
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self._log.warn("interrupted: finishing this round, then writing a checkpoint "
                       "(Ctrl-C again to stop at once)")

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False


def build_net(config: Config):
    """The net of a new run, after seeding TensorFlow (and making its ops deterministic if asked)."""
    import keras
    import tensorflow as tf

    from net import PolicyValueNet
    if config.run.deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.run.seed)
    tf.random.set_global_generator(tf.random.Generator.from_seed(config.run.seed))
    return PolicyValueNet.for_game(config.board, config.net, seed=config.run.seed)


class TrainingRun:
    """A run in ``run_dir``: the actor's self-play rounds feed the replay buffer, the learner
    updates ``net`` from it, the evaluator matches it against pure MCTS; checkpoints between rounds."""

    def __init__(self, config: Config, run_dir, net, log: RunLog, tensorboard: bool = True):
        self.config = config
        self.run_dir = Path(run_dir)
        self.net = net
        self.log = log
        t, b = config.training, config.board
        self.buffer = ReplayBuffer(t.buffer_size, b.height, b.width)
        self.trainer = Trainer(net, t)
        self.rng = np.random.default_rng(config.run.seed)
        self.progress = Progress(pure_playout=config.evaluation.pure_playout)
        self.metrics = MetricsWriter(self.run_dir, tensorboard=tensorboard)
        self.selfplay = SelfPlayRounds(net, config)
        self.last_checkpoint = 0
        self._round_started = time.perf_counter()
        self.gate = Gate(net, self.run_dir / BEST_POLICY) if config.evaluation.gate else None

    # -- checkpoints ----------------------------------------------------------------------------
    def checkpoint_state(self) -> tuple[dict, dict]:
        import tensorflow as tf
        arrays = {f"net/{k}": v for k, v in self.net.get_weights_and_optimizer().items()}
        arrays.update(self.buffer.to_arrays())
        arrays["tf_generator_state"] = tf.random.get_global_generator().state.numpy()
        meta = {
            "format": FORMAT_VERSION,
            "progress": vars(self.progress).copy(),
            "lr_multiplier": self.trainer.lr_multiplier,
            "numpy_rng": self.rng.bit_generator.state,
            "config": self.config.to_dict(),
        }
        return arrays, meta

    def save_checkpoint(self) -> Path:
        arrays, meta = self.checkpoint_state()
        path = checkpoint.save(self.run_dir / CHECKPOINT_DIR, self.progress.batch, arrays, meta,
                               keep=self.config.run.keep_checkpoints)
        self.last_checkpoint = self.progress.batch
        return path

    def restore(self) -> Path | None:
        """Load the newest good checkpoint, if the run wrote any; returns its path or None.

        A run stopped before its first checkpoint starts again from the beginning (the same
        games, as the seeds are in the config). Raises checkpoint.NoCheckpointError when there
        are checkpoints but none loads.
        """
        import tensorflow as tf
        directory = self.run_dir / CHECKPOINT_DIR
        if not checkpoint.list_checkpoints(directory):
            self.metrics.truncate_after(0)
            self.log("no checkpoint yet: starting the run from the beginning")
            return None
        path, arrays, meta = checkpoint.load_latest(directory, self.log.warn)
        self.net.set_weights_and_optimizer(
            {k[len("net/"):]: v for k, v in arrays.items() if k.startswith("net/")})
        self.buffer.load_arrays(arrays)
        tf.random.get_global_generator().reset(arrays["tf_generator_state"])
        self.progress = Progress(**meta["progress"])
        self.trainer.lr_multiplier = meta["lr_multiplier"]
        self.rng.bit_generator.state = meta["numpy_rng"]
        self.last_checkpoint = self.progress.batch
        self.metrics.truncate_after(self.progress.batch)
        self.log(f"resumed from {path.name} after batch {self.progress.batch}")
        return path

    # -- the loop -------------------------------------------------------------------------------
    def run(self, stop_after: int | None = None) -> None:
        """Train up to ``game_batch_num`` games (or until ``stop_after`` games, or Ctrl-C)."""
        t = self.config.training
        last = t.game_batch_num if stop_after is None else min(stop_after, t.game_batch_num)
        with StopRequested(self.log) as stop:
            while self.progress.batch < last and not stop.requested:
                self._round_started = time.perf_counter()
                self._round(min(t.games_at_once, last - self.progress.batch))
                self.progress.elapsed += time.perf_counter() - self._round_started
                if (self.progress.batch - self.last_checkpoint >= self.config.run.checkpoint_every
                        or self.progress.batch >= last or stop.requested):
                    self.save_checkpoint()

    def _round(self, n_games: int) -> None:
        cfg = self.config
        first = self.progress.batch
        started = time.perf_counter()
        games = self.selfplay.play(first, n_games)
        seconds = max(time.perf_counter() - started, 1e-9)
        n_positions = sum(g.length for g in games)
        speed = {"games_per_hour": n_games * 3600.0 / seconds, "positions_per_s": n_positions / seconds}
        for game in games:
            self.progress.batch += 1
            self.buffer.add_game(game.states, game.mcts_probs, game.z)
            self.log(log_lines.batch_line(self.progress.batch, game.length))
            self._updates(game.length, speed)
            if self.progress.batch % cfg.evaluation.check_freq == 0:
                self._match()
            every = cfg.run.keep_generation_every
            if every and self.progress.batch % every == 0:
                save_generation(self.run_dir, self.net, self.progress.batch, self._wall_time())

    def _updates(self, episode_len: int, speed: dict) -> None:
        t = self.config.training
        self.progress.updates_owed += t.updates_per_game
        n = int(self.progress.updates_owed)
        self.progress.updates_owed -= n
        if len(self.buffer) <= t.batch_size:
            return
        for _ in range(n):
            started = time.perf_counter()
            states, probs, winners = self.buffer.sample(t.batch_size, self.rng)
            result = self.trainer.update(states, probs, winners)
            seconds = time.perf_counter() - started
            self.progress.n_updates += 1
            if self.config.run.verbose:
                for i, loss in enumerate(result.epoch_losses, start=1):
                    self.log(log_lines.epoch_line(i, t.epochs, loss))
            self.log(log_lines.update_line(result))
            self.metrics.write(self.progress.batch, {
                "loss": result.loss, "entropy": result.entropy, "kl": result.kl,
                "lr_multiplier": result.lr_multiplier,
                "explained_var_old": result.explained_var_old,
                "explained_var_new": result.explained_var_new,
                "episode_len": episode_len, **speed, "update_seconds": seconds,
                "pure_playout": self.progress.pure_playout,
                "time": self._wall_time(), "updates": self.progress.n_updates})

    def _wall_time(self) -> float:
        return self.progress.elapsed + time.perf_counter() - self._round_started

    def _match(self) -> None:
        cfg, p = self.config, self.progress
        self.log(log_lines.checkpoint_batch_line(p.batch))
        started = time.perf_counter()
        e, b = cfg.evaluation, cfg.board
        seed = int(self.rng.integers(SEED_BOUND))
        openings = random_openings(b.width, b.height, b.n_in_row, e.openings,
                                   -(-e.n_games // 2), seed) if e.openings else None
        wins, losses, ties = play_match(
            self.net, cfg.board, e.search, n_games=e.n_games, pure_playout=p.pure_playout,
            pure_c_puct=e.pure_c_puct, seed=seed, desc=f"match vs pure {p.pure_playout}",
            openings=openings)
        win_ratio = (wins + 0.5 * ties) / cfg.evaluation.n_games
        self.log(log_lines.match_line(p.pure_playout, wins, losses, ties))
        self.metrics.write(p.batch, {"win_ratio": win_ratio, "pure_playout": p.pure_playout,
                                     "match_seconds": time.perf_counter() - started,
                                     "time": self._wall_time()})
        self.net.save_model(str(self.run_dir / CURRENT_POLICY))
        if win_ratio > p.best_win_ratio:
            p.best_win_ratio = win_ratio
            if self.gate is None:  # else best_policy.model follows the gate
                self.log(log_lines.NEW_BEST_LINE)
                self.net.save_model(str(self.run_dir / BEST_POLICY))
            if p.best_win_ratio == 1.0 and p.pure_playout < cfg.evaluation.pure_playout_max:
                p.pure_playout = min(p.pure_playout + cfg.evaluation.pure_playout_step,
                                     cfg.evaluation.pure_playout_max)
                p.best_win_ratio = 0.0
        if self.gate is not None:
            g = self.gate.challenge(self.net, e.search, e.n_games, openings, seed)
            self.log(log_lines.gate_line(g.wins, g.losses, g.draws, g.score, g.replaced))
            self.metrics.write(p.batch, {"gate_score": g.score, "time": self._wall_time()})
            if g.replaced:
                self.net.save_model(str(self.run_dir / BEST_POLICY))

    def close(self) -> None:
        self.metrics.close()
