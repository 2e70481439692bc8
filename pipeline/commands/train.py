"""`gomoku-zero train`: self-play training with the reference trainer's log, resumable."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline import run_config
from pipeline.checkpoint import NoCheckpointError, atomic_write_bytes

from .common import DEFAULT_CONFIG, UsageError, check_at_least, load_config, repo_path

HELP = "train a policy-value net by self-play against itself (AlphaZero, the reference's KL-adaptive trainer)"
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
    parser.add_argument("--accept-config-changes", action="store_true",
                        help="with --resume: go on although config.yaml was edited since the "
                             "checkpoint (never the board)")
    parser.add_argument("--actors", type=int, default=None, metavar="N",
                        help="play self-play on N Ray actors, this process being the learner "
                             "(distributed.actors; 0: in this process); if None, the config's")
    parser.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="with actors: join the Ray cluster at ADDR (HOST:PORT, 'auto'; "
                             "distributed.address); if None, the config's (null: a local Ray)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print one line per train step with its loss")
    parser.add_argument("--no-tensorboard", action="store_true",
                        help="write metrics.jsonl only, no TensorBoard event files")
    # tests: stop (with a checkpoint) once this many self-play games are done
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)


def prepare_run(args) -> tuple[run_config.Config, Path]:
    """Check everything given before anything is created; returns the config and run directory."""
    check_at_least("--seed", args.seed, 0)
    check_at_least("--game-batch-num", args.game_batch_num, 1)
    check_at_least("--stop-after", args.stop_after, 1)
    check_at_least("--actors", args.actors, 0)
    if args.ray_address is not None and not args.ray_address:
        raise UsageError("--ray-address must not be empty")
    if args.resume:
        if args.run_dir is None:
            raise UsageError("--resume needs --run-dir DIR")
        if args.seed is not None:
            raise UsageError("--seed cannot change a resumed run")
        run_dir = Path(args.run_dir)
        saved = run_dir / run_config.RUN_CONFIG_FILE
        if not saved.exists():
            raise UsageError(f"{run_dir} holds no run to resume (no {run_config.RUN_CONFIG_FILE})")
        config = load_config(saved)
    else:
        path = repo_path(args.config)
        config = load_config(path)
        if args.seed is not None:
            config = config.replace("run", seed=args.seed).replace("search", seed=args.seed)
        run_dir = Path(args.run_dir) if args.run_dir else \
            Path("runs") / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        if (run_dir / run_config.RUN_CONFIG_FILE).exists():
            raise UsageError(f"{run_dir} already holds a run: add --resume to go on with it, "
                             f"or choose another --run-dir")
        if config.training.init_model:  # before the run directory is written
            from pipeline.training_run import check_init_model
            check_init_model(config, repo_path(config.training.init_model))
    if args.game_batch_num is not None:
        config = config.replace("training", game_batch_num=args.game_batch_num)
    if args.actors is not None:
        config = config.replace("distributed", actors=args.actors)
    if args.ray_address is not None:
        if config.distributed.actors == 0:
            raise UsageError("--ray-address needs self-play actors (--actors N, or "
                             "distributed.actors in the config)")
        config = config.replace("distributed", address=args.ray_address)
    if config.distributed.actors:
        from pipeline.distributed import ray_missing
        if ray_missing():
            raise UsageError(ray_missing())
    if args.verbose and not config.run.verbose:
        config = config.replace("run", verbose=True)
    return config, run_dir


def run(args) -> int:
    config, run_dir = prepare_run(args)
    from pipeline.run_directory import RunLock
    from pipeline.training_run import RunLog, TrainingRun, build_net

    run_dir.mkdir(parents=True, exist_ok=True)
    lock = RunLock(run_dir).acquire()  # before anything in the directory is written
    try:
        if not args.resume:
            write_config(run_dir, config)
        log = RunLog(run_dir)
        net = build_net(config)
        training = TrainingRun(config, run_dir, net, log, tensorboard=not args.no_tensorboard)
        try:
            return _train(args, config, run_dir, training, log)
        finally:
            training.close()
            log.close()
    finally:
        lock.release()


def write_config(run_dir: Path, config: run_config.Config) -> None:
    atomic_write_bytes(run_dir / run_config.RUN_CONFIG_FILE, config.to_yaml().encode())


def _train(args, config, run_dir: Path, training, log) -> int:
    restored = None
    if args.resume:
        try:
            restored = training.restore(accept_config_changes=args.accept_config_changes)
        except NoCheckpointError as exc:
            log.warn(f"error: cannot resume: {exc}")
            return 1
        if (args.game_batch_num is not None or args.accept_config_changes
                or args.actors is not None or args.ray_address is not None):
            write_config(run_dir, config)  # the run goes on with these settings
    else:
        log(f"training {config.board.description}; run directory {run_dir}")
    if restored is None and config.training.init_model:  # a run from its beginning
        training.start_from_model(repo_path(config.training.init_model))
    from pipeline.distributed import SelfPlayError
    try:
        training.run(stop_after=args.stop_after)
    except KeyboardInterrupt:
        log.warn(f"stopped at once; the last checkpoint is after batch {training.last_checkpoint}")
        return EXIT_INTERRUPTED
    except SelfPlayError as exc:
        log.warn(f"error: {exc}; the last checkpoint is after batch {training.last_checkpoint}")
        return 1
    log(f"checkpoint after batch {training.progress.batch} in {run_dir / 'checkpoints'}")
    return 0
