"""The training's strength options on the tiny config: generations with their sidecars, the
pure MCTS match from openings, the gate's log line; with the options off, the reference's log."""
import json
import re
from pathlib import Path

import pytest
import yaml

from pipeline import cli
from pipeline.generations import list_generations

REPO = Path(__file__).resolve().parent.parent
TF = pytest.importorskip("tensorflow")
REFERENCE_LINE = re.compile(
    r"^(training 4x4, 3 in a row; run directory .*|batch i:\d+, episode_len:\d+|kl:.*|"
    r"current self-play batch: \d+|num_playouts:\d+, win: \d+, lose: \d+, tie:\d+|"
    r"New best policy!!!!!!!!|checkpoint after batch \d+ in .*)$")


def _train(tmp_path, name, evaluation=None, run=None, games=8):
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["training"]["game_batch_num"] = games
    data["evaluation"].update({"check_freq": 4, "n_games": 4, **(evaluation or {})})
    data["run"].update(run or {})
    config = tmp_path / f"{name}.yaml"
    config.write_text(yaml.safe_dump(data))
    run_dir = tmp_path / name
    assert cli.main(["train", "--config", str(config), "--run-dir", str(run_dir),
                     "--no-tensorboard"]) == 0
    return run_dir


@pytest.fixture(scope="module")
def strength_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("gen"), "run", {"openings": 2, "gate": True},
                  {"keep_generation_every": 4})


def test_generations_are_kept_with_their_sidecars(strength_run):
    from net import PolicyValueNet
    folder = strength_run / "generations"
    assert sorted(p.name for p in folder.iterdir()) == [
        "gen-00000004.json", "gen-00000004.model", "gen-00000008.json", "gen-00000008.model"]
    sidecars = [json.loads((folder / f"gen-0000000{b}.json").read_text()) for b in (4, 8)]
    assert [s["batch"] for s in sidecars] == [4, 8]
    assert 0 < sidecars[0]["seconds"] < sidecars[1]["seconds"]
    generations = list_generations(strength_run)
    assert [(g.name, g.batch) for g in generations] == [("gen-00000004", 4), ("gen-00000008", 8)]
    assert PolicyValueNet.from_model_file(generations[-1].model).board.label == "4x4x3"
    (folder / "gen-00000012.model").write_bytes(b"")  # a model whose sidecar was never written
    assert len(list_generations(strength_run)) == 2


def test_the_gate_writes_its_line_after_each_pure_mcts_match(strength_run):
    lines = (strength_run / "train.log").read_text().splitlines()
    matches = [i for i, l in enumerate(lines) if l.startswith("num_playouts:")]
    assert len(matches) == 2
    for i in matches:
        assert re.fullmatch(r"num_playouts:20, win: \d, lose: \d, tie:\d", lines[i])
        gate = re.fullmatch(r"gate vs best: win: (\d), lose: (\d), tie:(\d), score (\S+), "
                            r"(new best|best kept)", lines[i + 1])
        assert gate, lines[i + 1]
        wins, losses, ties = (int(g) for g in gate.groups()[:3])
        assert wins + losses + ties == 4
        assert float(gate.group(4)) == pytest.approx((wins + ties / 2) / 4)
        assert gate.group(5) == ("new best" if float(gate.group(4)) >= 0.55 else "best kept")
    assert "New best policy!!!!!!!!" not in lines  # best_policy.model follows the gate
    new_best = any(l.endswith(", new best") for l in lines)
    assert (strength_run / "best_policy.model").exists() == new_best
    records = [json.loads(l) for l in (strength_run / "metrics.jsonl").read_text().splitlines()]
    assert len([r for r in records if "gate_score" in r]) == 2


def test_with_the_options_off_the_log_is_the_references(tmp_path):
    run_dir = _train(tmp_path, "plain", games=4)
    lines = (run_dir / "train.log").read_text().splitlines()
    assert [l for l in lines if not REFERENCE_LINE.match(l)] == []
    assert any(l.startswith("num_playouts:20, win: ") for l in lines)
    assert not (run_dir / "generations").exists()
