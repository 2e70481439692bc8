"""Every kind of bad input of docs/bad-input.md gets its one line; the doc's table is ROWS.

Each row is made as a user meets it: a command run in-process through ``pipeline.cli.main``
(exit code 2 and exactly one stderr line ``gomoku-zero CMD: error: ...`` unless the row says
otherwise), a line to the protocol engine, a damaged checkpoint met on resume. In an expected
line, ``$FILE``, ``$RUN``, ``$DIR`` and ``$PID`` stand for the file given, the run directory,
the checkpoint directory and this process's id; ``…`` stands for any text.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import yaml

from gomoku import InputError
from gomoku.openings import read_openings
from mcts import MCTSPurePlayer
from pipeline import checkpoint, cli, gomocup
from pipeline.brain import Brain
from pipeline.run_directory import RunLock

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "bad-input.md"
TINY = REPO / "configs" / "tiny.yaml"


# -- making hostile files -------------------------------------------------------------------------
def npz(entries: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **entries)
    return buf.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npy_header_only(shape) -> bytes:
    """A .npy member that declares float32 of ``shape`` and holds no data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def with_digest(arrays: dict, meta_bytes: bytes, digest: bytes | None = None) -> bytes:
    """A checkpoint whose checksum fits its content (as a hostile writer would make it)."""
    members = dict(arrays)
    members[checkpoint.META_KEY] = np.frombuffer(meta_bytes, np.uint8)
    digest = checkpoint.digest(arrays, meta_bytes).encode() if digest is None else digest
    members[checkpoint.DIGEST_KEY] = np.frombuffer(digest, np.uint8)
    return npz(members)


def alias_bomb(depth: int, fanout: int = 9) -> str:
    """YAML of a few hundred bytes whose value has fanout ** depth items (aliases, no copies)."""
    levels = ["&l0 [" + ", ".join(["x"] * fanout) + "]"]
    levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * fanout) + "]" for i in range(1, depth)]
    return f"training:\n  epochs: [{', '.join(levels)}]\n"


ARRAYS = {"w": np.arange(6, dtype=np.float32)}
META = {"format": 2, "progress": {"batch": 4}}


