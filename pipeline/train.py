"""`gomoku-zero train`: self-play training with the reference trainer's log, resumable."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import config as config_module
from .checkpoint import NoCheckpointError, atomic_write_bytes
from .cli import UsageError

HELP = "train a policy-value net by self-play against itself (AlphaZero, the reference's KL-adaptive trainer)"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = "configs/6x6x4.yaml"
EXIT_INTERRUPTED = 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=DEFAULT_CONFIG,
                        help="YAML config of a new run (a resumed run uses the one in its directory)")
    parser.add_argument("--run-dir", default=None,
                        help="directory of the run; if None, runs/<config name>-<date-time>")
    parser.add_argument("--resume", action="store_true",
                        help="go on from the newest good checkpoint in --run-dir")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of a new run: sets run.seed and search.seed; if None, the config's")
    parser.add_argument("--game-batch-num", type=int, default=None, metavar="N",
                        help="train until N self-play games in all (training.game_batch_num; "
                             "with --resume, extends or shortens the run); if None, the config's")
    parser.add_argument("--verbose", action="store_true",
                        help="also print one line per train step with its loss")
    parser.add_argument("--no-tensorboard", action="store_true",
                        help="write metrics.jsonl only, no TensorBoard event files")
    # tests: stop (with a checkpoint) once this many self-play games are done
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)


def resolve_config_path(name: str) -> Path:
    """A config path as given, else relative to the repository (so the default works anywhere)."""
    path = Path(name)
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path


def load_config(path) -> config_module.Config:
    try:
        return config_module.load(path)
    except config_module.ConfigError as exc:
        raise UsageError(f"{path}: {exc}") from None


def prepare_run(args) -> tuple[config_module.Config, Path]:
    """Check everything given before anything is created; returns the config and run directory."""
    for flag, value in (("--seed", args.seed), ("--game-batch-num", args.game_batch_num),
                        ("--stop-after", args.stop_after)):
        if value is not None and value < (0 if flag == "--seed" else 1):
            raise UsageError(f"{flag} must be {'>= 0' if flag == '--seed' else 'positive'}, got {value}")
    if args.resume:
        if args.run_dir is None:
            raise UsageError("--resume needs --run-dir DIR")
        if args.seed is not None:
            raise UsageError("--seed cannot change a resumed run")
        run_dir = Path(args.run_dir)
        saved = run_dir / config_module.RUN_CONFIG_FILE
        if not saved.exists():
            raise UsageError(f"{run_dir} holds no run to resume (no {config_module.RUN_CONFIG_FILE})")
        config = load_config(saved)
    else:
        path = resolve_config_path(args.config)
        config = load_config(path)
        if args.seed is not None:
            config = config.replace("run", seed=args.seed).replace("search", seed=args.seed)
        run_dir = Path(args.run_dir) if args.run_dir else \
            Path("runs") / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        if (run_dir / config_module.RUN_CONFIG_FILE).exists():
            raise UsageError(f"{run_dir} already holds a run: add --resume to go on with it, "
                             f"or choose another --run-dir")
    if args.game_batch_num is not None:
        config = config.replace("training", game_batch_num=args.game_batch_num)
    if args.verbose and not config.run.verbose:
        config = config.replace("run", verbose=True)
    return config, run_dir


def build_net(config: config_module.Config):
    """The net of a run, after seeding TensorFlow (and making its ops deterministic if asked)."""
    import keras
    import tensorflow as tf

    from net import PolicyValueNet
    if config.run.deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.run.seed)
    tf.random.set_global_generator(tf.random.Generator.from_seed(config.run.seed))
    return PolicyValueNet(config.board.width, config.board.height,
                          l2_const=config.net.l2_const, seed=config.run.seed)


def run(args) -> int:
    config, run_dir = prepare_run(args)
    from .training import RunLog, TrainingRun

    run_dir.mkdir(parents=True, exist_ok=True)
    if not args.resume or args.game_batch_num is not None:
        atomic_write_bytes(run_dir / config_module.RUN_CONFIG_FILE, config.to_yaml().encode())
    log = RunLog(run_dir)
    net = build_net(config)
    training = TrainingRun(config, run_dir, net, log, tensorboard=not args.no_tensorboard)
    try:
        if args.resume:
            try:
                training.restore()
            except NoCheckpointError as exc:
                log.warn(f"error: cannot resume: {exc}")
                return 1
        else:
            b = config.board
            log(f"training {b.width}x{b.height}, {b.n_in_row} in a row; run directory {run_dir}")
        try:
            training.run(stop_after=args.stop_after)
        except KeyboardInterrupt:
            log.warn(f"stopped at once; the last checkpoint is after batch {training.last_checkpoint}")
            return EXIT_INTERRUPTED
        log(f"checkpoint after batch {training.progress.batch} in {run_dir / 'checkpoints'}")
        return 0
    finally:
        training.close()
        log.close()

