"""One guarded reader for every .npz archive the project opens (model files, checkpoints).

``read_npz`` trusts nothing in the file. Its invariants:

* Every member is checked before any array data is allocated: the zip directory opens; it has at
  most ``max_members`` entries; each name ends in ``.npy`` and is unique once that is stripped; no
  member is encrypted or compressed other than stored/deflated; each ``.npy`` header (format 1.0
  or 2.0, at most MAX_HEADER_BYTES) parses; its dtype is a plain bool, integer, float, complex or
  fixed-width unicode type (no object, structured, sub-array or zero-size dtype); its shape is a
  tuple of at most MAX_NDIM ints >= 0; its byte size, computed with Python ints, is at most
  ``max_array_bytes``, and the sizes together at most ``max_total_bytes``; and the uncompressed
  size in the zip directory equals header length + data bytes, so a header cannot lie about how
  much data follows.
* Reading a member's data allocates its declared bytes and about one READ_CHUNK of buffers; zip
  decompression is never asked for more than that, so a zip bomb cannot inflate past the caps.
  Every member is read to its end, so the zip CRC of every member is checked. (Not bounded by
  the caps: zipfile's parse of the zip directory, which is bounded by the size of the file.)
* Each returned array owns its memory (none is a view of the file's bytes) and is writable.
* Every failure, whatever raised it underneath (zipfile, zlib, numpy's header parser, the OS),
  reaches the caller as ``error(message)``: one line, naming the file or member and what is wrong.
  No pickle is ever loaded.
"""
from __future__ import annotations

import io
import math
import os
import struct
import tokenize
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from typing import Iterator, NamedTuple

import numpy as np
from numpy.lib import format as npy_format

MAX_HEADER_BYTES = 10_000  # numpy's own default limit on the length of a .npy header
MAX_NDIM = 32
READ_CHUNK = 1 << 20
PLAIN_KINDS = "biufcU"  # bool, signed and unsigned int, float, complex, fixed-width unicode
ALLOWED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0,
                  (2, 0): npy_format.read_array_header_2_0}
# what zipfile, zlib, numpy's header parser and the OS raise on damaged or hostile input;
# Warning is here because header parsing runs with warnings raised as errors
READ_FAILURES = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, OverflowError,
                 RuntimeError, SyntaxError, MemoryError, Warning, zipfile.BadZipFile, zlib.error,
                 struct.error, tokenize.TokenError)
BYTES_TYPES = (bytes, bytearray, memoryview)
MAX_SHOWN = 200  # characters of a name or an underlying message quoted in an error message


class _Rejected(Exception):
    """Internal: why the archive is refused; read_npz re-raises it as the caller's error type."""


class _Member(NamedTuple):
    """A member whose header passed every check: where its data starts, what it holds."""

    info: zipfile.ZipInfo
    key: str
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    header_len: int
    nbytes: int


def read_npz(source, error: type[Exception], *, max_members: int, max_array_bytes: int,
             max_total_bytes: int) -> dict[str, np.ndarray]:
    """The arrays of the .npz at ``source`` (a path or the archive's bytes), keyed by name.

    Raises ``error(one-line message)`` for anything wrong with the archive; see the module
    docstring for what is checked. ``source`` of another type is a caller bug: TypeError.
    """
    if isinstance(source, BYTES_TYPES):
        where = "npz data"
    elif isinstance(source, (str, os.PathLike)):
        where = os.fspath(source)
    else:
        raise TypeError(f"read_npz source must be a path or bytes, not {type(source).__name__}")
    try:
        with _stream(source) as stream:
            with _blame("not a zip archive, or truncated"):
                archive = zipfile.ZipFile(stream)
            with archive:
                members = _check_all(archive, max_members, max_array_bytes, max_total_bytes)
                return {m.key: _read_data(archive, m) for m in members}
    except _Rejected as exc:
        raise error(f"{where}: {exc}") from None


@contextmanager
def _stream(source) -> Iterator[io.BufferedIOBase]:
    """A binary stream over ``source``: its bytes, or the file at its path (closed on exit)."""
    if isinstance(source, BYTES_TYPES):
        yield io.BytesIO(source)
        return
    with _blame("cannot open"):
        f = open(source, "rb")
    with f:
        yield f


