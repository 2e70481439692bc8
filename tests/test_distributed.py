"""Distributed self-play (pipeline.distributed): Ray actors feed one learner.

The runs use the tiny config (4x4 board) without matches, on a Ray the test starts with
``ray.init(num_cpus=2)``: a run on two actors logs every batch once; an actor killed with SIGKILL
loses at most the games it held, is restarted by Ray and the run completes; a learner stopped by
SIGINT leaves a checkpoint that resumes. Without Ray: the staleness filter, the pool's
back-pressure and loss accounting on a fake Ray, and a run without actors never imports Ray.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from pipeline import cli, run_config
from pipeline.distributed import ACTOR_NAME_PREFIX, RayActorPool, split_stale
from pipeline.training_run import RESUMABLE_CHANGES, config_differences

REPO = Path(__file__).resolve().parent.parent
GAMES_AT_ONCE = 2  # tiny.yaml's: an actor holds at most twice this many games


def _config(tmp_path, games=12, **distributed) -> Path:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["training"]["game_batch_num"] = games
    data["evaluation"]["check_freq"] = 1000  # no match: these runs are about self-play
    data["distributed"] = distributed
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _batches(log: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^batch i:(\d+), episode_len:\d+$", log, re.M)]


# -- without Ray --------------------------------------------------------------------------------
def test_the_staleness_filter_drops_games_older_than_max_staleness():
    records = [SimpleNamespace(game_index=i, generation=g) for i, g in enumerate([9, 7, 6, 5, 10])]
    kept, dropped, staleness = split_stale(records, generation=10, max_staleness=3)
    assert [r.game_index for r in kept] == [0, 1, 4]  # order kept
    assert [r.game_index for r in dropped] == [2, 3]  # 4 and 5 generations old
    assert staleness == [1, 3, 0]
    kept, dropped, _ = split_stale(records, generation=10, max_staleness=10)
    assert len(kept) == 5 and not dropped


def test_the_distributed_section_defaults_off_and_checks_its_keys():
    config = run_config.from_dict({})
    assert config.distributed.actors == 0 and config.distributed.address is None
    resolved = run_config.from_dict({"distributed": {"actors": 3}}).distributed.resolved(
        config.training)
    assert resolved.queue_size == 3 * config.training.games_at_once
    assert resolved.max_staleness == 2 * (3 + 3) * config.training.games_at_once
    for bad, key in [({"actors": -1}, "distributed.actors"), ({"address": ""}, "distributed.address"),
                     ({"max_restarts": -2}, "distributed.max_restarts"),
                     ({"weights_every": 0}, "distributed.weights_every")]:
        with pytest.raises(run_config.ConfigError, match=key):
            run_config.from_dict({"distributed": bad})
    # a checkpoint of before the section (or of another actor count) resumes
    old = {k: v for k, v in config.to_dict().items() if k != "distributed"}
    assert set(config_differences(old, config.to_dict())) <= set(RESUMABLE_CHANGES)


def test_flags_are_checked_before_anything_starts(tmp_path):
    config = str(REPO / "configs" / "tiny.yaml")
    assert cli.main(["train", "--config", config, "--run-dir", str(tmp_path / "a"),
                     "--ray-address", "auto"]) == 2  # no actors
    assert cli.main(["train", "--config", config, "--run-dir", str(tmp_path / "b"),
                     "--actors", "-1"]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_actors_without_ray_installed_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from pipeline import distributed
    monkeypatch.setattr(distributed.importlib_util, "find_spec", lambda name: None)
    assert cli.main(["train", "--config", str(REPO / "configs" / "tiny.yaml"),
                     "--run-dir", str(tmp_path / "a"), "--actors", "2"]) == 2
    assert "needs Ray: pip install 'gomoku-zero[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_a_run_without_actors_never_imports_ray():
    code = """
import sys
import numpy as np
from pipeline import run_config, training_run
from pipeline.commands import train
from pipeline.distributed import selfplay_source
config = run_config.load("configs/tiny.yaml")
uniform = lambda s: (np.full((len(s), 16), 1 / 16, np.float32), np.zeros(len(s), np.float32))
source = selfplay_source(type("Net", (), {"evaluate": staticmethod(uniform)}), config, print)
games = source.play(0, 3)
assert [g.game_index for g in games] == [0, 1, 2], games
print(type(source).__name__, sorted(m for m in sys.modules if m.split(".")[0] == "ray"))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "SelfPlayRounds []"


class FakeRef:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error


class FakeRay:
    """ray.put / wait / get / kill on FakeRefs that are always ready."""

    def put(self, value):
        return FakeRef(value)

    def wait(self, refs, num_returns=1, timeout=None):
        return list(refs), []

    def get(self, ref):
        if ref.error is not None:
            raise ref.error
        return ref.value

    def kill(self, handle, no_restart=True):
        pass


