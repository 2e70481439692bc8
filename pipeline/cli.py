"""The `gomoku-zero` and `pbrain-gomoku-zero` entry points: dispatch to pipeline.commands.

Command modules import TensorFlow inside ``run`` only, so ``--help`` stays fast. Bad input
(any gomoku.InputError: a flag, a config, a model file, ...) ends a command with one line on
stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from gomoku import InputError

from pipeline.commands.common import version

# TensorFlow's C++ INFO/WARNING logs (XLA service, compiled clusters) are not for users; the
# lines its libraries print while they load are dropped by net.quiet_import, where it is loaded.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# sub-command name -> module implementing it
COMMANDS: dict[str, str] = {
    "play": "pipeline.commands.play",
    "pbrain": "pipeline.commands.pbrain",
    "train": "pipeline.commands.train",
    "evaluate": "pipeline.commands.evaluate",
    "export": "pipeline.commands.export",
    "gui": "pipeline.commands.gui",
    "match": "pipeline.commands.match",
    "ladder": "pipeline.commands.ladder",
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser (its sub-command parsers too), with a flag error as one line
    ``PROG: error: MESSAGE`` and exit code 2, like all bad input; ``--help`` shows the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="gomoku-zero",
        description="AlphaZero-style self-play Gomoku trainer on TensorFlow 2.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gomoku-zero {version()}")
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
    except InputError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
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
    parser = ArgumentParser(prog="pbrain-gomoku-zero", description=module.HELP,
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    module.add_arguments(parser)
    return _run(module, parser.parse_args(argv), "pbrain-gomoku-zero")
