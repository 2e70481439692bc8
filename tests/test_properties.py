"""Properties of every reader of outside input: whatever it is given, it returns a valid result or
raises the project's one error type of bad input (gomoku.InputError) with a one-line message;
never another exception, never a hang.

Readers: the Gomocup protocol engine (lines, and the byte stream of its process), the model-file
reader, the checkpoint decoder, the config loader (sections and YAML text), the openings file.
Examples are derandomized, so a run is reproducible.
"""
import dataclasses
import io
import json
import re
import typing
import zipfile

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings, strategies as st

from gomoku import BoardConfig, InputError
from gomoku.openings import read_openings
from mcts import MCTSPurePlayer
from pipeline import checkpoint, gomocup, run_config
from pipeline.brain import Brain
from pipeline.gomocup import OPPONENT, OWN, Engine

pytestmark = pytest.mark.filterwarnings("ignore")  # zipfile warns of duplicate names, yaml of tags


def prop(max_examples):
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def one_line(exc: Exception) -> str:
    message = str(exc)
    assert isinstance(exc, InputError), f"{type(exc).__name__} is not an InputError: {message}"
    assert message and "\n" not in message and "\r" not in message
    return message


# -- the protocol engine ------------------------------------------------------------------------
WORDS = ["START", "RECTSTART", "RESTART", "BEGIN", "TURN", "BOARD", "DONE", "TAKEBACK", "INFO",
         "ABOUT", "END", "PLAY", "SWAP2BOARD", "TURNIP"]
INFO_KEYS = ["timeout_turn", "timeout_match", "time_left", "max_memory", "rule", "folder",
             "TIMEOUT_TURN", ""]
HOSTILE_NUMBERS = ["٣", "١٢", "１", "1_0", "-0", "+1", "-1", "0x1", "1e2", "3.0", "nan", "",
                   " ", "9" * 12, "9" * 13, "-" + "9" * 12, "9" * 300, "9" * 5000, "\x00", "\t3",
                   "3\x0b", "\u2028", "3\u00a0", "²", "IV"]
number = st.one_of(st.integers(-1, 7).map(str), st.integers(-1, 7).map(str),
                   st.sampled_from(HOSTILE_NUMBERS), st.integers().map(str),
                   st.text(alphabet="0123456789-+ ٣１_,", max_size=14))
separator = st.sampled_from([",", ",", ", ", " ,", ";", " ", ",,"])


@st.composite
def arguments(draw, max_count=4):
    values = draw(st.lists(number, max_size=max_count))
    return draw(separator).join(values)


def cased(word):
    return st.sampled_from([word, word.lower(), word.title()])


command_line = st.builds(lambda w, sep, args: f"{w}{sep}{args}".rstrip() if args else w,
                         st.sampled_from(WORDS).flatmap(cased), st.sampled_from([" ", "  ", "\t"]),
                         arguments())
info_line = st.builds(lambda key, value: f"INFO {key} {value}", st.sampled_from(INFO_KEYS), number)
field_line = arguments(max_count=4)  # x,y,field inside a BOARD block
protocol_line = st.one_of(command_line, command_line, info_line, field_line, st.text(max_size=60),
                          st.sampled_from(["START 6", "RECTSTART 6,5", "BOARD", "DONE", "BEGIN"]))
spaced = st.builds(lambda before, line, after: before + line + after,
                   st.sampled_from(["", "", " ", "\r"]), protocol_line,
                   st.sampled_from(["", "", " ", "\r", "\r\n"]))

MOVE = re.compile(r"([0-9]+),([0-9]+)")
ANSWER_WORDS = ("OK", "ERROR ", "UNKNOWN ", "MESSAGE ", 'name="gomoku-zero"')


def pure_engine() -> Engine:
    brain = Brain("pure 20", None, lambda cfg: MCTSPurePlayer(n_playout=20, seed=0))
    return Engine(brain, n_in_row=4)