# -- the lab: where rows are produced -------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    from net import PolicyValueNet
    from gomoku import BoardConfig
    path = tmp_path_factory.mktemp("model") / "small.model"
    PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=0).save_model(path)
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A run of configs/tiny.yaml stopped after 2 games: config.yaml, ckpt-00000002.npz."""
    run = tmp_path_factory.mktemp("tiny") / "run"
    assert cli.main(["train", "--config", str(TINY), "--run-dir", str(run), "--stop-after", "2",
                     "--no-tensorboard"]) == 0
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["ckpt-00000002.npz"]
    return run


class Lab:
    """Produces a row's situation; ``values`` collects what $FILE, $RUN, ... stand for."""

    def __init__(self, tmp_path: Path, capsys, model_file: Path, request):
        self.tmp, self.capsys, self.model_file = tmp_path, capsys, model_file
        self._request = request
        self.values = {"PID": str(os.getpid())}

    # files and commands
    def file(self, data: bytes | str, name: str = "given") -> Path:
        path = self.tmp / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        self.values["FILE"] = str(path)
        return path

    def absent(self, name: str) -> Path:
        self.values["FILE"] = str(self.tmp / name)
        return self.tmp / name

    def directory(self) -> Path:
        self.values["FILE"] = str(self.tmp)
        return self.tmp

    def lines(self, *argv: str, code: int = 2) -> list[str]:
        """The stderr lines of ``gomoku-zero ARGV`` run in-process, which must exit ``code``."""
        self.capsys.readouterr()
        try:
            got = cli.main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            got = exc.code
        err = self.capsys.readouterr().err.splitlines()
        assert got == code, err
        return err

    def cli(self, *argv: str, code: int = 2) -> str:
        [line] = self.lines(*argv, code=code)
        return line

    def model(self, data: bytes) -> str:
        return self.cli("evaluate", "--model", self.file(data, "given.model"))

    def model_entries(self) -> dict:
        with np.load(self.model_file) as z:
            return {k: z[k] for k in z.files}

    def config(self, text: str) -> str:
        path = self.file(text, "given.yaml")
        return self.cli("train", "--config", path, "--run-dir", self.tmp / "new-run")

    # checkpoints and runs
    def fallback_warning(self, damaged: bytes) -> str:
        """The warning of load_latest (which resume prints) for a damaged ckpt-4 beside a good
        ckpt-2."""
        directory = self.tmp / "checkpoints"
        checkpoint.save(directory, 2, ARRAYS, META, keep=5)
        (directory / checkpoint.checkpoint_name(4)).write_bytes(damaged)
        self.values["DIR"] = str(directory)
        warnings = []
        path, _, meta = checkpoint.load_latest(directory, warnings.append)
        assert path.name == "ckpt-00000002.npz" and meta == META
        [line] = warnings
        return line

    def run(self) -> Path:
        """A copy of the tiny run, to damage."""
        run = self.tmp / "run"
        shutil.copytree(self._request.getfixturevalue("tiny_run"), run)
        self.values["RUN"] = str(run)
        return run

    def resume(self, run: Path, code: int = 2) -> list[str]:
        return self.lines("train", "--resume", "--run-dir", run, "--no-tensorboard",
                          "--stop-after", "2", code=code)

    def resume_with_meta(self, **changes) -> str:
        """Resume from the run's checkpoint with its metadata changed (a fitting checksum)."""
        run = self.run()
        path = run / "checkpoints" / "ckpt-00000002.npz"
        arrays, meta = checkpoint.decode(path)
        path.write_bytes(checkpoint.encode(arrays, {**meta, **changes}))
        log = (run / "train.log").read_bytes()
        [line] = self.resume(run)
        assert (run / "train.log").read_bytes() == log  # refused before anything is changed
        return line

    def resume_with_config(self, edit: Callable[[dict], None]) -> str:
        run = self.run()
        data = yaml.safe_load((run / "config.yaml").read_text())
        edit(data)
        (run / "config.yaml").write_text(yaml.safe_dump(data))
        [line] = self.resume(run)
        return line

    # the protocol engine
    def answer(self, *lines: str, start: str | None = "START 6") -> str:
        """The one answer of an engine (four in a row, after ``start``) to its last line."""
        brain = Brain("pure 20", None, lambda cfg: MCTSPurePlayer(n_playout=20, seed=0))
        engine = gomocup.Engine(brain, n_in_row=4)
        if start:
            assert engine.handle(start) == ["OK"]
        for line in lines[:-1]:
            engine.handle(line)
        before = list(engine.stones)
        answers = engine.handle(lines[-1])
        [answer] = [a for a in answers if not a.startswith("MESSAGE ")]
        if "the game is over" not in answer:
            assert engine.stones == before  # a refused line changes nothing
        return answer

    def served(self, data: bytes) -> str:
        out = io.BytesIO()
        engine = gomocup.Engine(Brain("pure 20", None, lambda c: MCTSPurePlayer(n_playout=20)), 4)
        gomocup.serve(engine, io.BytesIO(data), out)
        [answer] = out.getvalue().decode().split("\r\n")[:-1]
        return answer

    def openings(self, text: str) -> str:
        with pytest.raises(InputError) as info:
            read_openings(text, 7, 7, 4)
        return str(info.value)


# -- producers that take a few steps -------------------------------------------------------------
def model_with(lab: Lab, **entries) -> str:
    return lab.model(npz({**lab.model_entries(), **entries}))


def model_without_format(lab: Lab) -> str:
    entries = lab.model_entries()
    del entries["format"]
    return lab.model(npz(entries))


def model_bad_crc(lab: Lab) -> str:
    data = bytearray(lab.model_file.read_bytes())
    kernel = lab.model_entries()["model/conv1/kernel"].tobytes()
    data[data.index(kernel) + len(kernel) - 1] ^= 0xFF
    return lab.model(bytes(data))


def model_other_shape(lab: Lab) -> str:
    return model_with(lab, **{"model/conv1/kernel": np.zeros((3, 3, 4, 16), np.float32)})


def checkpoint_checksum_mismatch(lab: Lab) -> str:
    members = npz_members(checkpoint.encode(ARRAYS, META))
    members["w"] = members["w"] + 1
    return lab.fallback_warning(npz(members))


