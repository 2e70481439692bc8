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

import dataclasses
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gomoku.openings import random_openings
from gomoku.validation import Float, Fraction, InputError, Int, check_fields, is_int
from net.model_file import ModelFileError, read_model_file, write_model_file
from net.net_config import NetConfig

from . import checkpoint, log_lines, run_directory
from .distributed import selfplay_source
from .evaluator import play_match
from .gate import Gate
from .generations import save_generation
from .learner import Trainer
from .metrics import TENSORBOARD_DIR, MetricsWriter
from .replay_buffer import ReplayBuffer
from .run_config import Config, DistributedConfig

CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "train.log"
CURRENT_POLICY = "current_policy.model"
BEST_POLICY = "best_policy.model"
FORMAT_VERSION = 2  # 2: the checkpoint holds its model files and the log's length
READABLE_FORMATS = (1, 2)
MODEL_FILES = (CURRENT_POLICY, BEST_POLICY)
MODEL_FILE_PREFIX = "model_file/"  # checkpoint arrays "model_file/<name>/<variable>"
# config keys a resumed run may change without --accept-config-changes (train's flags set them)
RESUMABLE_CHANGES = ("training.game_batch_num", "run.verbose", "distributed",
                     *(f"distributed.{f.name}" for f in dataclasses.fields(DistributedConfig)))
SEED_BOUND = 2**31  # seeds handed to the pure MCTS player
NET_SHAPE_KEYS = ("net.architecture", "net.blocks", "net.filters")  # a checkpoint's weights fit
# only the net they were trained in


def value_targets(game, training) -> np.ndarray:
    """float32 [T]: the value target of each of ``game``'s positions (``value_target_q``)."""
    w = training.value_target_q
    return game.z if w == 0 else ((1 - w) * game.z + w * game.root_values).astype(np.float32)


def check_init_model(config: Config, path) -> None:
    """ModelFileError unless model file ``path`` holds a net of ``config``'s game and
    architecture (a file of format v1 records only its board's size)."""
    saved = read_model_file(path)
    board = config.board
    fits = saved.board == board if saved.board else saved.board_size == (board.width, board.height)
    if not fits:
        held = saved.board.description if saved.board else "{}x{}".format(*saved.board_size)
        raise ModelFileError(f"{os.fspath(path)} holds a net of another game ({held}) than this "
                             f"run's ({board.description})")
    held = (saved.net or NetConfig()).label
    if held != config.net.label:
        raise ModelFileError(f"{os.fspath(path)} holds a {held} net, but this run's is "
                             f"{config.net.label}")


class ResumeError(InputError):
    """A checkpoint that this run cannot go on from as it is configured now."""


