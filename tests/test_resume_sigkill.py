"""Reliability: a training run on the tiny config killed with SIGKILL at random moments.

The test starts one harness process (this file run as a script). The harness imports TensorFlow
once, then for each trial forks a child that resumes the run (``gomoku-zero train --resume``)
and kills it with SIGKILL: at a random moment of its start-up, at a random moment after it
logged its first update, or as soon as it is writing a checkpoint (such a child writes slowly,
through the checkpoint module's test hook). After each kill the harness checks:
every checkpoint file left loads, no temp file is mistaken for one, the newest checkpoint never
goes back, and the next child resumes from exactly that checkpoint and goes on with the next
batch. The harness prints one JSON summary line.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRIALS = 21
MID_WRITE_EVERY = 3  # every third trial is killed while a checkpoint is being written ...
STARTUP_EVERY = 7  # ... every seventh at a random moment of its start-up ...
STARTUP_KILL_WINDOW = 3.0
TRAINING_KILL_WINDOW = 1.5  # ... and the others at a random moment of training
SLOW_WRITE_SECONDS = "0.4"
CHILD_TIMEOUT = 120.0  # a child that neither finished nor was killed by then fails the test
POLL = 0.002
FINAL_GAMES = 4


def _child(argv: list[str], out: Path, slow: bool) -> None:
    """In the forked child: run the command with its output in a file, then exit at once."""
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if slow:
        os.environ["GOMOKU_ZERO_SLOW_CHECKPOINT"] = SLOW_WRITE_SECONDS
    from pipeline import cli
    code = 1
    try:
        code = cli.main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _newest_valid(ckpt_dir: Path, ckpt) -> tuple[int, int]:
    """(batch of the newest checkpoint, number of checkpoint files); every file must load."""
    paths = ckpt.list_checkpoints(ckpt_dir)
    for path in paths:
        arrays, meta = ckpt.decode(path)  # raises CheckpointError: the test fails
        assert meta["progress"]["batch"] == int(path.stem.split("-")[1])
    return (int(paths[0].stem.split("-")[1]) if paths else 0), len(paths)


def harness(work: Path, config: Path, seed: int) -> dict:
    import random

    # imported once, before forking; no TensorFlow op runs in this process
    import net.policy_value_net
    from pipeline import checkpoint as ckpt
    from pipeline import cli, training_run  # noqa: F401
    # children evaluate through the plain graph: no XLA compile at each start (test speed only)
    net.policy_value_net.XLA_MAX_POINTS = 0
    rng = random.Random(seed)
    run_dir = work / "run"
    ckpt_dir = run_dir / "checkpoints"
    out = work / "children.log"
    newest, mid_write_kills = 0, 0
    resumed_from = []
    for trial in range(TRIALS):
        argv = (["train", "--resume", "--run-dir", str(run_dir)] if (run_dir / "config.yaml").exists()
                else ["train", "--config", str(config), "--run-dir", str(run_dir)])
        argv.append("--no-tensorboard")
        kind = ("startup" if trial % STARTUP_EVERY == 0 else
                "mid-write" if trial % MID_WRITE_EVERY == MID_WRITE_EVERY - 1 else "training")
        log = run_dir / "train.log"
        log_offset = log.stat().st_size if log.exists() else 0
        pid = os.fork()
        if pid == 0:
            _child(argv, out, slow=kind == "mid-write")
        start = time.monotonic()
        # a kill at a random moment of start-up, or of training (timed from the first update
        # logged: before it the child is still compiling its network functions)
        delay = rng.uniform(0.0, STARTUP_KILL_WINDOW if kind == "startup" else TRAINING_KILL_WINDOW)
        ready_at = start if kind == "startup" else None
        killed_writing = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                raise AssertionError(f"trial {trial}: the child ended by itself "
                                     f"(exit code {os.waitstatus_to_exitcode(status)})")
            now = time.monotonic()
            if ready_at is None and log.exists():
                with open(log) as f:
                    f.seek(log_offset)
                    if "\nkl:" in f.read():
                        ready_at = now
            # this child's temp file (a killed child's may be left until the next write)
            writing = ckpt_dir.is_dir() and any(p.name.startswith(ckpt.TEMP_PREFIX)
                                                and p.name.endswith(f".{pid}")
                                                for p in ckpt_dir.iterdir())
            if ((kind == "mid-write" and writing)
                    or (kind != "mid-write" and ready_at is not None and now - ready_at > delay)):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                killed_writing = writing
                break
            assert now - start < CHILD_TIMEOUT, f"trial {trial}: child still running"
            time.sleep(POLL)
        mid_write_kills += killed_writing
        batch, n_files = _newest_valid(ckpt_dir, ckpt)
        assert batch >= newest, f"trial {trial}: newest checkpoint went back from {newest} to {batch}"
        newest = batch
        resumed_from.append(batch)
    # a last child goes on unkilled for a few more games
    pid = os.fork()
    if pid == 0:
        _child(["train", "--resume", "--run-dir", str(run_dir), "--no-tensorboard",
                "--stop-after", str(newest + FINAL_GAMES)], out, False)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    assert code == 0, f"the last child exited with {code}"
    batch, _ = _newest_valid(ckpt_dir, ckpt)
    assert batch == newest + FINAL_GAMES, f"the last child stopped at {batch}, not {newest + FINAL_GAMES}"
    return {"trials": TRIALS, "mid_write_kills": mid_write_kills,
            "checkpoints_seen": sorted(set(resumed_from)), "final_batch": batch}


def _check_log(run_dir: Path, final_batch: int) -> None:
    """Each resume goes on with the batch after its checkpoint; the run reaches its end."""
    lines = (run_dir / "train.log").read_text().splitlines()
    resumed = re.compile(r"^resumed from ckpt-(\d+)\.npz after batch (\d+)$")
    expected_next = None
    for line in lines:
        m = resumed.match(line)
        if m:
            assert int(m.group(1)) == int(m.group(2))
            expected_next = int(m.group(2)) + 1
        elif line == "no checkpoint yet: starting the run from the beginning":
            expected_next = 1
        elif line.startswith("batch i:") and expected_next is not None:
            assert line.startswith(f"batch i:{expected_next},"), (line, expected_next)
            expected_next = None
    assert any(line.startswith(f"batch i:{final_batch},") for line in lines)


def test_sigkill_at_random_moments_always_resumes_from_a_valid_checkpoint(tmp_path):
    import yaml
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["training"]["game_batch_num"] = 10000  # never reached: every child is killed
    data["run"]["checkpoint_every"] = 1
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(data))
    proc = subprocess.run([sys.executable, __file__, str(tmp_path), str(config), "7"],
                          capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    lines = proc.stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if lines else {"error": proc.stderr[-3000:]}
    assert proc.returncode == 0 and "error" not in summary, summary.get("error")
    assert summary["trials"] >= 20
    assert summary["mid_write_kills"] >= 4
    assert len(summary["checkpoints_seen"]) >= 3  # the run made progress across kills
    _check_log(tmp_path / "run", summary["final_batch"])


if __name__ == "__main__":
    try:
        result = harness(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
    except Exception as exc:  # reported to the test as one JSON line
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    sys.exit(1 if "error" in result else 0)