def _check_all(archive: zipfile.ZipFile, max_members: int, max_array_bytes: int,
               max_total_bytes: int) -> list[_Member]:
    infos = archive.infolist()
    if len(infos) > max_members:
        raise _Rejected(f"{len(infos)} members, more than the {max_members} allowed")
    members, keys, total = [], set(), 0
    for info in infos:
        member = _check_member(archive, info, max_array_bytes)
        if member.key in keys:
            raise _Rejected(f"{_member(info)}: array name {_show(member.key)} appears twice")
        keys.add(member.key)
        total += member.nbytes
        if total > max_total_bytes:
            raise _Rejected(f"arrays declare more than the {max_total_bytes} bytes allowed in all "
                            f"(reached {total} at {_member(info)})")
        members.append(member)
    return members


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_array_bytes: int) -> _Member:
    name = _member(info)
    if not info.filename.endswith(".npy") or info.filename == ".npy":
        raise _Rejected(f"{name}: not an array (its name does not end in <name>.npy)")
    if info.flag_bits & 0x1:
        raise _Rejected(f"{name}: encrypted")
    if info.compress_type not in ALLOWED_COMPRESSION:
        raise _Rejected(f"{name}: compression method {info.compress_type} is not supported "
                        f"(only {' or '.join(ALLOWED_COMPRESSION.values())})")
    with _blame(f"{name}: unreadable"), archive.open(info) as f:
        # magic (6), version (2), header length (2 or 4), then at most MAX_HEADER_BYTES of header
        header = io.BytesIO(f.read(min(info.file_size, 12 + MAX_HEADER_BYTES)))
    with _blame(f"{name}: bad .npy header"), warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. numpy's Python-2 header fallback: refuse, not warn
        version = npy_format.read_magic(header)
        if version not in HEADER_READERS:
            raise _Rejected(f"{name}: .npy format version {version[0]}.{version[1]} "
                            "is not supported (only 1.0 or 2.0)")
        read_header = HEADER_READERS[version]
        shape, fortran_order, dtype = read_header(header, max_header_size=MAX_HEADER_BYTES)
        header_len = header.tell()
    if (dtype.kind not in PLAIN_KINDS or dtype.fields is not None or dtype.subdtype is not None
            or dtype.itemsize == 0):
        raise _Rejected(f"{name}: dtype {_show(str(dtype))} is not a plain bool, number "
                        "or unicode type")
    if len(shape) > MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
        raise _Rejected(f"{name}: shape {_show(str(shape))} is not a tuple of at most "
                        f"{MAX_NDIM} ints >= 0")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_array_bytes:
        raise _Rejected(f"{name}: shape {shape} of {dtype} is {nbytes} bytes, more than the "
                        f"{max_array_bytes} allowed")
    if info.file_size != header_len + nbytes:
        raise _Rejected(f"{name}: header and data should be {header_len + nbytes} bytes, "
                        f"the zip directory says {info.file_size}")
    return _Member(info, info.filename[:-len(".npy")], dtype, shape, fortran_order, header_len,
                   nbytes)


def _read_data(archive: zipfile.ZipFile, m: _Member) -> np.ndarray:
    """The member's array, filled chunk by chunk: its bytes are never held twice in memory."""
    with _blame(f"{_member(m.info)}: unreadable data"):
        array = np.empty(m.shape, m.dtype, order="F" if m.fortran_order else "C")
        # a contiguous array reshaped to 1-D is a view: raw is the array's own memory, in file order
        raw = (array.T if m.fortran_order else array).reshape(-1).view(np.uint8)
        with archive.open(m.info) as f:
            f.read(m.header_len)  # checked by _check_member
            done = 0
            while done < m.nbytes:
                chunk = f.read(min(READ_CHUNK, m.nbytes - done))
                if not chunk:
                    raise _Rejected(f"{_member(m.info)}: data ends after {done} of "
                                    f"{m.nbytes} bytes")
                raw[done:done + len(chunk)] = np.frombuffer(chunk, np.uint8)
                done += len(chunk)
        # the last read reached the member's end, where zipfile checks its CRC
        return array


@contextmanager
def _blame(what: str) -> Iterator[None]:
    """Turn any READ_FAILURES raised inside into _Rejected("<what> (<Type>: <message>)")."""
    try:
        yield
    except READ_FAILURES as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _Rejected(f"{what} ({type(exc).__name__}: {_show(detail, quote=False)})") from None


def _member(info: zipfile.ZipInfo) -> str:
    return f"member {_show(info.filename)}"


def _show(text: str, quote: bool = True) -> str:
    """``text`` on one line, cut to MAX_SHOWN characters; quoted (repr) unless quote=False."""
    shown = repr(text) if quote else " ".join(text.split())
    return shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN] + "..."
