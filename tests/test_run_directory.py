"""A run directory's files across crashes and resumes, and the lock that keeps one trainer in it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from gomoku import BoardConfig
from pipeline import checkpoint, cli
from pipeline.run_directory import RunInUseError, RunLock

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180.0


def tiny_config(tmp_path, **training) -> Path:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["training"].update(training)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def net_weights(path) -> dict:
    from net.model_file import read_model_file
    return read_model_file(path).arrays


def test_files_written_after_the_checkpoint_are_cut_back_on_resume(tmp_path):
    """After a crash, what the run wrote after its last checkpoint (model files, log lines, event
    files, generations) is from a future that was lost: resume makes them the checkpoint's."""
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(tiny_config(tmp_path)), "--run-dir", str(run),
                     "--stop-after", "6"]) == 0  # the match at batch 6 writes both model files
    log_lines = (run / "train.log").read_text().splitlines(keepends=True)
    assert log_lines[-1].startswith("checkpoint after batch 6")  # written after the checkpoint
    log_then = "".join(log_lines[:-1])
    models_then = {name: net_weights(run / name)
                   for name in ("current_policy.model", "best_policy.model")}
    events = sorted((run / "tensorboard").iterdir())
    events_then = {p.name: p.read_bytes() for p in events}
    assert events_then and all(events_then.values())
    # the lost future: newer model files, log lines, event records, generations
    from net import PolicyValueNet
    PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=99).save_model(run / "current_policy.model")
    with open(run / "train.log", "a") as f:
        f.write("batch i:7, episode_len:9\n")
    with open(events[0], "ab") as f:
        f.write(b"\x00" * 40)
    (run / "tensorboard" / "events.out.tfevents.later").write_bytes(b"\x01" * 40)
    (run / "generations").mkdir()
    for batch in (4, 8):
        (run / "generations" / f"gen-{batch:08d}.model").write_bytes(b"gen")

    assert cli.main(["train", "--resume", "--run-dir", str(run), "--stop-after", "6"]) == 0
    log_now = (run / "train.log").read_text()
    assert log_now.startswith(log_then) and "batch i:7" not in log_now
    assert "resumed from ckpt-00000006.npz after batch 6" in log_now
    for name, weights in models_then.items():
        now = net_weights(run / name)
        assert now.keys() == weights.keys()
        assert all(np.array_equal(now[k], weights[k]) for k in weights), name
    assert {p.name: p.read_bytes() for p in (run / "tensorboard").iterdir()} == events_then
    assert sorted(p.name for p in (run / "generations").iterdir()) == ["gen-00000004.model"]


def test_model_files_of_a_lost_match_are_removed(tmp_path):
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(tiny_config(tmp_path)), "--run-dir", str(run),
                     "--stop-after", "2", "--no-tensorboard"]) == 0
    from net import PolicyValueNet
    PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=1).save_model(run / "best_policy.model")
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--stop-after", "2",
                     "--no-tensorboard"]) == 0
    assert not (run / "best_policy.model").exists()  # no match had run by batch 2


def test_resume_restores_every_counter_buffer_stream_and_level_exactly(tmp_path):
    """What resume guarantees on the default config (ops not deterministic): the state it goes on
    from is bit for bit the one the checkpoint saved; a checkpoint of the resumed run is equal."""
    from pipeline import run_config
    from pipeline.training_run import RunLog, TrainingRun, build_net
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(tiny_config(tmp_path, game_batch_num=12)),
                     "--run-dir", str(run), "--stop-after", "6", "--no-tensorboard"]) == 0
    saved_arrays, saved_meta = checkpoint.decode(checkpoint.list_checkpoints(run / "checkpoints")[0])
    config = run_config.load(run / "config.yaml")
    assert not config.run.deterministic_ops
    log = RunLog(run)
    training = TrainingRun(config, run, build_net(config), log, tensorboard=False)
    try:
        training.restore()
        assert vars(training.progress) == saved_meta["progress"]
        assert training.progress.batch == 6 and training.progress.pure_playout >= 20
        assert training.trainer.lr_multiplier == saved_meta["lr_multiplier"]
        assert training.rng.bit_generator.state == saved_meta["numpy_rng"]
        arrays, meta = training.checkpoint_state()
        assert arrays.keys() == saved_arrays.keys()
        for key, value in saved_arrays.items():  # net, Adam, buffer, TF generator, model files
            assert np.array_equal(arrays[key], value), key
        for key in ("progress", "lr_multiplier", "numpy_rng", "config", "model_files"):
            assert meta[key] == saved_meta[key], key
    finally:
        training.close()
        log.close()


def test_the_lock_keeps_a_second_holder_out_until_the_first_lets_go(tmp_path):
    first = RunLock(tmp_path).acquire()
    with pytest.raises(RunInUseError, match=f"pid {os.getpid()}"):
        RunLock(tmp_path).acquire()
    first.release()
    RunLock(tmp_path).acquire().release()


def test_a_second_trainer_is_refused_with_one_line_while_the_first_goes_on(tmp_path, capsys):
    run = tmp_path / "run"
    config = tiny_config(tmp_path, game_batch_num=10000)
    command = [str(Path(sys.executable).parent / "gomoku-zero"), "train", "--config", str(config),
               "--run-dir", str(run), "--no-tensorboard"]
    first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        started = time.monotonic()
        while not ((run / "train.log").exists() and "kl:" in (run / "train.log").read_text()):
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() - started < START_TIMEOUT, "the first trainer did not start"
            time.sleep(0.2)
        assert cli.main(["train", "--resume", "--run-dir", str(run)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is in use by another training" in err
        assert first.poll() is None  # the first goes on
        first.send_signal(signal.SIGINT)  # finishes its round, checkpoints, stops
        assert first.wait(timeout=START_TIMEOUT) == 0
    finally:
        if first.poll() is None:
            first.kill()
    newest = checkpoint.list_checkpoints(run / "checkpoints")[0]
    batch = checkpoint.decode(newest)[1]["progress"]["batch"]
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard",
                     "--stop-after", str(batch + 1)]) == 0  # the lock went with the first
