"""net.npz_reader: np.savez output round-trips exactly; hostile archives give the caller's error."""
import io
import struct
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from net.npz_reader import read_npz

CAPS = {"max_members": 16, "max_array_bytes": 1 << 16, "max_total_bytes": 1 << 18}
PROPERTY = settings(max_examples=300, deadline=2000, database=None)


class Hostile(Exception):
    """Stands for ModelFileError / CheckpointError: the error type the caller asks for."""


def _arrays():
    rng = np.random.default_rng(0)
    return {
        "int8": np.arange(-6, 6, dtype=np.int8).reshape(3, 4),
        "uint8_planes": rng.integers(0, 2, (2, 4, 5, 5)).astype(np.uint8),
        "float32": rng.random((7,)).astype(np.float32),
        "int64": np.array([2**62, -1, 0], dtype=np.int64),
        "bool": np.array([True, False, True]),
        "big_endian": np.arange(4, dtype=">f8"),
        "complex64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "unicode_scalar": np.array("gomoku-zero policy-value net v1"),
        "scalar_0d": np.array(-2.5, dtype=np.float64),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "fortran": np.asfortranarray(rng.random((3, 5))),
        "model/conv1/kernel": rng.random((3, 3, 4, 2)).astype(np.float32),
    }


def _savez(save=np.savez, **arrays) -> bytes:
    buf = io.BytesIO()
    save(buf, **arrays)
    return buf.getvalue()


