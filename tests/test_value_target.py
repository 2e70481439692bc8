"""``training.value_target_q``: each position's value target mixes the game's result with the
search's root value, ``(1 - w) * z + w * q``."""
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline import checkpoint, cli, run_config
from pipeline.run_config import ConfigError

REPO = Path(__file__).resolve().parent.parent
pytest.importorskip("tensorflow")


def _buffer_targets(tmp_path: Path, weight: float) -> np.ndarray:
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    # two games and a batch as big as the buffer: no update runs, so every run plays the same
    # games with the same net, and only their value targets differ
    data["training"].update({"game_batch_num": 2, "batch_size": 400, "value_target_q": weight})
    config = tmp_path / f"q{weight}.yaml"
    config.write_text(yaml.safe_dump(data))
    run = tmp_path / f"run-{weight}"
    assert cli.main(["train", "--config", str(config), "--run-dir", str(run)]) == 0
    _, arrays, _ = checkpoint.load_latest(run / "checkpoints", print)
    return arrays["buffer_winners"]


def test_the_value_target_mixes_the_result_and_the_searchs_root_value(tmp_path):
    z, q, half = (_buffer_targets(tmp_path, w) for w in (0.0, 1.0, 0.5))
    assert set(np.unique(z)) <= {-1.0, 0.0, 1.0}  # the reference's target: the result
    assert q.shape == z.shape and (np.abs(q) <= 1).all() and not np.array_equal(q, z)
    np.testing.assert_array_equal(half, 0.5 * (z + q))


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half", True])
def test_value_target_q_must_be_a_fraction(bad):
    with pytest.raises(ConfigError, match=r"training\.value_target_q must be in \[0, 1\]"):
        run_config.from_dict({"training": {"value_target_q": bad}})
