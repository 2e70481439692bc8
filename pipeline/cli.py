"""The `gomoku-zero` command line.

Each sub-command lives in its own module exposing ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int`` (the exit code). Command
modules import TensorFlow inside ``run`` only, so ``--help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import PackageNotFoundError, version

# TensorFlow's C++ INFO/WARNING logs (XLA service, compiled clusters) are not for users. Measured
# on TF 2.21: the few lines printed while its library loads (oneDNN, CUDA stub) ignore a value set
# here, after start-up; exporting TF_CPP_MIN_LOG_LEVEL=2 in the shell silences those too.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# sub-command name -> module implementing it
COMMANDS: dict[str, str] = {
    "play": "pipeline.play",
    "pbrain": "pipeline.pbrain",
    "train": "pipeline.train",
    "evaluate": "pipeline.evaluate",
    "export": "pipeline.export",
}


class UsageError(Exception):
    """Bad input on the command line or in a file it names: one line, exit code 2."""


def _version() -> str:
    try:
        return version("gomoku-zero")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gomoku-zero",
        description="AlphaZero-style self-play Gomoku trainer on TensorFlow 2.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gomoku-zero {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP,
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _run(module, args, prog: str) -> int:
    try:
        return int(module.run(args) or 0)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return _run(args._module, args, f"gomoku-zero {args.command}")


def pbrain_main(argv: list[str] | None = None) -> int:
    """Entry point of `pbrain-gomoku-zero`: the Gomocup protocol engine (`gomoku-zero pbrain`)."""
    module = importlib.import_module(COMMANDS["pbrain"])
    parser = argparse.ArgumentParser(prog="pbrain-gomoku-zero", description=module.HELP,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    module.add_arguments(parser)
    return _run(module, parser.parse_args(argv), "pbrain-gomoku-zero")