class FakeActor:
    """Finishes every game it holds at once, with the generation it was last sent."""

    def __init__(self):
        self.exchange = self
        self.held, self.generation, self.calls, self.dies = [], -1, [], False

    def remote(self, generation, weights, new_games):
        from ray.exceptions import ActorUnavailableError
        self.calls.append((generation, weights is not None, list(new_games)))
        if weights is not None:
            self.generation = generation
        self.held += new_games
        if self.dies:
            return FakeRef(error=ActorUnavailableError("killed", None))
        records = [SimpleNamespace(game_index=i, generation=self.generation, length=5)
                   for i in self.held]
        self.held = []
        return FakeRef((records, 10 * len(records), 4242))


def _fake_pool(actors=2, queue_size=4, max_staleness=3):
    pytest.importorskip("ray")
    config = run_config.load(REPO / "configs" / "tiny.yaml")
    config = config.replace("distributed", actors=actors, queue_size=queue_size,
                            max_staleness=max_staleness)
    lines = []

    class Log:
        warn = __call__ = staticmethod(lines.append)

    log = Log()
    net = SimpleNamespace(model=SimpleNamespace(get_weights=lambda: [np.zeros(3)]))
    pool = RayActorPool(net, config, log)
    fakes = [FakeActor() for _ in range(actors)]
    pool.attach(FakeRay(), fakes, first_game=0)
    return pool, fakes, lines


def test_back_pressure_bounds_the_games_handed_out_while_the_learner_takes_none():
    pool, fakes, _ = _fake_pool()
    held_max = 2 * GAMES_AT_ONCE
    for _ in range(10):
        pool._collect(0.0)  # the learner is busy: it only collects
    # every actor got its first batch and weights; then nothing more once the queue was full
    assert all(f.calls[0][1] and len(f.calls[0][2]) == held_max for f in fakes)
    assert len(pool.queue) == pool.next_game <= pool.settings.queue_size + 2 * held_max
    assert all(a.pending is None for a in pool.actors)  # the actors wait
    handed = pool.next_game
    games = pool.play(0, 6)  # the learner takes games: the actors get new ones
    assert [g.game_index for g in games] == list(range(6))
    assert pool.next_game > handed
    indices = [i for f in fakes for call in f.calls for i in call[2]]
    assert len(indices) == len(set(indices))  # no index is handed out twice


def test_stale_games_are_dropped_when_taken_and_counted():
    pool, fakes, _ = _fake_pool(max_staleness=3)
    pool._collect(0.0)
    queued = len(pool.queue)
    assert queued and all(r.generation == 0 for r in pool.queue)
    for _ in range(4):
        pool.weights_changed()  # generation 4: the queued games of generation 0 are too old
    games = pool.play(0, 2)
    assert all(g.generation >= 1 for g in games)
    stats = pool.round_stats()
    assert stats["stale_dropped"] == queued and stats["stale_dropped_total"] == queued
    assert stats["generation"] == 4 and stats["staleness_max"] <= 3
    assert pool.state()["generation"] == 4


def test_a_dead_actor_loses_only_the_games_it_held_and_gets_weights_again(monkeypatch):
    from pipeline import distributed
    monkeypatch.setattr(distributed, "RETRY_SECONDS", 0.0)
    pool, fakes, lines = _fake_pool(actors=2)
    pool._collect(0.0)
    fakes[0].dies = True
    pool.play(0, 6)  # room in the queue: both actors are sent new games, the first one dies
    fakes[0].dies = False
    pool._collect(0.0)  # its exchange failed: Ray restarts it
    lost = pool.totals["games_lost"]
    assert lost == 2 * GAMES_AT_ONCE and pool.totals["actor_deaths"] == 1
    assert any(f"lost its {lost} unfinished games; Ray restarts it (1 of 3)" in l for l in lines)
    assert fakes[0].calls[-1][1:] == (True, [])  # asked with the weights whether it is back
    pool._collect(0.0)  # it answered: it is back
    assert pool.actors[0].up and pool.totals == {"games_lost": lost, "stale_dropped": 0, "actor_deaths": 1}
    assert len(pool.play(0, 4)) == 4


def test_an_error_inside_an_actor_stops_the_run_with_one_line():
    from ray.exceptions import RayTaskError

    from pipeline.distributed import SelfPlayError
    pool, fakes, lines = _fake_pool(actors=1)
    error = RayTaskError("exchange", "Traceback (most recent call last):\nRuntimeError: boom",
                         RuntimeError("boom"))
    pool._collect(0.0)  # the first games come; the next exchange fails
    fakes[0].remote = lambda *args: FakeRef(error=error)
    pool.play(0, len(pool.queue))
    with pytest.raises(SelfPlayError, match="self-play actor 1 failed: .*boom"):
        pool._collect(0.0)
    assert any("boom" in line for line in lines)  # the actor's traceback is in the log


