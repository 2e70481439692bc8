"""Import TensorFlow without the log lines its C++ libraries print to stderr while they load.

Measured with TF 2.21 on CPU-only Linux: ``import tensorflow`` writes, straight to file
descriptor 2, the absl notice ``WARNING: All log messages before absl::InitializeLog() is called
are written to STDERR``, the ``port.cc`` "oneDNN custom operations are on" notice and the
``cudart_stub.cc`` "Could not find cuda drivers" notice (each of the three twice), and a
``cpu_feature_guard.cc`` notice with a "To enable the following instructions" line; the first
device query then logs ``cuda_platform.cc`` "failed call to cuInit". TF_CPP_MIN_LOG_LEVEL, exported
or set in os.environ before the import, hides only the last two (>= 1 and 3 respectively; 3 also
hides genuine errors), and only TF_ENABLE_ONEDNN_OPTS=0 hides the oneDNN notice, by running other
kernels with other numerics. Nothing hides the absl and cudart lines.

So ``import_tensorflow`` points fd 2 at a temporary file while it imports TensorFlow and lists its
devices, then writes back to stderr, in order, every captured line that is not one of those.
Invariants: a line is dropped only if it matches one of the patterns below; the cuInit failure is
dropped only when the same capture says the machine has no CUDA driver (where it is expected; with
a driver it is a real problem and is kept); fd 2 is restored and the kept lines written even when
the import raises. Not kept: output captured when the process dies during the import (a signal, a
crash), which never reaches the terminal.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import tempfile
from types import ModuleType

STDERR_FD = 2
# the two prefixes TF's C++ logging has used: absl's "I0000 00:00:1796161551.286189    3365 "
# (TF 2.21) and, in older releases, TF's own "2024-05-01 12:17:26.167599: I tensorflow/core/util/"
_PREFIX = (r"(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "
           r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S*/)")
ABSL_NOTICE = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called "
                         r"are written to STDERR$")
ONEDNN = re.compile(_PREFIX + r"port\.cc:\d+\] oneDNN custom operations are on\. ")
NO_DRIVER = re.compile(_PREFIX + r"cudart_stub\.cc:\d+\] Could not find cuda drivers on your "
                       r"machine, GPU will not be used\.$")
CPU_GUARD = re.compile(_PREFIX + r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is "
                       r"optimized to use available CPU instructions in performance-critical "
                       r"operations\.$")
CPU_GUARD_TAIL = re.compile(r"To enable the following instructions: [\w ]+, in other operations, "
                            r"rebuild TensorFlow with the appropriate compiler flags\.$")
CUINIT_FAILURE = re.compile(_PREFIX + r"cuda_platform\.cc:\d+\] failed call to cuInit: ")
NOISE = (ABSL_NOTICE, ONEDNN, NO_DRIVER, CPU_GUARD)


def import_tensorflow() -> ModuleType:
    """Import and return ``tensorflow``, its start-up noise removed from stderr.

    Console entry points call it before anything else imports TensorFlow. If TensorFlow is
    already imported it just returns the module: its noise has been printed by then. With fd 2
    closed there is nothing to keep clean, and it imports TensorFlow as it is.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(STDERR_FD)
    except OSError:  # fd 2 closed: the capture file would become fd 2 itself
        return importlib.import_module("tensorflow")
    try:
        with tempfile.TemporaryFile() as capture:
            os.dup2(capture.fileno(), STDERR_FD)
            try:
                tf = importlib.import_module("tensorflow")
                tf.config.list_physical_devices()  # CUDA start-up logs here, inside the capture
            finally:
                if sys.stderr is not None:
                    sys.stderr.flush()
                os.dup2(saved, STDERR_FD)
                capture.seek(0)
                _write_all(STDERR_FD, _without_noise(capture.read()))
    finally:
        os.close(saved)
    return tf


def _without_noise(captured: bytes) -> bytes:
    """``captured`` less the known noise lines; every other byte kept, in order."""
    lines = captured.splitlines(keepends=True)
    texts = [line.decode("utf-8", "replace").rstrip("\r\n") for line in lines]
    no_driver = any(NO_DRIVER.match(text) for text in texts)
    kept, after_guard = [], False
    for line, text in zip(lines, texts):
        noise = (any(pattern.match(text) for pattern in NOISE)
                 or (after_guard and CPU_GUARD_TAIL.match(text))
                 or (no_driver and CUINIT_FAILURE.match(text)))
        after_guard = bool(CPU_GUARD.match(text))
        if not noise:
            kept.append(line)
    return b"".join(kept)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