def check_answer(engine: Engine, before: tuple, answers) -> None:
    """One line's answers: printable lines of known words; at most one that is not MESSAGE, and
    MESSAGE lines only before a move; a move is on a point that was empty and is now the
    engine's; an ERROR (other than game over) changed nothing; the stones are on the board and
    distinct."""
    assert isinstance(answers, list)
    for answer in answers:
        assert isinstance(answer, str) and answer.isprintable(), repr(answer)
        assert answer.startswith(ANSWER_WORDS) or MOVE.fullmatch(answer), repr(answer)
    finals = [a for a in answers if not a.startswith("MESSAGE ")]
    assert len(finals) <= 1 and answers[len(answers) - len(finals):] == finals, answers
    last = finals[0] if finals else ""
    move = MOVE.fullmatch(last)
    assert move or len(answers) == len(finals), answers
    assert len(last) <= 200, last
    event("answer: " + ("move" if move else "game over" if "game is over" in last
                        else last.split(" ")[0].split("=")[0] or "none"))
    cfg, stones = engine.board_config, engine.stones
    if move:
        x, y = (int(v) for v in move.groups())
        assert 0 <= x < cfg.width and 0 <= y < cfg.height
        point = y * cfg.width + x
        assert stones[-1] == (point, OWN) and point not in {m for m, _ in stones[:-1]}
    elif last.startswith("ERROR ") and "the game is over" not in last:
        assert (cfg, stones) == before
    if cfg is not None:
        points = [m for m, _ in stones]
        assert all(0 <= m < cfg.n_moves for m in points) and len(set(points)) == len(points)
        assert all(owner in (OWN, OPPONENT) for _, owner in stones)


@prop(150)
@given(st.booleans(), st.lists(spaced, min_size=1, max_size=40))
def test_protocol_lines_get_known_answers_and_keep_the_stones_valid(start, lines):
    engine = pure_engine()
    for line in (["START 6"] if start else []) + lines:
        before = (engine.board_config, list(engine.stones))
        check_answer(engine, before, engine.handle(line))
        if engine.finished:
            break


# legal-looking traffic, so that moves are answered and games end (a line of four, a full board)
turn = st.builds(lambda x, y: f"TURN {x},{y}", st.integers(0, 5), st.integers(0, 5))
field = st.builds(lambda x, y, f: f"{x},{y},{f}", st.integers(0, 5), st.integers(0, 5),
                  st.integers(1, 3))
board_block = st.lists(field, min_size=3, max_size=36).map(lambda rows: ["BOARD", *rows, "DONE"])


@prop(60)
@given(st.lists(st.one_of(st.lists(turn, min_size=1, max_size=12), board_block,
                          st.sampled_from([["RESTART"], ["BEGIN"], ["TAKEBACK 2,2"]])),
                max_size=12))
def test_protocol_games_to_the_end(chunks):
    engine = pure_engine()
    engine.handle("START 6")
    for line in [line for chunk in chunks for line in chunk]:
        before = (engine.board_config, list(engine.stones))
        check_answer(engine, before, engine.handle(line))


@prop(60)
@given(st.lists(st.one_of(spaced.map(lambda s: s.encode("utf-8", "surrogatepass")),
                          st.binary(max_size=40),
                          st.integers(4000, 9000).map(lambda n: b"A" * n)), max_size=12))
def test_protocol_stream_answers_crlf_lines(chunks):
    data = b"START 6\n" + b"\n".join(chunks) + b"\n"
    out = io.BytesIO()
    assert gomocup.serve(pure_engine(), io.BytesIO(data), out) == 0
    output = out.getvalue()
    assert output == b"" or output.endswith(b"\r\n")
    lines = output.split(b"\r\n")[:-1]
    assert len([l for l in lines if not l.startswith(b"MESSAGE ")]) <= data.count(b"\n")
    for line in lines:
        text = line.decode("utf-8")
        assert "\n" not in text and "\r" not in text
        assert text.startswith(ANSWER_WORDS) or MOVE.fullmatch(text), text


# -- the model file -----------------------------------------------------------------------------
class Blob(bytes):
    """Bytes that Hypothesis reports by their length, not their megabyte of content."""

    def __repr__(self):
        return f"<{len(self)} bytes>"


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> Blob:
    from net import PolicyValueNet
    path = tmp_path_factory.mktemp("model") / "small.model"
    PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=0).save_model(path)
    return Blob(path.read_bytes())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("scratch") / "file"


