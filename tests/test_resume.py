"""Exact resume: stopped after batch k and resumed, a run prints what an unstopped run prints."""
import re
from pathlib import Path

import pytest
import yaml

from pipeline import cli

REPO = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(batch i:|kl:|num_playouts:|current self-play batch|New best)")


def _config(tmp_path) -> Path:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["run"]["deterministic_ops"] = True
    data["training"]["game_batch_num"] = 12
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _log_lines(run_dir: Path) -> list[str]:
    return [line for line in (run_dir / "train.log").read_text().splitlines() if LINE.match(line)]


def _after_batch(lines: list[str], k: int) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith(f"batch i:{k + 1},"))
    return lines[start:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    config = _config(tmp)
    whole, stopped = tmp / "whole", tmp / "stopped"
    common = ["--config", str(config), "--no-tensorboard"]
    assert cli.main(["train", *common, "--run-dir", str(whole)]) == 0
    assert cli.main(["train", *common, "--run-dir", str(stopped), "--stop-after", "6"]) == 0
    assert cli.main(["train", "--resume", "--run-dir", str(stopped), "--no-tensorboard"]) == 0
    return whole, stopped


def test_resumed_run_prints_the_same_lines_as_the_uninterrupted_one(runs):
    whole, stopped = runs
    a, b = _log_lines(whole), _log_lines(stopped)
    assert sum(l.startswith("kl:") for l in a) >= 8  # updates did run
    assert any(l.startswith("num_playouts:") for l in _after_batch(a, 6))  # and a match
    assert _after_batch(b, 6) == _after_batch(a, 6)
    assert b == a
    assert "resumed from ckpt-00000006.npz after batch 6" in (stopped / "train.log").read_text()


def test_the_run_directory_holds_config_log_metrics_checkpoints_and_models(runs):
    whole, stopped = runs
    for run in runs:
        names = {p.name for p in run.iterdir()}
        assert {"config.yaml", "train.log", "metrics.jsonl", "checkpoints"} <= names
        assert any(n.startswith("best_policy") for n in names)
        assert any(n.startswith("current_policy") for n in names)
        assert len(list((run / "checkpoints").glob("ckpt-*.npz"))) <= 3
    lines = [(run / "metrics.jsonl").read_text().count("\n") for run in runs]
    assert lines[0] == lines[1] > 0
