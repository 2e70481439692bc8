"""``training.init_model``: a new run starts from a model file's weights; a file of another game
or net is refused before the run directory is written."""
from pathlib import Path

import numpy as np
import pytest
import yaml

from gomoku import BoardConfig
from pipeline import checkpoint, cli, run_config
from pipeline.run_config import ConfigError

REPO = Path(__file__).resolve().parent.parent
pytest.importorskip("tensorflow")


def _model(path: Path, board: BoardConfig, seed: int, **net) -> Path:
    from net import PolicyValueNet
    from net.net_config import NetConfig
    PolicyValueNet.for_game(board, NetConfig(**net), seed=seed).save_model(path)
    return path


def _config(tmp_path: Path, init_model: Path) -> Path:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    # one game and a batch as big as the buffer: no update runs, the net stays the file's
    data["training"].update({"game_batch_num": 1, "batch_size": 400,
                             "init_model": str(init_model)})
    path = tmp_path / "warm.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _checkpoint_weights(run: Path) -> dict:
    _, arrays, _ = checkpoint.load_latest(run / "checkpoints", print)
    return {k[len("net/"):]: v for k, v in arrays.items() if k.startswith("net/model/")}


def test_a_new_run_starts_from_the_model_files_weights(tmp_path):
    from net.model_file import read_model_file
    model = _model(tmp_path / "start.model", BoardConfig(4, 4, 3), seed=7)
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(_config(tmp_path, model)),
                     "--run-dir", str(run)]) == 0
    assert f"starting from the weights of {model}" in (run / "train.log").read_text()
    saved = {k: v for k, v in read_model_file(model).arrays.items() if k.startswith("model/")}
    got = _checkpoint_weights(run)
    assert sorted(got) == sorted(saved)
    for key in saved:
        np.testing.assert_array_equal(got[key], saved[key])
    other = tmp_path / "cold"  # and a run without it does not (the seeds are the same)
    data = yaml.safe_load(_config(tmp_path, model).read_text())
    data["training"]["init_model"] = ""
    (tmp_path / "cold.yaml").write_text(yaml.safe_dump(data))
    assert cli.main(["train", "--config", str(tmp_path / "cold.yaml"), "--run-dir",
                     str(other)]) == 0
    cold = _checkpoint_weights(other)
    assert any(not np.array_equal(cold[key], saved[key]) for key in saved)


def test_resuming_a_run_stopped_before_its_first_checkpoint_starts_from_the_model(tmp_path):
    model = _model(tmp_path / "start.model", BoardConfig(4, 4, 3), seed=7)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(_config(tmp_path, model).read_text())
    assert cli.main(["train", "--run-dir", str(run), "--resume"]) == 0
    log = (run / "train.log").read_text()
    assert "no checkpoint yet" in log and f"starting from the weights of {model}" in log


@pytest.mark.parametrize("board, net, message", [
    (BoardConfig(4, 4, 4), {}, "holds a net of another game (4x4, 4 in a row) than this run's "
                              "(4x4, 3 in a row)"),
    (BoardConfig(5, 5, 3), {}, "holds a net of another game (5x5, 3 in a row)"),
    (BoardConfig(4, 4, 3), {"architecture": "resnet", "blocks": 1, "filters": 8},
     "holds a resnet"),
])
def test_a_model_of_another_game_or_net_is_refused_before_the_run_starts(
        tmp_path, capsys, board, net, message):
    model = _model(tmp_path / "other.model", board, seed=1, **net)
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(_config(tmp_path, model)),
                     "--run-dir", str(run)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(model) in err[0]
    assert not run.exists()


def test_a_missing_model_is_named(tmp_path, capsys):
    missing = tmp_path / "nowhere.model"
    assert cli.main(["train", "--config", str(_config(tmp_path, missing)),
                     "--run-dir", str(tmp_path / "run")]) != 0
    assert f"model file not found: {missing}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_init_model_must_be_a_path(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("training:\n  init_model: [3]\n")
    with pytest.raises(ConfigError, match=r"^training.init_model must be a model file's path"):
        run_config.load(path)