def zip_regions(data: bytes) -> list[int]:
    """Offsets where a change alters structure, not weights: local and .npy headers, directory."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        starts = [info.header_offset for info in z.infolist()]
        end = max(i.header_offset + 30 + len(i.filename) + 130 + i.compress_size
                  for i in z.infolist())
    return starts + list(range(end - 64, len(data), 16))


def check_model_file(path) -> None:
    from net.model_file import ModelFile, ModelFileError, read_model_file
    from net.net_config import MAX_NET_SIDE
    try:
        model = read_model_file(path)
    except ModelFileError as exc:
        one_line(exc)
        return
    assert isinstance(model, ModelFile)
    assert all(1 <= side <= MAX_NET_SIDE for side in model.board_size)
    if model.board is not None:
        assert (model.board.width, model.board.height) == model.board_size
    assert all(isinstance(a, np.ndarray) for a in model.arrays.values())


@prop(120)
@given(st.one_of(st.binary(max_size=600), st.binary(max_size=600).map(lambda b: b"PK\x03\x04" + b)))
def test_model_file_from_random_bytes(scratch, data):
    scratch.write_bytes(data)
    check_model_file(scratch)


@prop(120)
@given(st.data())
def test_model_file_mutated_or_truncated(model_bytes, scratch, data):
    regions = zip_regions(model_bytes)
    changes = data.draw(st.lists(st.tuples(
        st.one_of(st.sampled_from(regions).flatmap(lambda o: st.integers(o, o + 140)),
                  st.integers(0, len(model_bytes) - 1)),
        st.integers(0, 255)), max_size=5))
    blob = bytearray(model_bytes)
    for offset, value in changes:
        blob[min(offset, len(blob) - 1)] = value
    cut = data.draw(st.one_of(st.just(len(blob)), st.sampled_from(regions),
                              st.integers(0, len(blob))))
    scratch.write_bytes(bytes(blob[:cut]))
    check_model_file(scratch)


json_text = st.one_of(
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.sampled_from(["board", "net", "width", "height", "n_in_row",
                                                    "rule", "l2_const", "x"]), inner, max_size=5),
                 max_leaves=20).map(json.dumps),
    st.integers(1, 200_000).map(lambda n: "[" * n),
    st.integers(1, 200_000).map(lambda n: '{"board":' * n),
    st.text(max_size=40))


def replaced_entry():
    """A model file's format, board_size or game entry as another array."""
    scalars = st.one_of(st.text(max_size=40).map(np.array),
                        st.integers(-2**63, 2**63 - 1).map(np.array), json_text.map(np.array),
                        st.sampled_from(["gomoku-zero policy-value net v1",
                                         "gomoku-zero policy-value net v2"]).map(np.array))
    sizes = st.lists(st.integers(-2**40, 2**40), max_size=3).map(lambda v: np.array(v, np.int64))
    return st.tuples(st.sampled_from(["format", "board_size", "game"]),
                     st.one_of(scalars, sizes, st.just(np.zeros((2, 2))),
                               st.just(np.array([4.0, 4.0]))))


@prop(100)
@given(st.lists(replaced_entry(), max_size=3), st.booleans())
def test_model_file_with_hostile_entries(model_bytes, scratch, replacements, drop_weights):
    with np.load(io.BytesIO(model_bytes)) as npz:
        entries = {k: npz[k] for k in npz.files if not (drop_weights and k.startswith("model/"))}
    entries.update(replacements)
    with open(scratch, "wb") as f:
        np.savez(f, **entries)
    check_model_file(scratch)


@prop(60)
@given(json_text)
def test_model_file_with_a_hostile_game_entry(model_bytes, scratch, game):
    with np.load(io.BytesIO(model_bytes)) as npz:
        entries = {k: npz[k] for k in npz.files}
    entries["game"] = np.array(game)
    with open(scratch, "wb") as f:
        np.savez(f, **entries)
    check_model_file(scratch)


# -- the checkpoint -----------------------------------------------------------------------------
ARRAYS = {"w": np.arange(12, dtype=np.float32).reshape(3, 4),
          "buf": np.ones((2, 4, 2, 2), np.uint8)}
META = {"format": 2, "progress": {"batch": 2}, "rng": np.random.default_rng(0).bit_generator.state}
ENCODED = checkpoint.encode(ARRAYS, META)


def check_checkpoint(data) -> None:
    try:
        arrays, meta = checkpoint.decode(data)
    except checkpoint.CheckpointError as exc:
        one_line(exc)
        return
    assert isinstance(meta, dict)
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert checkpoint.META_KEY not in arrays and checkpoint.DIGEST_KEY not in arrays


@prop(120)
@given(st.binary(max_size=600))
def test_checkpoint_from_random_bytes(data):
    check_checkpoint(data)


