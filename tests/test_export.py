"""Export: the SavedModel's two signatures, the C trainer that needs no Python, .tflite, CLI."""
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from net import PolicyValueNet
from net.export import (MODEL_VARIABLES, OPTIMIZER_VARIABLES, SERVE, TRAIN_STEP, export_all,
                        write_train_batch)
from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "net" / "c" / "build.sh"
C_STEPS = 3
LR = 2e-3


def random_batch(seed, n, size):
    rng = np.random.default_rng(seed)
    states = (rng.random((n, 4, size, size)) < 0.25).astype(np.float32)
    probs = rng.random((n, size * size)).astype(np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    winners = rng.choice([-1.0, 1.0], n).astype(np.float32)
    return states, probs, winners


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A 6x6 net with some Adam history, exported; its state and outputs at export time."""
    net = PolicyValueNet(6, 6, seed=31)
    for _ in range(2):
        net.train_step(*random_batch(30, 32, 6), LR)
    saved, tflite = export_all(net, tmp_path_factory.mktemp("export") / "net")
    probe = random_batch(32, 5, 6)[0]
    log_probs, value = net.model(probe)
    return {"saved": Path(saved), "tflite": Path(tflite), "state": net.get_weights_and_optimizer(),
            "probe": probe, "log_probs": log_probs.numpy(), "value": value.numpy()}


def net_at_export(exported):
    net = PolicyValueNet(6, 6)
    net.set_weights_and_optimizer(exported["state"])
    return net


@pytest.fixture(scope="module")
def c_trainer(tmp_path_factory):
    compiler = os.environ.get("CC", "gcc")
    if shutil.which(compiler) is None:
        if os.environ.get("CI"):  # CI must prove the graph trains without Python
            pytest.fail(f"CI needs a C compiler ({compiler}) to build net/c/train_saved_model.c")
        pytest.skip(f"no C compiler ({compiler}) on PATH: cannot build net/c/train_saved_model.c")
    binary = tmp_path_factory.mktemp("c") / "train_saved_model"
    subprocess.run(["sh", str(BUILD_SCRIPT), str(binary)], check=True, capture_output=True,
                   env={**os.environ, "PYTHON": sys.executable})
    return binary


def run_c(binary, *args):
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=120)


def test_saved_model_has_serve_and_train_step_signatures(exported):
    loaded = tf.saved_model.load(str(exported["saved"]))
    serve, train = loaded.signatures[SERVE], loaded.signatures[TRAIN_STEP]
    assert sorted(serve.structured_input_signature[1]) == ["states"]
    assert sorted(serve.structured_outputs) == ["log_probs", "value"]
    assert sorted(train.structured_input_signature[1]) == ["lr", "mcts_probs", "states", "winners"]
    assert sorted(train.structured_outputs) == ["entropy", "loss"]
    out = serve(states=tf.constant(exported["probe"]))
    np.testing.assert_allclose(out["log_probs"].numpy(), exported["log_probs"], atol=1e-5)
    np.testing.assert_allclose(out["value"].numpy(), exported["value"], atol=1e-6)


def test_saved_model_train_step_in_python_equals_the_net(exported, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(exported["saved"], copy)
    loaded = tf.saved_model.load(str(copy))
    net = net_at_export(exported)
    states, probs, winners = random_batch(33, 16, 6)
    for _ in range(2):
        out = loaded.signatures[TRAIN_STEP](states=states, mcts_probs=probs, winners=winners,
                                            lr=tf.constant(LR, tf.float32))
        loss, entropy = net.train_step(states, probs, winners, LR)
        assert float(out["loss"]) == pytest.approx(loss, rel=1e-6)
        assert float(out["entropy"]) == pytest.approx(entropy, rel=1e-6)
    # the reloaded collections are the variables the signatures update
    for mine, theirs in ((net.model.variables, getattr(loaded, MODEL_VARIABLES)),
                         (net.optimizer.variables, getattr(loaded, OPTIMIZER_VARIABLES))):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-6)


def test_c_program_trains_the_saved_model_like_python(exported, c_trainer, tmp_path):
    states, probs, winners = random_batch(34, 24, 6)
    batch_file = tmp_path / "batch.bin"
    write_train_batch(batch_file, states, probs, winners)
    trained = tmp_path / "trained"
    shutil.copytree(exported["saved"], trained)

    result = run_c(c_trainer, exported["saved"], batch_file, C_STEPS, LR,
                   trained / "variables" / "variables")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"saved {trained / 'variables' / 'variables'}"
    c_steps = [(float(ln.split()[3]), float(ln.split()[5])) for ln in lines[:-1]]

    net = net_at_export(exported)
    py_steps = [net.train_step(states, probs, winners, LR) for _ in range(C_STEPS)]
    np.testing.assert_allclose(c_steps, py_steps, rtol=1e-4)
    assert c_steps[-1][0] < c_steps[0][0]

    loaded = tf.saved_model.load(str(trained))
    c_model = getattr(loaded, MODEL_VARIABLES)
    c_optimizer = getattr(loaded, OPTIMIZER_VARIABLES)
    for mine, theirs in ((net.model.variables, c_model), (net.optimizer.variables, c_optimizer)):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-4)
    assert int(net.get_weights_and_optimizer()["optimizer/iteration"]) == 2 + C_STEPS
    moved = max(np.abs(b.numpy() - exported["state"]["model/" + a.path]).max()
                for a, b in zip(net.model.variables, c_model))
    assert moved > 1e-3  # the C program really trained: the weights are not those exported


def test_c_program_rejects_bad_input_with_one_line(exported, c_trainer, tmp_path):
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"not a batch file at all")
    result = run_c(c_trainer, exported["saved"], foreign, 1, LR, tmp_path / "out")
    assert result.returncode == 1
    assert "not a gomoku-zero batch file" in result.stderr.strip().splitlines()[-1]

    wrong_board = tmp_path / "8x8.bin"
    write_train_batch(wrong_board, *random_batch(35, 4, 8))
    result = run_c(c_trainer, exported["saved"], wrong_board, 1, LR, tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        "the batch is 8x8, the SavedModel takes 6x6 boards")

    assert run_c(c_trainer, exported["saved"]).returncode == 2  # usage

    # a crafted header whose sizes multiply past size_t, with a size that wraps to the file's
    crafted = tmp_path / "crafted.bin"
    crafted.write_bytes(b"GZB1" + struct.pack("<3i", 2**31 - 1, 2**31 - 1, 2**31 - 1)
                        + bytes(64))
    result = run_c(c_trainer, exported["saved"], crafted, 1, LR, tmp_path / "out")
    assert result.returncode == 1 and "bad header" in result.stderr.strip().splitlines()[-1]
    too_many = tmp_path / "too_many.bin"  # sides fine, a count the file cannot hold
    too_many.write_bytes(b"GZB1" + struct.pack("<3i", 2**31 - 1, 6, 6) + bytes(64))
    result = run_c(c_trainer, exported["saved"], too_many, 1, LR, tmp_path / "out")
    assert result.returncode == 1 and "does not match its header" in result.stderr


@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")
def test_tflite_serve_gives_the_same_outputs(exported):
    if not hasattr(tf.lite, "Interpreter"):
        pytest.skip("this TensorFlow has no tf.lite.Interpreter")
    interpreter = tf.lite.Interpreter(model_path=str(exported["tflite"]))
    out = interpreter.get_signature_runner(SERVE)(states=exported["probe"])
    np.testing.assert_allclose(out["log_probs"], exported["log_probs"], atol=1e-5)
    np.testing.assert_allclose(out["value"], exported["value"], atol=1e-5)


def test_export_command_writes_both_files(tmp_path, capsys):
    model = tmp_path / "best_policy.model"
    PolicyValueNet(7, 5, seed=36).save_model(model)
    out = tmp_path / "exported"
    assert main(["export", "--model", str(model), "--out", str(out), "--no-tflite"]) == 0
    assert (out / "saved_model" / "saved_model.pb").is_file()
    assert not (out / "serve.tflite").exists()
    assert "7x5" in capsys.readouterr().out
    loaded = tf.saved_model.load(str(out / "saved_model"))
    value = loaded.signatures[SERVE](states=tf.zeros([2, 4, 5, 7]))["value"]
    assert tuple(value.shape) == (2, 1)


def test_export_command_rejects_bad_arguments_with_exit_2(tmp_path, capsys):
    model = tmp_path / "m.model"
    PolicyValueNet(6, 6, seed=37).save_model(model)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    foreign = tmp_path / "foreign.model"
    foreign.write_text("hello")
    cases = [(["--model", str(tmp_path / "none.model"), "--out", str(tmp_path / "o1")],
              "no such file"),
             (["--model", str(model), "--out", str(tmp_path / "full")], "not an empty folder"),
             (["--model", str(foreign), "--out", str(tmp_path / "o2")],
              "not a gomoku-zero model file")]
    for args, message in cases:
        assert main(["export", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
