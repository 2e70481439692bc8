"""`gomoku-zero export`: a saved model as graphs that run without Python."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import UsageError, repo_path

HELP = ("write a model as a SavedModel (signatures serve and train_step, Adam state "
        "included) and a .tflite of serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by training "
                        "(current_policy.model, best_policy.model)")
    parser.add_argument("--out", required=True,
                        help="new folder to write: OUT/saved_model and OUT/serve.tflite")
    parser.add_argument("--no-tflite", action="store_true", help="skip the .tflite file")


def run(args) -> int:
    model, out = repo_path(args.model), Path(args.out)
    if not model.is_file():
        raise UsageError(f"--model {args.model}: no such file")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"--out {args.out}: exists and is not an empty folder")

    from net import ModelFileError, PolicyValueNet
    from net.export import SAVED_MODEL_DIR, TFLITE_FILE, export_saved_model, export_tflite
    try:
        net = PolicyValueNet.from_model_file(model)
    except ModelFileError as exc:
        raise UsageError(f"--model {args.model}: {exc}")
    out.mkdir(parents=True, exist_ok=True)
    saved = export_saved_model(net, out / SAVED_MODEL_DIR)
    print(f"SavedModel ({net.board.label}, signatures serve and "
          f"train_step): {saved}")
    if not args.no_tflite:
        print(f"TFLite (serve): {export_tflite(saved, out / TFLITE_FILE)}")
    return 0