@prop(150)
@given(st.lists(st.tuples(st.integers(0, len(ENCODED) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(ENCODED)))
def test_checkpoint_mutated_or_truncated(changes, length):
    data = bytearray(ENCODED)
    for offset, value in changes:
        data[offset] = value
    check_checkpoint(bytes(data[:length]))


def with_digest(arrays: dict, meta_bytes: bytes, digest: bytes | None = None) -> bytes:
    """A checkpoint whose checksum fits its content, whatever the metadata bytes are."""
    members = dict(arrays)
    members[checkpoint.META_KEY] = np.frombuffer(meta_bytes, np.uint8)
    digest = checkpoint.digest(arrays, meta_bytes).encode() if digest is None else digest
    members[checkpoint.DIGEST_KEY] = np.frombuffer(digest, np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **members)
    return buf.getvalue()


@prop(100)
@given(st.one_of(json_text.map(str.encode), st.binary(max_size=60)),
       st.one_of(st.none(), st.binary(max_size=70)))
def test_checkpoint_with_hostile_metadata_and_a_fitting_checksum(meta_bytes, digest):
    check_checkpoint(with_digest(ARRAYS, meta_bytes, digest))


# -- the config ---------------------------------------------------------------------------------
SECTIONS = {name: [f.name for f in dataclasses.fields(tp)]
            for name, tp in typing.get_type_hints(run_config.Config).items()}
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.integers(0, 70),
                   st.integers(), st.floats(), st.text(max_size=10),
                   st.sampled_from(["freestyle", "1e3", "0x10"]))
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@st.composite
def config_sections(draw):
    data = {}
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "bogus"]), max_size=6)):
        if draw(st.integers(0, 9)) == 0:
            data[section] = draw(value)
            continue
        keys = SECTIONS.get(section, []) + ["bogus", "search", "n_playout"]
        data[section] = draw(st.dictionaries(st.sampled_from(keys), value, max_size=4))
    return data


def check_config(load, source) -> None:
    try:
        config = load(source)
    except run_config.ConfigError as exc:
        assert len(one_line(exc)) < 1000
        return
    assert isinstance(config, run_config.Config)
    assert run_config.from_dict(yaml.safe_load(config.to_yaml())) == config


@prop(200)
@given(st.one_of(config_sections(), value))
def test_config_from_random_sections(data):
    check_config(run_config.from_dict, data)


YAML_PIECES = ["board:", "search:", "training:", "evaluation:", "run:", "net:", "  width: ",
               "  n_playout: ", "  epochs: ", "  seed: ", "  rule: ", "\n", "\n  ", ": ", "- ",
               "[", "]", "{", "}", ",", "&a ", "*a", "!!int ", "!!float ", "!!timestamp ",
               "!!binary ", "!!python/object:os.system ", "!!set ", "<<: ", "? ", "'", '"', "#",
               "6", "-1", "1e400", ".nan", "0o17", "0x" + "f" * 4000, "9" * 5000, "2001-02-30",
               "2001-13-01", "12:30:00", "~", "yes", "\t", "%YAML 1.1\n", "---\n", "...\n",
               "|\n  ", ">\n  ", "\x00", "\ufeff"]
yaml_text = st.one_of(st.lists(st.sampled_from(YAML_PIECES), max_size=30).map("".join),
                      st.text(max_size=80),
                      st.integers(1, 1500).map(lambda n: "a: " + "[" * n))


@st.composite
def alias_bomb(draw):
    """Small text, a value of fanout ** depth leaves through YAML aliases (no copy is made).

    At most 9 ** 6 leaves: a loader that quotes such a value whole fails the test (its message is
    megabytes long) rather than hanging it (test_bad_input tries 9 ** 9 after 9 ** 5)."""
    depth, fanout = draw(st.integers(1, 6)), draw(st.integers(1, 9))
    key = draw(st.sampled_from(["board:\n  width", "training:\n  epochs", "board:\n  rule",
                                "run:\n  verbose", "search:\n  dirichlet_weight"]))
    levels = ["&l0 [" + ", ".join(["x"] * fanout) + "]"]
    levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * fanout) + "]" for i in range(1, depth)]
    return f"{key}: [{', '.join(levels)}]\n"


@prop(150)
@given(st.one_of(yaml_text, alias_bomb()))
def test_config_from_random_yaml_text(scratch, text):
    scratch.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_config(run_config.load, scratch)


# -- the openings file --------------------------------------------------------------------------
opening_text = st.lists(st.lists(number, max_size=8).map(", ".join), max_size=5).map("\n".join)


@prop(150)
@given(st.one_of(opening_text, st.text(max_size=60)))
def test_openings_file(text):
    try:
        openings = read_openings(text + "\n", 7, 7, 4)  # text, never a path
    except InputError as exc:
        one_line(exc)
        return
    assert openings and all(len(set(o)) == len(o) and all(0 <= m < 49 for m in o)
                            for o in openings)