# -- on Ray -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    pytest.importorskip("tensorflow")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_a_run_on_two_actors_logs_every_batch_once(ray_session, tmp_path):
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(_config(tmp_path)), "--run-dir", str(run),
                     "--actors", "2", "--no-tensorboard"]) == 0
    log = (run / "train.log").read_text()
    assert _batches(log) == list(range(1, 13))
    assert "self-play on 2 Ray actors" in log and log.count("\nkl:") >= 10
    records = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    updates = [r for r in records if "loss" in r]
    assert updates and all(r["actors_alive"] == 2 and r["games_lost_total"] == 0 for r in updates)
    # weights_every 1: a generation per update (the record has it as the round began)
    assert updates[-1]["updates"] - GAMES_AT_ONCE <= updates[-1]["generation"] < updates[-1]["updates"]
    assert all(r["staleness_max"] is None or r["staleness_max"] <= 16 for r in updates)
    assert yaml.safe_load((run / "config.yaml").read_text())["distributed"]["actors"] == 2
    assert not [n for n in ray_session.util.list_named_actors() if n.startswith(ACTOR_NAME_PREFIX)]


def test_an_actor_killed_mid_run_loses_at_most_its_games_and_is_restarted(ray_session, tmp_path):
    ray = ray_session
    run = tmp_path / "run"
    found = {}

    def kill_the_actor():
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            log = run / "train.log"
            names = [n for n in ray.util.list_named_actors() if n.startswith(ACTOR_NAME_PREFIX)]
            if names and log.exists() and "batch i:2," in log.read_text():
                handle = ray.get_actor(names[0])
                found["pid"] = ray.get(handle.pid.remote())
                os.kill(found["pid"], signal.SIGKILL)
                while time.monotonic() < deadline:  # unavailable until Ray has restarted it
                    try:
                        found["new_pid"] = ray.get(handle.pid.remote(), timeout=60)
                        return
                    except ray.exceptions.RayActorError:
                        time.sleep(0.5)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_actor, daemon=True)
    killer.start()
    # one actor: the run can only complete on the restarted actor's games (at the kill at most
    # 4 games are taken, 2 more wait in the queue and 4 are held: 16 need the restarted actor)
    assert cli.main(["train", "--config", str(_config(tmp_path, games=16)), "--run-dir", str(run),
                     "--actors", "1", "--no-tensorboard"]) == 0
    killer.join(timeout=30)
    assert found.get("new_pid") not in (None, found["pid"])
    log = (run / "train.log").read_text()
    assert _batches(log) == list(range(1, 17))
    lost = re.findall(r"self-play actor 1 died \(\w+\): lost its (\d+) unfinished games; "
                      r"Ray restarts it \(1 of 3\)", log)
    assert len(lost) == 1 and int(lost[0]) <= 2 * GAMES_AT_ONCE
    last = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["actor_deaths_total"] == 1 and last["games_lost_total"] == int(lost[0])


def test_sigint_to_the_learner_leaves_a_checkpoint_that_resumes(ray_session, tmp_path):
    run = tmp_path / "run"
    address = ray_session.get_runtime_context().gcs_address
    out = open(tmp_path / "learner.out", "w")
    learner = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "train", "--config", str(_config(tmp_path, games=40)),
         "--run-dir", str(run), "--actors", "1", "--ray-address", address, "--no-tensorboard"],
        cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while not ((run / "train.log").exists() and "batch i:3," in (run / "train.log").read_text()):
            assert learner.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "learner.out").read_text()[-3000:]
            time.sleep(0.05)
        learner.send_signal(signal.SIGINT)
        assert learner.wait(timeout=120) == 0, (tmp_path / "learner.out").read_text()[-3000:]
    finally:
        if learner.poll() is None:
            learner.kill()
        out.close()
    log = (run / "train.log").read_text()
    assert "interrupted: finishing this round" in log
    stopped = _batches(log)[-1]
    assert stopped < 40 and _batches(log) == list(range(1, stopped + 1))
    assert sorted((run / "checkpoints").glob("ckpt-*.npz"))[-1].name == f"ckpt-{stopped:08d}.npz"
    assert f"checkpoint after batch {stopped} in" in log
    # the learner's actors went with it; the resumed run starts fresh ones
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard",
                     "--game-batch-num", str(stopped + 4)]) == 0
    log = (run / "train.log").read_text()
    assert f"resumed from ckpt-{stopped:08d}.npz after batch {stopped}\nself-play on 1 Ray actors" in log
    assert _batches(log) == list(range(1, stopped + 5))
