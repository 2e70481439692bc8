"""Export a PolicyValueNet as graphs that run without Python.

`export_saved_model` writes a SavedModel with two signatures:
  serve:      states float32 [N, 4, H, W] -> log_probs float32 [N, H*W], value float32 [N, 1]
  train_step: states, mcts_probs float32 [N, H*W], winners float32 [N], lr float32 []
              -> loss float32 [], entropy float32 [] (of the weights before the Adam step)
The model and the Adam state are variables of the SavedModel, so a C or C++ process can
keep training through `train_step` and save them with the graph's saver (its saver_def
names the filename tensor and the save op). net/c/train_saved_model.c does exactly that.

`export_tflite` converts the `serve` signature to a .tflite flat buffer.
"""
from __future__ import annotations

import os
import shutil
import struct
import tempfile

import keras
import numpy as np
import tensorflow as tf

from net.atomic_file import atomic_write_bytes

SERVE = "serve"
TRAIN_STEP = "train_step"
SAVED_MODEL_DIR = "saved_model"
TFLITE_FILE = "serve.tflite"
# attributes of the reloaded SavedModel object: the live variables, in the order of
# net.model.variables and net.optimizer.variables
MODEL_VARIABLES = "model_variables"
OPTIMIZER_VARIABLES = "optimizer_variables"
# header of a training batch file read by net/c/train_saved_model.c:
# magic, then int32 little-endian N, H, W; then float32 states [N,4,H,W],
# mcts_probs [N,H*W], winners [N]
BATCH_MAGIC = b"GZB1"


def export_saved_model(net, out_dir) -> str:
    """Write `net` (model and optimizer state) as a SavedModel in the new folder out_dir."""
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir):
        raise ValueError(f"export folder already exists: {out_dir}")
    states, mcts_probs, winners, lr = net.signatures()

    def serve(states):
        log_probs, value = net.infer(states)
        return {"log_probs": log_probs, "value": value}

    def train_step(states, mcts_probs, winners, lr):
        loss, entropy = net.train_math(states, mcts_probs, winners, lr)
        return {"loss": loss, "entropy": entropy}

    archive = keras.export.ExportArchive()
    archive.add_endpoint(SERVE, serve, input_signature=[states])
    archive.add_endpoint(TRAIN_STEP, train_step,
                         input_signature=[states, mcts_probs, winners, lr])
    # Collections of the tf.Variables the endpoints use, in net order. Tracking the Keras
    # variables instead (archive.track(model)) would save *copies* of them that the
    # signatures never update, so a reloaded archive would show stale weights.
    archive.add_variable_collection(MODEL_VARIABLES, [v.value for v in net.model.variables])
    archive.add_variable_collection(OPTIMIZER_VARIABLES,
                                    [v.value for v in net.optimizer.variables])
    # write next to the target, then rename: a reader never sees half a SavedModel
    parent = os.path.dirname(os.path.abspath(out_dir))
    tmp = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        archive.write_out(tmp, verbose=False)
        os.chmod(tmp, 0o755)  # mkdtemp made it private
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def export_tflite(saved_model_dir, tflite_path) -> str:
    """Convert the `serve` signature of an exported SavedModel to a .tflite file."""
    converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(saved_model_dir),
                                                         signature_keys=[SERVE])
    flat_buffer = converter.convert()
    atomic_write_bytes(os.fspath(tflite_path), flat_buffer)
    return os.fspath(tflite_path)


def export_all(net, out_dir) -> tuple[str, str]:
    """out_dir/saved_model (serve + train_step) and out_dir/serve.tflite."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    saved = export_saved_model(net, os.path.join(out_dir, SAVED_MODEL_DIR))
    return saved, export_tflite(saved, os.path.join(out_dir, TFLITE_FILE))


def write_train_batch(path, states, mcts_probs, winners) -> None:
    """Write a batch file for net/c/train_saved_model.c (layout: see BATCH_MAGIC)."""
    states = np.ascontiguousarray(states, dtype="<f4")
    n, planes, height, width = states.shape
    mcts_probs = np.ascontiguousarray(mcts_probs, dtype="<f4")
    winners = np.ascontiguousarray(winners, dtype="<f4")
    if planes != 4 or mcts_probs.shape != (n, height * width) or winners.shape != (n,):
        raise ValueError(f"batch shapes do not match: states {list(states.shape)}, "
                         f"mcts_probs {list(mcts_probs.shape)}, winners {list(winners.shape)}")
    payload = (BATCH_MAGIC + struct.pack("<3i", n, height, width)
               + states.tobytes() + mcts_probs.tobytes() + winners.tobytes())
    atomic_write_bytes(os.fspath(path), payload)
