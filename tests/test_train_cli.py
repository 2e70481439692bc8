"""`gomoku-zero train` and `evaluate` end to end on the tiny config (in-process)."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import cli

REPO = Path(__file__).resolve().parent.parent
TF = pytest.importorskip("tensorflow")


def _config(tmp_path, **training) -> Path:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["training"].update({"game_batch_num": 8, **training})
    data["evaluation"]["check_freq"] = 4
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    run = tmp / "run"
    assert cli.main(["train", "--config", str(_config(tmp)), "--run-dir", str(run), "--verbose"]) == 0
    return run


def test_log_has_the_reference_lines_and_verbose_epoch_lines(run_dir):
    lines = (run_dir / "train.log").read_text().splitlines()
    batch_lines = [l for l in lines if l.startswith("batch i:")]
    assert [l.split(",")[0] for l in batch_lines] == [f"batch i:{i}" for i in range(1, 9)]
    first_update = next(i for i, l in enumerate(lines) if l.startswith("kl:"))
    # verbose: the train steps' lines come between the batch line and its kl line
    assert lines[first_update - 1].startswith("Epoch ")
    assert lines[first_update - 1].split(" - loss: ")[0] in ("Epoch 1/2", "Epoch 2/2")
    matches = [i for i, l in enumerate(lines) if l.startswith("num_playouts:")]
    assert len(matches) == 2  # at batches 4 and 8
    assert lines[matches[0] - 1] == "current self-play batch: 4"
    assert lines[matches[0]].startswith("num_playouts:20, win: ")


def test_run_dir_holds_the_resolved_config_metrics_and_tensorboard(run_dir):
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["training"]["game_batch_num"] == 8 and saved["search"]["n_playout"] == 8
    records = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    update = next(r for r in records if "loss" in r)
    for key in ("loss", "entropy", "kl", "lr_multiplier", "explained_var_old", "explained_var_new",
                "episode_len", "games_per_hour", "positions_per_s", "pure_playout", "time"):
        assert key in update
    assert any("win_ratio" in r for r in records)
    events = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert events
    tags = {v.tag for e in TF.compat.v1.train.summary_iterator(str(events[0])) for v in e.summary.value}
    assert {"loss", "kl", "win_ratio"} <= tags


def test_evaluate_command_plays_the_saved_model(run_dir, capsys):
    code = cli.main(["evaluate", "--model", str(run_dir / "best_policy.model"), "--games", "2",
                     "--playouts", "8", "--pure-playouts", "20"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    wins, losses, ties = (int(x.split(":")[1]) for x in out[0].split(", ")[1:])
    assert out[0].startswith("num_playouts:20, win: ") and wins + losses + ties == 2
    assert out[1] == f"win ratio: {(wins + 0.5 * ties) / 2:.3f}"
    assert cli.main(["evaluate", "--model", str(run_dir / "nothing.model")]) == 2


def test_plot_script_draws_a_png(run_dir, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "curves.png"
    subprocess.run([sys.executable, str(REPO / "scripts" / "plot_run.py"), str(run_dir),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctrl_c_finishes_the_round_and_writes_a_checkpoint_then_resume_and_extend(tmp_path,
                                                                                  monkeypatch):
    from pipeline import actor
    real_play = actor.SelfPlayRounds.play
    calls = []

    def play_then_interrupt(self, first_game, n_games):
        calls.append(first_game)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the second round is played
        return real_play(self, first_game, n_games)

    monkeypatch.setattr(actor.SelfPlayRounds, "play", play_then_interrupt)
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(_config(tmp_path)), "--run-dir", str(run),
                     "--no-tensorboard"]) == 0
    assert calls == [0, 2]
    assert sorted(p.name for p in (run / "checkpoints").iterdir())[-1] == "ckpt-00000004.npz"
    log = (run / "train.log").read_text()
    assert "interrupted: finishing this round" in log and "batch i:5," not in log
    monkeypatch.setattr(actor.SelfPlayRounds, "play", real_play)
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard"]) == 0
    log = (run / "train.log").read_text()
    assert "resumed from ckpt-00000004.npz after batch 4\nbatch i:5," in log
    assert "batch i:8," in log and "batch i:9," not in log
    # a finished run can be extended
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard",
                     "--game-batch-num", "10"]) == 0
    assert "resumed from ckpt-00000008.npz after batch 8\nbatch i:9," in (run / "train.log").read_text()
    assert yaml.safe_load((run / "config.yaml").read_text())["training"]["game_batch_num"] == 10


def test_damaged_checkpoints_fall_back_then_fail_clearly(tmp_path, capsys):
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(_config(tmp_path)), "--run-dir", str(run),
                     "--no-tensorboard", "--stop-after", "6"]) == 0
    ckpts = sorted((run / "checkpoints").iterdir())
    assert [p.name for p in ckpts] == ["ckpt-00000002.npz", "ckpt-00000004.npz", "ckpt-00000006.npz"]
    data = bytearray(ckpts[2].read_bytes())
    data[len(data) // 2] ^= 0x04
    ckpts[2].write_bytes(bytes(data))
    ckpts[1].write_bytes(ckpts[1].read_bytes()[:1000])
    capsys.readouterr()
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard",
                     "--stop-after", "4"]) == 0
    err = capsys.readouterr().err
    assert "warning: checkpoint ckpt-00000006.npz is damaged" in err
    assert "warning: checkpoint ckpt-00000004.npz is damaged" in err
    assert "resumed from ckpt-00000002.npz after batch 2" in (run / "train.log").read_text()
    # now ckpt-4 was written again; damage every checkpoint
    for path in (run / "checkpoints").iterdir():
        path.write_bytes(b"not a checkpoint")
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--no-tensorboard"]) == 1
    err = capsys.readouterr().err
    assert "error: cannot resume: none of the" in err and "is valid" in err


def test_a_run_directory_is_never_reused_without_resume(run_dir, tmp_path):
    assert cli.main(["train", "--config", str(REPO / "configs" / "tiny.yaml"),
                     "--run-dir", str(run_dir)]) == 2
