"""Checkpoint files: round trip, atomic replacement, keep-last-K, damage detection and fallback."""
import json
import os

import numpy as np
import pytest

from pipeline import checkpoint as ckpt


def _arrays(seed):
    rng = np.random.default_rng(seed)
    return {"w": rng.random((3, 4)).astype(np.float32), "buf": rng.integers(0, 2, (5, 4, 2, 2)).astype(np.uint8)}


def _meta(batch):
    # a PCG64 state has integers above 2**64: JSON keeps them exact
    return {"batch": batch, "rng": np.random.default_rng(batch).bit_generator.state}


def test_round_trip_is_exact(tmp_path):
    arrays = _arrays(0)
    path = ckpt.save(tmp_path, 7, arrays, _meta(7), keep=3)
    assert path.name == "ckpt-00000007.npz"
    loaded, meta = ckpt.decode(path)
    assert meta == json.loads(json.dumps(_meta(7)))
    assert set(loaded) == set(arrays)
    for name in arrays:
        np.testing.assert_array_equal(loaded[name], arrays[name])
        assert loaded[name].dtype == arrays[name].dtype
    rng = np.random.default_rng()
    rng.bit_generator.state = meta["rng"]
    assert rng.random() == np.random.default_rng(7).random()


def test_keeps_only_the_last_k_and_no_temp_files(tmp_path):
    for batch in range(1, 7):
        ckpt.save(tmp_path, batch, _arrays(batch), _meta(batch), keep=3)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == [
        "ckpt-00000006.npz", "ckpt-00000005.npz", "ckpt-00000004.npz"]
    assert sorted(os.listdir(tmp_path)) == ["ckpt-00000004.npz", "ckpt-00000005.npz",
                                            "ckpt-00000006.npz"]


def _damage(path, how):
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "bitflip-data":
        data[len(data) // 3] ^= 0x10
        path.write_bytes(bytes(data))
    elif how == "bitflip-end":
        data[-40] ^= 0x01
        path.write_bytes(bytes(data))
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncate", "bitflip-data", "bitflip-end", "empty"])
def test_damaged_newest_falls_back_to_the_previous_with_a_warning(tmp_path, how):
    for batch in (1, 2, 3):
        ckpt.save(tmp_path, batch, _arrays(batch), _meta(batch), keep=3)
    _damage(tmp_path / "ckpt-00000003.npz", how)
    with pytest.raises(ckpt.CheckpointError):
        ckpt.decode(tmp_path / "ckpt-00000003.npz")
    warnings = []
    path, arrays, meta = ckpt.load_latest(tmp_path, warnings.append)
    assert path.name == "ckpt-00000002.npz" and meta["batch"] == 2
    np.testing.assert_array_equal(arrays["w"], _arrays(2)["w"])
    assert len(warnings) == 1
    assert "ckpt-00000003.npz is damaged" in warnings[0]
    assert "falling back to ckpt-00000002.npz" in warnings[0]


def test_bit_flip_in_every_byte_region_is_caught(tmp_path):
    path = ckpt.save(tmp_path, 1, _arrays(1), _meta(1), keep=1)
    clean = path.read_bytes()
    rng = np.random.default_rng(3)
    for offset in rng.choice(len(clean), 40, replace=False):
        data = bytearray(clean)
        data[offset] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(data))
        try:
            arrays, meta = ckpt.decode(path)
        except ckpt.CheckpointError:
            continue
        # a flip that still decodes can only be in bytes that carry no content (zip bookkeeping)
        np.testing.assert_array_equal(arrays["w"], _arrays(1)["w"])
        np.testing.assert_array_equal(arrays["buf"], _arrays(1)["buf"])
        assert meta == json.loads(json.dumps(_meta(1)))


def test_no_valid_checkpoint_is_an_error(tmp_path):
    with pytest.raises(ckpt.NoCheckpointError):
        ckpt.load_latest(tmp_path, print)
    ckpt.save(tmp_path, 1, _arrays(1), _meta(1), keep=2)
    _damage(tmp_path / "ckpt-00000001.npz", "truncate")
    warnings = []
    with pytest.raises(ckpt.NoCheckpointError, match="none of the 1 checkpoint"):
        ckpt.load_latest(tmp_path, warnings.append)
    assert "no older checkpoint left" in warnings[0]


def test_pickled_content_is_refused(tmp_path):
    path = tmp_path / "ckpt-00000001.npz"
    np.savez(path, evil=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ckpt.CheckpointError):
        ckpt.decode(path)
    with pytest.raises(ValueError):
        ckpt.encode({"x": np.array([None], dtype=object)}, {})