def half(data: bytes) -> bytes:
    return data[:len(data) // 2]


def npz_members(data: bytes) -> dict:
    with np.load(io.BytesIO(data)) as z:
        return {k: z[k] for k in z.files}


def resume_newest_damaged(lab: Lab) -> str:
    run = lab.run()
    (run / "checkpoints" / "ckpt-00000004.npz").write_bytes(b"garbage")
    lines = lab.resume(run, code=0)
    [warning] = [line for line in lines if line.startswith("warning: checkpoint")]
    assert "resumed from ckpt-00000002.npz after batch 2" in (run / "train.log").read_text()
    return warning


def resume_only_damaged(lab: Lab) -> str:
    run = lab.run()
    (run / "checkpoints" / "ckpt-00000002.npz").write_bytes(b"garbage")
    [line] = lab.resume(run, code=1)
    return line


def resume_config_invalid(lab: Lab) -> str:
    run = lab.run()
    (run / "config.yaml").write_text("training:\n  epochs: x\n")
    [line] = lab.resume(run)
    lab.values["FILE"] = str(run / "config.yaml")
    return line


def run_in_use(lab: Lab) -> str:
    run = lab.tmp / "locked"
    run.mkdir()
    lab.values["RUN"] = str(run)
    lock = RunLock(run).acquire()
    try:
        return lab.cli("train", "--config", TINY, "--run-dir", run)
    finally:
        lock.release()


def config_alias_bomb(lab: Lab) -> str:
    small = lab.config(alias_bomb(depth=5))  # a loader that quotes the value whole fails here,
    assert len(small) < 400, small[:400]  # before the bomb below would hang it
    line = lab.config(alias_bomb(depth=9))
    assert len(line) < 400
    return line


def pbrain_process(*argv: str) -> str:
    """``pbrain-gomoku-zero ARGV`` as a process (it takes over the file descriptor of stdout)."""
    proc = subprocess.run([sys.executable, "-c", "import sys; from pipeline.cli import "
                           "pbrain_main; sys.exit(pbrain_main(sys.argv[1:]))", *argv],
                          cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    return line


def board_block_too_long(lab: Lab) -> str:
    points = [f"{x},{y},1" for y in range(6) for x in range(6)]
    return lab.answer("BOARD", *points, "0,0,2")


# -- the table -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    given: str
    line: str
    produce: Callable[[Lab], str]


E = "gomoku-zero evaluate: error: cannot load model $FILE: "
W = "warning: checkpoint ckpt-00000004.npz is damaged ("
F = "; falling back to ckpt-00000002.npz"
T = "gomoku-zero train: error: "

ROWS = [
    # model files, given to `gomoku-zero evaluate --model`
    Row("model-missing", "model file", "a path where no file is",
        "gomoku-zero evaluate: error: model $FILE not found (train one with `gomoku-zero train`, "
        "or play pure MCTS with --pure 1000)",
        lambda lab: lab.cli("evaluate", "--model", lab.absent("none.model"))),
    Row("model-directory", "model file", "a directory",
        E + "$FILE is a directory, not a model file",
        lambda lab: lab.cli("evaluate", "--model", lab.directory())),
    Row("model-not-zip", "model file", "a text file",
        E + "$FILE is not a gomoku-zero model file (not an .npz archive)",
        lambda lab: lab.model(b"model_checkpoint_path: best_policy.model\n")),
    Row("model-truncated", "model file", "the first half of a real model file",
        E + "$FILE is truncated or damaged (not a zip archive, or truncated (BadZipFile: File is "
        "not a zip file))",
        lambda lab: lab.model(half(lab.model_file.read_bytes()))),
    Row("model-member-without-npy", "model file", "a zip whose member `format` has no `.npy`",
        E + "$FILE is truncated or damaged (member 'format': not an array (its name does not "
        "end in <name>.npy))",
        lambda lab: lab.model(zipped({"format": npy(np.array("gomoku-zero policy-value net"))}))),
    Row("model-huge-array", "model file", "an `.npy` header declaring 10^11 floats",
        E + "$FILE is truncated or damaged (member 'model/conv1/kernel.npy': shape "
        "(100000000000,) of float32 is 400000000000 bytes, more than the 268435456 allowed)",
        lambda lab: lab.model(zipped({"model/conv1/kernel.npy": npy_header_only((10**11,))}))),
    Row("model-object-array", "model file", "a pickled object array",
        E + "$FILE is truncated or damaged (member 'evil.npy': dtype 'object' is not a plain "
        "bool, number or unicode type)",
        lambda lab: lab.model(npz({"evil": np.array([{"a": 1}], dtype=object)}))),
    Row("model-bad-crc", "model file", "a real model file with one weight byte changed",
        E + "$FILE is truncated or damaged (member 'model/conv1/kernel.npy': unreadable "
        "(BadZipFile: Bad CRC-32 for file 'model/conv1/kernel.npy'))",
        model_bad_crc),
    Row("model-no-format", "model file", "a real model file without its `format` entry",
        E + "$FILE is not a gomoku-zero model file (no 'format' entry equal to "
        "'gomoku-zero policy-value net v2')",
        model_without_format),
    Row("model-board-size-huge", "model file", "`board_size` 10^9 x 10^9",
        E + "$FILE: its board size 1000000000x1000000000 is not one of 1-32 points a side",
        lambda lab: model_with(lab, board_size=np.array([10**9, 10**9]))),
    Row("model-board-size-floats", "model file", "`board_size` of floats",
        E + "$FILE has no valid 'board_size' entry",
        lambda lab: model_with(lab, board_size=np.array([4.0, 4.0]))),
    Row("model-game-not-json", "model file", "a v2 `game` entry that is not JSON",
        E + "$FILE: its 'game' entry is not a valid game (Expecting value: line 1 column 1 "
        "(char 0))",
        lambda lab: model_with(lab, game=np.array("board 4x4x3"))),
    Row("model-game-deep-json", "model file", "a `game` entry of 100000 nested JSON lists",
        E + "$FILE: its 'game' entry is not a valid game (maximum recursion depth exceeded "
        "while decoding a JSON array from a unicode string)",
        lambda lab: model_with(lab, game=np.array("[" * 100_000))),
    Row("model-game-other-board", "model file", "a `game` of 8x8x5 in a 4x4 file",
        E + "$FILE: its game is 8x8x5 but its board size is 4x4",
        lambda lab: model_with(lab, game=np.array(
            '{"board": {"width": 8, "height": 8, "n_in_row": 5}, "net": {}}'))),
    Row("model-weights-other-shape", "model file", "a kernel of another shape",
        E + "$FILE: model/conv1/kernel has shape [3, 3, 4, 16] dtype float32, expected "
        "[3, 3, 4, 32] float32",
        model_other_shape),

    # checkpoints: the newest is damaged, resume warns and falls back to the one before
    Row("checkpoint-not-zip", "checkpoint", "bytes that are not a zip",
        W + "$DIR/ckpt-00000004.npz: not a zip archive, or truncated (BadZipFile: File is not "
        "a zip file))" + F,
        lambda lab: lab.fallback_warning(b"not a checkpoint")),
    Row("checkpoint-truncated", "checkpoint", "the first half of a checkpoint",
        W + "$DIR/ckpt-00000004.npz: not a zip archive, or truncated (BadZipFile: File is not "
        "a zip file))" + F,
        lambda lab: lab.fallback_warning(half(checkpoint.encode(ARRAYS, META)))),
    Row("checkpoint-checksum", "checkpoint", "an array changed after the checksum was taken",
        W + "checksum mismatch)" + F, checkpoint_checksum_mismatch),
    Row("checkpoint-no-meta", "checkpoint", "an `.npz` without `__meta__`",
        W + "metadata or checksum missing)" + F, lambda lab: lab.fallback_warning(npz(ARRAYS))),
    Row("checkpoint-meta-not-json", "checkpoint", "metadata that is not JSON (checksum fits)",
        W + "metadata is not JSON)" + F,
        lambda lab: lab.fallback_warning(with_digest(ARRAYS, b"\xff{"))),
    Row("checkpoint-meta-deep", "checkpoint", "metadata of 100000 nested JSON lists (checksum "
        "fits)", W + "metadata is not JSON)" + F,
        lambda lab: lab.fallback_warning(with_digest(ARRAYS, b"[" * 100_000))),
    Row("checkpoint-meta-list", "checkpoint", "metadata that is a JSON list (checksum fits)",
        W + "metadata is not a JSON object)" + F,
        lambda lab: lab.fallback_warning(with_digest(ARRAYS, b"[1, 2]"))),
    Row("checkpoint-checksum-not-text", "checkpoint", "a checksum that is not ASCII",
        W + "the checksum is not text)" + F,
        lambda lab: lab.fallback_warning(with_digest(ARRAYS, b"{}", digest=b"\xff" * 64))),
    Row("checkpoint-huge-array", "checkpoint", "an `.npy` header declaring 10^11 floats",
        W + "$DIR/ckpt-00000004.npz: member 'w.npy': shape (100000000000,) of float32 is "
        "400000000000 bytes, more than the 8589934592 allowed)" + F,
        lambda lab: lab.fallback_warning(zipped({"w.npy": npy_header_only((10**11,))}))),

    # resume: `gomoku-zero train --resume --run-dir RUN` of a tiny run stopped after 2 games
    Row("resume-newest-damaged", "resume", "a garbage `ckpt-00000004.npz` beside a good "
        "`ckpt-00000002.npz` (exit code 0)",
        W + "$RUN/checkpoints/ckpt-00000004.npz: not a zip archive, or truncated (BadZipFile: "
        "File is not a zip file))" + F,
        resume_newest_damaged),
    Row("resume-only-damaged", "resume", "the only checkpoint damaged (exit code 1)",
        "error: cannot resume: none of the 1 checkpoint(s) in $RUN/checkpoints is valid",
        resume_only_damaged),
    Row("resume-other-format", "resume", "a checkpoint of format version 99",
        T + "ckpt-00000002.npz is of checkpoint format 99; this version reads 1, 2",
        lambda lab: lab.resume_with_meta(format=99)),
    Row("resume-config-edited", "resume", "`config.yaml` edited: `training.learn_rate`",
        T + "config.yaml differs from ckpt-00000002.npz in training.learn_rate: undo the edit, "
        "or resume with --accept-config-changes",
        lambda lab: lab.resume_with_config(lambda c: c["training"].update(learn_rate=0.01))),
    Row("resume-board-edited", "resume", "`config.yaml` edited: the board 5x5",
        T + "the run's config changes the board since ckpt-00000002.npz (board.height, "
        "board.width): a net cannot change its board",
        lambda lab: lab.resume_with_config(lambda c: c["board"].update(width=5, height=5))),
    Row("resume-net-edited", "resume", "`config.yaml` edited: `net.architecture: resnet`",
        T + "the run's config changes the net since ckpt-00000002.npz (net.architecture): a net "
        "cannot change its architecture",
        lambda lab: lab.resume_with_config(lambda c: c["net"].update(architecture="resnet"))),
    Row("resume-config-invalid", "resume", "`config.yaml` edited to `epochs: x`",
        T + "$FILE: training.epochs must be int, got str 'x'", resume_config_invalid),
    Row("resume-progress-not-mapping", "resume", "checkpoint metadata `progress: 5` (checksum "
        "fits)", T + "ckpt-00000002.npz: its 'progress' record is not a mapping",
        lambda lab: lab.resume_with_meta(progress=5)),
    Row("resume-progress-batch-text", "resume", "checkpoint metadata `progress.batch: \"x\"` "
        "(checksum fits)", T + "ckpt-00000002.npz does not fit this run (batch must be int, got "
        "str 'x')",
        lambda lab: lab.resume_with_meta(progress={"batch": "x", "n_updates": 0,
                                                   "updates_owed": 0.0, "best_win_ratio": 0.0,
                                                   "pure_playout": 20, "elapsed": 1.0})),
    Row("resume-log-bytes-text", "resume", "checkpoint metadata `log_bytes: \"x\"` (checksum "
        "fits)", T + "ckpt-00000002.npz: its file sizes ('log_bytes', 'tensorboard') are not all "
        "byte counts",
        lambda lab: lab.resume_with_meta(log_bytes="x")),
    Row("run-in-use", "resume", "a run directory another training holds",
        T + "$RUN is in use by another training (pid $PID); wait for it to stop", run_in_use),

    # configs, given to `gomoku-zero train --config`
    Row("config-impossible-date", "config", "`seed: 2001-02-30`",
        T + "$FILE: config $FILE is not valid YAML (ValueError: day is out of range for month)",
        lambda lab: lab.config("run:\n  seed: 2001-02-30\n")),
    Row("config-empty-int-tag", "config", "`seed: !!int ''`",
        T + "$FILE: config $FILE is not valid YAML (IndexError: string index out of range)",
        lambda lab: lab.config("run:\n  seed: !!int ''\n")),
    Row("config-deep-nesting", "config", "3000 nested YAML lists",
        T + "$FILE: config $FILE is not valid YAML (RecursionError: maximum recursion depth "
        "exceeded…)",
        lambda lab: lab.config("training:\n  epochs: " + "[" * 3000 + "\n")),
    Row("config-python-tag", "config", "`!!python/object/apply:os.system`",
        T + "$FILE: config $FILE is not valid YAML at line 1",
        lambda lab: lab.config("run: !!python/object/apply:os.system ['echo hi']\n")),
    Row("config-not-utf8", "config", "bytes that are not UTF-8",
        T + "$FILE: config $FILE is not UTF-8 text",
        lambda lab: lab.config(b"run:\n  seed: \xff\n")),
    Row("config-alias-bomb", "config", "an alias bomb: 462 bytes, 9^9 items as `epochs`",
        T + "$FILE: training.epochs must be int, got list [['x', 'x', 'x', 'x', 'x', 'x', ...], "
        "[['x', 'x', 'x', 'x', 'x', 'x', ...], …",
        config_alias_bomb),
    Row("config-huge-hex-int", "config", "`seed: 0xfff...` (5000 hex digits)",
        T + "$FILE: run.seed must be at most 4294967295, got an int of 20000 bits",
        lambda lab: lab.config("run:\n  seed: 0x" + "f" * 5000 + "\n")),
    Row("config-openings-crowded", "config", "9-stone match openings on a 3x3 board",
        T + "$FILE: evaluation.openings does not fit the board: n_stones=9 leaves no empty point "
        "on the 3x3 board",
        lambda lab: lab.config("board: {width: 3, height: 3, n_in_row: 3}\n"
                               "evaluation: {openings: 9}\n")),
    Row("config-openings-many", "config", "60-stone match openings",
        T + "$FILE: evaluation.openings must be at most 12, got 60",
        lambda lab: lab.config("evaluation: {openings: 60}\n")),
    Row("config-net-too-big", "config", "a 40x40 board",
        T + "$FILE: board.width must be at most 32 for a net, got 40",
        lambda lab: lab.config("board: {width: 40, height: 40}\n")),
    Row("config-net-architecture", "config", "`net: {architecture: vgg}`",
        T + "$FILE: net.architecture must be one of seed, resnet, got 'vgg'",
        lambda lab: lab.config("net: {architecture: vgg}\n")),
    Row("config-net-blocks", "config", "`net: {architecture: resnet, blocks: 0}`",
        T + "$FILE: net.blocks must be a positive integer, got 0",
        lambda lab: lab.config("net: {architecture: resnet, blocks: 0}\n")),

    # flags
    Row("flag-not-an-int", "flag", "`train --seed x`",
        T + "argument --seed: invalid int value: 'x'", lambda lab: lab.cli("train", "--seed", "x")),
    Row("flag-unknown", "flag", "`train --bogus`",
        "gomoku-zero: error: unrecognized arguments: --bogus",
        lambda lab: lab.cli("train", "--bogus")),
    Row("flag-unknown-command", "flag", "`gomoku-zero frobnicate`",
        "gomoku-zero: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'play', "
        "'pbrain', …)",
        lambda lab: lab.cli("frobnicate")),
    Row("flag-resume-without-run-dir", "flag", "`train --resume`",
        T + "--resume needs --run-dir DIR", lambda lab: lab.cli("train", "--resume")),
    Row("flag-seed-on-resume", "flag", "`train --resume --run-dir RUN --seed 3`",
        T + "--seed cannot change a resumed run",
        lambda lab: lab.cli("train", "--resume", "--run-dir", lab.tmp, "--seed", "3")),
    Row("flag-seed-too-big", "flag", "`train --seed 5000000000`",
        T + "run.seed must be at most 4294967295, got 5000000000",
        lambda lab: lab.cli("train", "--config", TINY, "--run-dir", lab.tmp / "r",
                            "--seed", "5000000000")),
    Row("flag-board-unicode-digits", "flag", "`play --board ٣x٣x٣`",
        "gomoku-zero play: error: --board must look like WxHxN (e.g. 8x8x5), got '٣x٣x٣'",
        lambda lab: lab.cli("play", "--board", "٣x٣x٣")),
    Row("flag-board-line-too-long", "flag", "`play --board 3x3x9`",
        "gomoku-zero play: error: --board 3x3x9: n_in_row must fit the board: 3x3 is smaller "
        "than 9 in a row", lambda lab: lab.cli("play", "--board", "3x3x9")),
    Row("flag-games-zero", "flag", "`evaluate --games 0`",
        "gomoku-zero evaluate: error: --games must be positive, got 0",
        lambda lab: lab.cli("evaluate", "--games", "0")),
    Row("flag-c-puct-nan", "flag", "`evaluate --c-puct nan`",
        "gomoku-zero evaluate: error: c_puct must be a positive number, got nan",
        lambda lab: lab.cli("evaluate", "--c-puct", "nan")),
    Row("flag-playouts-huge", "flag", "`evaluate --playouts 2000000000`",
        "gomoku-zero evaluate: error: n_playout must be at most 1000000000, got 2000000000",
        lambda lab: lab.cli("evaluate", "--playouts", "2000000000")),
    Row("flag-export-no-model", "flag", "`export --model MISSING --out DIR`",
        "gomoku-zero export: error: --model $FILE: no such file",
        lambda lab: lab.cli("export", "--model", lab.absent("none.model"), "--out", lab.tmp / "o")),
    Row("flag-export-out-is-a-file", "flag", "`export --out FILE`",
        "gomoku-zero export: error: --out $FILE: exists and is not an empty folder",
        lambda lab: lab.cli("export", "--model", lab.model_file, "--out", lab.file(b"x"))),
    Row("flag-pbrain-pure-zero", "flag", "`pbrain-gomoku-zero --pure 0` (a process)",
        "pbrain-gomoku-zero: error: --pure must be positive, got 0",
        lambda lab: pbrain_process("--pure", "0")),

    # protocol lines, to the engine after `START 6` (four in a row)
    Row("protocol-unicode-digit", "protocol", "`START ٣`",
        "ERROR START needs a board size, got '٣'", lambda lab: lab.answer("START ٣")),
    Row("protocol-underscore-number", "protocol", "`TURN 1_0,1`",
        "ERROR TURN needs x,y, got '1_0,1'", lambda lab: lab.answer("TURN 1_0,1")),
    Row("protocol-13-digits", "protocol", "`START 9999999999999`",
        "ERROR START needs a board size, got '9999999999999'",
        lambda lab: lab.answer("START 9999999999999")),
    Row("protocol-board-too-big", "protocol", "`START 1000`",
        "ERROR board 1000x1000 is not supported (sides 1-100)",
        lambda lab: lab.answer("START 1000")),
    Row("protocol-board-too-small", "protocol", "`RECTSTART 3,6`",
        "ERROR n_in_row must fit the board: 3x6 is smaller than 4 in a row",
        lambda lab: lab.answer("RECTSTART 3,6")),
    Row("protocol-negative", "protocol", "`TURN -1,0`",
        "ERROR TURN -1,0 is off the 6x6 board", lambda lab: lab.answer("TURN -1,0")),
    Row("protocol-off-board", "protocol", "`TURN 6,0`",
        "ERROR TURN 6,0 is off the 6x6 board", lambda lab: lab.answer("TURN 6,0")),
    Row("protocol-taken", "protocol", "`TURN 2,2` twice",
        "ERROR TURN 2,2 is already taken", lambda lab: lab.answer("TURN 2,2", "TURN 2,2")),
    Row("protocol-three-numbers", "protocol", "`TURN 1,2,3`",
        "ERROR TURN needs x,y, got '1,2,3'", lambda lab: lab.answer("TURN 1,2,3")),
    Row("protocol-info-not-a-number", "protocol", "`INFO timeout_turn soon`",
        "ERROR INFO timeout_turn needs milliseconds, got 'soon'",
        lambda lab: lab.answer("INFO timeout_turn soon")),
    Row("protocol-takeback-empty", "protocol", "`TAKEBACK 0,0` on an empty point",
        "ERROR TAKEBACK 0,0: no stone there", lambda lab: lab.answer("TAKEBACK 0,0")),
    Row("protocol-begin-not-empty", "protocol", "`BEGIN` after a stone",
        "ERROR BEGIN needs an empty board (send RESTART first)",
        lambda lab: lab.answer("TURN 0,0", "BEGIN")),
    Row("protocol-board-field", "protocol", "a BOARD block with `1,1,7`",
        "ERROR BOARD field must be 1, 2 or 3, got 7 in '1,1,7'",
        lambda lab: lab.answer("BOARD", "1,1,7", "DONE")),
    Row("protocol-board-block-too-long", "protocol", "a BOARD block of 37 lines on 6x6",
        "ERROR BOARD block longer than the board's 36 points: block ignored",
        board_block_too_long),
    Row("protocol-game-over", "protocol", "a BOARD block holding the opponent's four in a row",
        "ERROR the game is over: there is already a line of 4 on the board",
        lambda lab: lab.answer("BOARD", "0,0,2", "1,0,2", "2,0,2", "3,0,2", "0,5,1", "2,5,1",
                               "4,5,1", "DONE")),
    Row("protocol-control-chars", "protocol", "`HELLO\\x00\\x1b[2J`",
        "UNKNOWN command 'HELLO??[2J'", lambda lab: lab.answer("HELLO\x00\x1b[2J")),
    Row("protocol-empty-line", "protocol", "an empty line",
        "UNKNOWN empty line", lambda lab: lab.answer("")),
    Row("protocol-before-start", "protocol", "`BEGIN` before any START",
        "ERROR BEGIN before START: no board yet", lambda lab: lab.answer("BEGIN", start=None)),
    Row("protocol-start-zero", "protocol", "`START 0`",
        "ERROR board 0x0 is not supported (sides 1-100)", lambda lab: lab.answer("START 0")),
    Row("protocol-line-too-long", "protocol", "a line of 5000 bytes (to the process's input)",
        "ERROR line longer than 4096 bytes ignored", lambda lab: lab.served(b"A" * 5000 + b"\n")),

    # openings files (gomoku.openings.read_openings, 7x7, four in a row)
    Row("openings-5000-digits", "openings", "`match pure:20 random --board 7x7x4 --games 2 "
        "--openings-file FILE`, a coordinate of 5000 digits in FILE",
        "gomoku-zero match: error: openings file $FILE line 1: bad number '1…'",
        lambda lab: lab.cli("match", "pure:20", "random", "--board", "7x7x4", "--games", "2",
                            "--openings-file", lab.file("0,0, " + "1" * 5000 + ",0\n"))),
    Row("openings-unicode-digit", "openings", "`٣,0`",
        "openings text line 1: bad number '٣'", lambda lab: lab.openings("٣,0\n")),
]


# -- the tests -----------------------------------------------------------------------------------
def expected_pattern(line: str, values: dict) -> re.Pattern:
    parts = re.split(r"(\$[A-Z]+|…)", line)
    regex = "".join(".*" if p == "…" else re.escape(values[p[1:]]) if p.startswith("$")
                    else re.escape(p) for p in parts)
    return re.compile(regex)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_gets_its_one_line(row, tmp_path, capsys, model_file, request):
    lab = Lab(tmp_path, capsys, model_file, request)
    line = row.produce(lab)
    assert isinstance(line, str) and "\n" not in line
    if not expected_pattern(row.line, lab.values).fullmatch(line):
        pytest.fail(f"got:  {line}\nwant: {row.line}\nwith: {lab.values}", pytrace=False)


def doc_rows() -> list[tuple[str, str, str, str]]:
    """The table of docs/bad-input.md: (id, kind, given, line) per row."""
    rows = []
    for text in DOC.read_text(encoding="utf-8").splitlines():
        if not text.startswith("| `"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", text)[1:-1]]
        assert len(cells) == 4, text
        ident, kind, given, line = cells
        assert ident.startswith("`") and ident.endswith("`"), text
        assert line.startswith("`` ") and line.endswith(" ``"), text
        rows.append((ident[1:-1], kind, given, line[3:-3]))
    return rows


def test_the_doc_table_is_the_test_table():
    assert len(ROWS) >= 30 and len({row.id for row in ROWS}) == len(ROWS)
    assert doc_rows() == [(row.id, row.kind, row.given, row.line) for row in ROWS]