def _npy(header: str, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A hand-built .npy member: magic, header length, header text, then ``data``."""
    text = (header + "\n").encode("latin1")
    size = struct.pack("<H" if version == (1, 0) else "<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data


def _zip(*members, compression=zipfile.ZIP_STORED) -> bytes:
    """A zip of (name, content) pairs, duplicates allowed."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, which we want
        with zipfile.ZipFile(buf, "w", compression) as z:
            for name, content in members:
                z.writestr(name, content)
    return buf.getvalue()


def _header(descr: str = "'<f8'", shape: str = "(2,)", fortran: str = "False") -> str:
    return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"


def _rejected(source, **caps) -> str:
    with pytest.raises(Hostile) as info:
        read_npz(source, Hostile, **{**CAPS, **caps})
    message = str(info.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
@pytest.mark.parametrize("from_path", [False, True])
def test_round_trip_equals_np_load(tmp_path, save, from_path):
    data = _savez(save, **_arrays())
    source = data
    if from_path:
        source = tmp_path / "a.npz"
        source.write_bytes(data)
    got = read_npz(source, Hostile, **CAPS)
    with np.load(io.BytesIO(data), allow_pickle=False) as expected:
        assert sorted(got) == sorted(expected.files) == sorted(_arrays())
        for key in expected.files:
            want = expected[key]
            assert got[key].dtype == want.dtype and got[key].shape == want.shape, key
            np.testing.assert_array_equal(got[key], want)
            assert got[key].flags.f_contiguous == want.flags.f_contiguous
            assert got[key].flags.c_contiguous == want.flags.c_contiguous
            assert got[key].flags.owndata and got[key].flags.writeable, key
    assert got["fortran"].flags.f_contiguous and not got["fortran"].flags.c_contiguous
    assert str(got["unicode_scalar"]) == "gomoku-zero policy-value net v1"


def test_empty_archive_gives_no_arrays():
    assert read_npz(_zip(), Hostile, **CAPS) == {}


def test_member_without_npy_suffix():
    member = _npy(_header("'<U3'", "()"), "tag".encode("utf-32-le"))
    assert read_npz(_zip(("format.npy", member)), Hostile, **CAPS)["format"] == "tag"
    message = _rejected(_zip(("format", member)))
    assert "'format'" in message and ".npy" in message


def test_member_named_only_npy_suffix():
    assert "'.npy'" in _rejected(_zip((".npy", _npy(_header(shape="(0,)")))))


def test_huge_declared_shape_is_refused_before_allocating():
    message = _rejected(_zip(("w.npy", _npy(_header("'<f4'", "(100000000000,)")))))
    assert "'w.npy'" in message and "400000000000 bytes" in message


def test_declared_total_over_the_cap():
    one = np.zeros(1000, np.uint8)
    assert read_npz(_savez(a=one), Hostile, **{**CAPS, "max_total_bytes": 1000})["a"].size == 1000
    message = _rejected(_savez(a=one, b=one), max_total_bytes=1999)
    assert "1999 bytes" in message and "'b.npy'" in message


@pytest.mark.parametrize("data_len", [8, 24])
def test_header_lying_about_data_size(data_len):
    message = _rejected(_zip(("a.npy", _npy(_header(shape="(2,)"), bytes(data_len)))))
    assert "'a.npy'" in message and "zip directory says" in message


@pytest.mark.parametrize("descr", ["'|O'", "[('a', '<f4')]", "('<f4', (2,))", "'|V8'", "'<M8[s]'",
                                   "'<U0'", "'no such dtype'"])
def test_non_plain_dtype(descr):
    message = _rejected(_zip(("a.npy", _npy(_header(descr, "(1,)"), bytes(8)))))
    assert "'a.npy'" in message and ("dtype" in message or "header" in message)


@pytest.mark.parametrize("shape", ["(-1,)", "(True,)", "(2.0,)", "[2]", "(1,)*40",
                                   "(" + "1," * 40 + ")"])
def test_bad_shape(shape):
    assert "'a.npy'" in _rejected(_zip(("a.npy", _npy(_header(shape=shape), bytes(8)))))


@pytest.mark.parametrize("member", [
    _npy(_header(), bytes(16), version=(9, 0)),   # unknown .npy version
    _npy(_header(shape="(2L,)"), bytes(16)),       # Python 2 header: numpy would only warn
    _npy("{'descr': '<f8'}", bytes(16)),           # keys missing
    _npy("not a dict", bytes(16)),
    b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 100,     # header longer than the member
    b"PK\x03\x04 not an npy at all",
])
def test_unreadable_header(member):
    assert "'a.npy'" in _rejected(_zip(("a.npy", member)))


def test_duplicate_names():
    member = _npy(_header(shape="(1,)"), bytes(8))
    assert "appears twice" in _rejected(_zip(("a.npy", member), ("a.npy", member)))


def test_too_many_members():
    data = _savez(a=np.zeros(1), b=np.zeros(1), c=np.zeros(1))
    assert set(read_npz(data, Hostile, **{**CAPS, "max_members": 3})) == {"a", "b", "c"}
    assert "3 members" in _rejected(data, max_members=2)


def test_unsupported_compression():
    member = _npy(_header(shape="(1,)"), bytes(8))
    bzip2 = _zip(("a.npy", member), compression=zipfile.ZIP_BZIP2)
    assert "compression method 12" in _rejected(bzip2)


@pytest.mark.parametrize("size", [64, 50_000])  # altered byte within / after the header's read
def test_altered_data_fails_the_crc(size):
    data = bytearray(_savez(a=np.full(size, 7, dtype=np.uint8)))
    data[data.index(b"\x07" * size) + size - 1] ^= 0xFF  # the last data byte
    message = _rejected(bytes(data))
    assert "member 'a.npy': unreadable" in message and "Bad CRC-32" in message


@pytest.mark.parametrize("cut", [0, 4, 30, 200, -22, -1])
def test_truncated_archive(tmp_path, cut):
    path = tmp_path / "t.npz"
    path.write_bytes(_savez(**_arrays())[:cut])
    assert str(path) in _rejected(path)


@pytest.mark.parametrize("content", [b"", b"hello, not a zip", b"PK\x03\x04" + bytes(100)])
def test_not_a_zip(content):
    assert _rejected(content) == ("npz data: not a zip archive, or truncated "
                                  "(BadZipFile: File is not a zip file)")


def test_missing_file_and_directory(tmp_path):
    assert _rejected(tmp_path / "absent.npz").endswith(
        "absent.npz: cannot open (FileNotFoundError: No such file or directory)")
    assert "cannot open (IsADirectoryError" in _rejected(tmp_path)


def test_source_of_another_type_is_a_caller_bug():
    with pytest.raises(TypeError):
        read_npz(123, Hostile, **CAPS)


def _dict_or_hostile(source) -> None:
    """The property: arrays, or Hostile with a one-line message; no other exception escapes."""
    try:
        got = read_npz(source, Hostile, **CAPS)
    except Hostile as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert all(isinstance(v, np.ndarray) for v in got.values())


VALID = _savez(**_arrays())


@PROPERTY
@given(st.binary(max_size=2048))
def test_random_bytes(data):
    _dict_or_hostile(data)


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(VALID)))
def test_mutated_and_truncated_archive(changes, length):
    data = bytearray(VALID)
    for position, value in changes:
        data[position] = value
    _dict_or_hostile(bytes(data[:length]))


@PROPERTY
@given(st.binary(max_size=512), st.sampled_from([b"", b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00"]),
       st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_random_member_content(content, magic, compression):
    _dict_or_hostile(_zip(("a.npy", magic + content), compression=compression))


@PROPERTY
@given(st.text(max_size=200), st.binary(max_size=64))
def test_random_header_text(header, data):
    text = header.encode("latin1", "replace")
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data
    _dict_or_hostile(_zip(("a.npy", member)))