class RunLog:
    """Prints each line to a stream and appends it to the run's ``train.log``."""

    def __init__(self, run_dir: Path, stream=None):
        self.stream = sys.stdout if stream is None else stream
        self.path = Path(run_dir) / LOG_FILE
        self._file = open(self.path, "a")

    def __call__(self, line: str) -> None:
        print(line, file=self.stream, flush=True)
        self._file.write(line + "\n")
        self._file.flush()

    def warn(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        self._file.write(line + "\n")
        self._file.flush()

    def size(self) -> int:
        """Bytes in the log file (every line is flushed when written)."""
        return os.fstat(self._file.fileno()).st_size

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

    def __post_init__(self):  # a checkpoint's record is checked as it is read
        at_least_0 = Float(0.0, low_included=True)
        check_fields(self, batch=Int(0), n_updates=Int(0), updates_owed=at_least_0,
                     best_win_ratio=Fraction(), pure_playout=Int(0), elapsed=at_least_0)


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
    from net import PolicyValueNet  # first: it loads TensorFlow quietly

    import keras
    import tensorflow as tf
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
        self.selfplay = selfplay_source(net, config, log)  # in this process, or Ray actors
        self.last_checkpoint = 0
        # the weights of the model files written so far (a checkpoint keeps them): name -> arrays
        self.model_files: dict[str, dict] = {}
        self._round_started = time.perf_counter()
        self.gate = Gate(net) if config.evaluation.gate else None

    # -- checkpoints ----------------------------------------------------------------------------
    def checkpoint_state(self) -> tuple[dict, dict]:
        import tensorflow as tf
        arrays = {f"net/{k}": v for k, v in self.net.get_weights_and_optimizer().items()}
        arrays.update(self.buffer.to_arrays())
        arrays["tf_generator_state"] = tf.random.get_global_generator().state.numpy()
        for name, weights in self.model_files.items():
            arrays.update({f"{MODEL_FILE_PREFIX}{name}/{k}": v for k, v in weights.items()})
        self.metrics.flush()
        meta = {
            "format": FORMAT_VERSION,
            "progress": vars(self.progress).copy(),
            "lr_multiplier": self.trainer.lr_multiplier,
            "numpy_rng": self.rng.bit_generator.state,
            "config": self.config.to_dict(),
            "model_files": sorted(self.model_files),
            "log_bytes": self.log.size(),
            "selfplay": self.selfplay.state(),
            "tensorboard": run_directory.file_sizes(self.run_dir / TENSORBOARD_DIR),
        }
        return arrays, meta

    def save_checkpoint(self) -> Path:
        arrays, meta = self.checkpoint_state()
        path = checkpoint.save(self.run_dir / CHECKPOINT_DIR, self.progress.batch, arrays, meta,
                               keep=self.config.run.keep_checkpoints)
        self.last_checkpoint = self.progress.batch
        return path

    def restore(self, accept_config_changes: bool = False) -> Path | None:
        """Load the newest good checkpoint, if the run wrote any; returns its path or None.

        The run's files are then made those of the checkpoint's moment: the log and TensorBoard
        files cut back, the model files rewritten from the copies it holds (or removed), later
        generations and metrics dropped. A run stopped before its first checkpoint starts again
        from the beginning (the same games, as the seeds are in the config). Raises
        checkpoint.NoCheckpointError when there are checkpoints but none loads, and ResumeError
        (before any file is changed) when the checkpoint's format is unknown, its metadata is
        malformed, or its config differs from this run's (other
        than RESUMABLE_CHANGES, unless ``accept_config_changes``; never in the board or the
        net's architecture).
        """
        directory = self.run_dir / CHECKPOINT_DIR
        if not checkpoint.list_checkpoints(directory):
            self._cut_files_back(0, {"log_bytes": 0, "tensorboard": {}})
            self.log("no checkpoint yet: starting the run from the beginning")
            return None
        warnings = []
        path, arrays, meta = checkpoint.load_latest(directory, warnings.append)
        changes = self._check_resumable(path, meta, accept_config_changes)
        try:
            self._load_state(arrays, meta)
        except (KeyError, ValueError, TypeError) as exc:
            raise ResumeError(f"{path.name} does not fit this run "
                              f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") \
                from None
        self._cut_files_back(self.progress.batch, meta)
        for line in warnings:
            self.log.warn(line)
        if changes:
            self.log.warn(f"warning: resuming with a changed config: {', '.join(changes)}")
        self.log(f"resumed from {path.name} after batch {self.progress.batch}")
        return path

    def start_from_model(self, path) -> None:
        """Warm-start this run's net from model file ``path`` (``training.init_model``): its
        weights and optimizer state."""
        check_init_model(self.config, path)
        self.net.restore_model(path)
        self.selfplay.weights_changed()
        self.log(f"starting from the weights of {os.fspath(path)}")

    def _load_state(self, arrays: dict, meta: dict) -> None:
        import tensorflow as tf
        self.net.set_weights_and_optimizer(
            {k[len("net/"):]: v for k, v in arrays.items() if k.startswith("net/")})
        self.buffer.load_arrays(arrays)
        tf.random.get_global_generator().reset(arrays["tf_generator_state"])
        self.progress = Progress(**meta["progress"])
        self.trainer.lr_multiplier = float(meta["lr_multiplier"])
        self.rng.bit_generator.state = meta["numpy_rng"]
        self.last_checkpoint = self.progress.batch
        self.selfplay.load_state(meta.get("selfplay") or {})
        model_files = meta.get("model_files", [])
        if not set(model_files) <= set(MODEL_FILES):
            raise ValueError(f"unknown model files {model_files}")
        self.model_files = {
            name: {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            for name in model_files for prefix in (f"{MODEL_FILE_PREFIX}{name}/",)}

    def _check_resumable(self, path: Path, meta: dict, accept_config_changes: bool) -> list[str]:
        """The config keys that differ from the checkpoint's; ResumeError where they may not."""
        if meta.get("format") not in READABLE_FORMATS:
            raise ResumeError(f"{path.name} is of checkpoint format {meta.get('format')!r}; "
                              f"this version reads {', '.join(map(str, READABLE_FORMATS))}")
        for key in ("progress", "lr_multiplier", "numpy_rng", "config"):
            if key not in meta:
                raise ResumeError(f"{path.name} has no {key!r} in its metadata")
        for key in ("progress", "config", "tensorboard"):
            if not isinstance(meta.get(key, {}), dict):
                raise ResumeError(f"{path.name}: its {key!r} record is not a mapping")
        sizes = [meta.get("log_bytes", 0), *meta.get("tensorboard", {}).values()]
        if not all(is_int(size) and size >= 0 for size in sizes):
            raise ResumeError(f"{path.name}: its file sizes ('log_bytes', 'tensorboard') are "
                              f"not all byte counts")
        if set(meta["progress"]) != set(vars(Progress())):
            raise ResumeError(f"{path.name}: its progress record has other fields "
                              f"({', '.join(sorted(meta['progress']))})")
        saved = with_defaults(meta["config"], Config().to_dict())
        changed = [key for key in config_differences(saved, self.config.to_dict())
                   if key not in RESUMABLE_CHANGES]
        board = [key for key in changed if key.startswith("board.")]
        if board:
            raise ResumeError(f"the run's config changes the board since {path.name} "
                              f"({', '.join(board)}): a net cannot change its board")
        shape = [key for key in changed if key in NET_SHAPE_KEYS]
        if shape:
            raise ResumeError(f"the run's config changes the net since {path.name} "
                              f"({', '.join(shape)}): a net cannot change its architecture")
        if changed and not accept_config_changes:
            raise ResumeError(f"config.yaml differs from {path.name} in {', '.join(changed)}: "
                              f"undo the edit, or resume with --accept-config-changes")
        return changed

    def _cut_files_back(self, batch: int, meta: dict) -> None:
        """Make the run's files those of the moment the checkpoint of ``batch`` was written."""
        if run_directory.cut_file(self.log.path, meta.get("log_bytes", self.log.size())):
            self.log.warn(f"cut {LOG_FILE} back to batch {batch}")
        if "tensorboard" in meta:
            run_directory.cut_back(self.run_dir / TENSORBOARD_DIR, meta["tensorboard"])
        for name in MODEL_FILES:
            if name in self.model_files:
                self._write_model_file(name)
            elif (self.run_dir / name).exists():
                (self.run_dir / name).unlink()
                self.log.warn(f"removed {name}: it was written after batch {batch}")
        run_directory.remove_generations_after(self.run_dir, batch)
        self.metrics.truncate_after(batch)

    def _write_model_file(self, name: str) -> None:
        write_model_file(self.run_dir / name, self.net.board, self.net.config,
                         self.model_files[name])

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
        speed.update(self.selfplay.round_stats())  # a distributed source's own figures, staleness
        for game in games:
            self.progress.batch += 1
            self.buffer.add_game(game.states, game.mcts_probs, value_targets(game, cfg.training))
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
            self.selfplay.weights_changed()
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
                                   -(-e.n_games // 2), seed, b.rule) if e.openings else None
        wins, losses, ties = play_match(
            self.net, cfg.board, e.search, n_games=e.n_games, pure_playout=p.pure_playout,
            pure_c_puct=e.pure_c_puct, seed=seed, desc=f"match vs pure {p.pure_playout}",
            openings=openings)
        win_ratio = (wins + 0.5 * ties) / cfg.evaluation.n_games
        self.log(log_lines.match_line(p.pure_playout, wins, losses, ties))
        self.metrics.write(p.batch, {"win_ratio": win_ratio, "pure_playout": p.pure_playout,
                                     "match_seconds": time.perf_counter() - started,
                                     "time": self._wall_time()})
        self.model_files[CURRENT_POLICY] = self.net.get_weights_and_optimizer()
        self._write_model_file(CURRENT_POLICY)
        if win_ratio > p.best_win_ratio:
            p.best_win_ratio = win_ratio
            if self.gate is None:  # else best_policy.model follows the gate
                self.log(log_lines.NEW_BEST_LINE)
                self.model_files[BEST_POLICY] = self.model_files[CURRENT_POLICY]
                self._write_model_file(BEST_POLICY)
            if p.best_win_ratio == 1.0 and p.pure_playout < cfg.evaluation.pure_playout_max:
                p.pure_playout = min(p.pure_playout + cfg.evaluation.pure_playout_step,
                                     cfg.evaluation.pure_playout_max)
                p.best_win_ratio = 0.0
        if self.gate is not None:
            g = self.gate.challenge(self.net, self.model_files.get(BEST_POLICY), e.search,
                                    e.n_games, openings, seed)
            self.log(log_lines.gate_line(g.wins, g.losses, g.draws, g.score, g.replaced))
            self.metrics.write(p.batch, {"gate_score": g.score, "time": self._wall_time()})
            if g.replaced:
                self.model_files[BEST_POLICY] = self.model_files[CURRENT_POLICY]
                self._write_model_file(BEST_POLICY)

    def close(self) -> None:
        self.selfplay.close()
        self.metrics.close()


def with_defaults(saved: dict, defaults: dict) -> dict:
    """``saved`` (a nested config dict) with the keys it lacks taken from ``defaults``: a key
    added to the config since a checkpoint was written (``search.leaf_batch``) has the value it
    then had in effect, its default."""
    out = dict(saved)
    for key, value in defaults.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = with_defaults(out[key], value)
    return out


def config_differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two nested config dicts (or exist in one)."""
    keys = []
    for key in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += config_differences(a, b, f"{prefix}{key}.")
        elif a != b or (key in saved) != (key in current):
            keys.append(f"{prefix}{key}")
    return keys
