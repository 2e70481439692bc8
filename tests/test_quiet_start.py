"""net.quiet_import: TensorFlow's load-time log lines never reach stderr; every other line does."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# one fragment of each load-time line measured on TF 2.21 (see net/quiet_import.py)
NOISE = ("absl::InitializeLog", "oneDNN custom operations", "Could not find cuda drivers",
         "cpu_feature_guard", "To enable the following instructions", "failed call to cuInit")
GENUINE = "genuine stderr line after the import"
# a fake TensorFlow, for exact checks in a fraction of a second: it writes the measured lines to
# fd 2 as the real library does, with genuine lines among them
ABSL = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
ONEDNN = ("I0000 00:00:1796161562.913485    3549 port.cc:153] oneDNN custom operations are on. "
          "You may see slightly different numerical results due to floating-point round-off errors "
          "from different computation orders. To turn them off, set the environment variable "
          "`TF_ENABLE_ONEDNN_OPTS=0`.")
NO_DRIVER = ("I0000 00:00:1796161562.913942    3549 cudart_stub.cc:31] Could not find cuda drivers "
             "on your machine, GPU will not be used.")
CPU_GUARD = ("I0000 00:00:1796161562.980388    3549 cpu_feature_guard.cc:227] This TensorFlow "
             "binary is optimized to use available CPU instructions in performance-critical "
             "operations.")
CPU_GUARD_TAIL = ("To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, "
                  "in other operations, rebuild TensorFlow with the appropriate compiler flags.")
CUINIT = ("E0000 00:00:1796161573.179887    3898 cuda_platform.cc:52] failed call to cuInit: "
          "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)")
REAL_ERROR = "E0000 00:00:1796161573.2    3898 some_kernel.cc:1] a genuine TensorFlow error"


def _run(code: str, extra_path: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "CUDA_VISIBLE_DEVICES")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, str(REPO)) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)


REAL_PROGRAM = f"""
    {{prelude}}
    import keras, numpy as np
    model = keras.Sequential([keras.Input((4, 15, 15)), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    print(model(np.zeros((2, 4, 15, 15), np.float32)).shape)
    import sys
    print({GENUINE!r}, file=sys.stderr)
"""


def test_real_tensorflow_starts_quietly():
    run = _run(REAL_PROGRAM.format(prelude="from net.quiet_import import import_tensorflow\n"
                                           "    tf = import_tensorflow()"))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(2, 3)"
    assert [fragment for fragment in NOISE if fragment in run.stderr] == []
    assert run.stderr.splitlines()[-1] == GENUINE


def test_plain_import_shows_the_noise_here():
    """The control: without import_tensorflow this machine prints the lines the other test bans."""
    run = _run(REAL_PROGRAM.format(prelude="import tensorflow"))
    assert run.returncode == 0, run.stderr
    assert [fragment for fragment in NOISE if fragment in run.stderr]
    assert GENUINE in run.stderr


def _fake_tensorflow(tmp_path, at_import, at_device_query=(), fail=False) -> str:
    package = tmp_path / "tensorflow"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(f"""
        import os, sys, types
        def _emit(lines):
            for line in lines:
                try:
                    os.write(2, (line + "\\n").encode())
                except OSError:  # fd 2 closed: C++ logging writes in vain, as here
                    pass
        _emit({list(at_import)!r})
        if sys.stderr is not None:
            print("a Python warning during the import", file=sys.stderr)
        if {fail!r}:
            raise ImportError("fake TensorFlow fails to load")
        config = types.SimpleNamespace(
            list_physical_devices=lambda: _emit({list(at_device_query)!r}))
    """))
    return str(tmp_path)


FAKE_PROGRAM = f"""
    import sys
    from net.quiet_import import import_tensorflow
    tf = import_tensorflow()
    assert import_tensorflow() is tf
    print({GENUINE!r}, file=sys.stderr)
"""


def test_noise_dropped_and_genuine_lines_kept_in_order(tmp_path):
    path = _fake_tensorflow(tmp_path, [ABSL, ONEDNN, "genuine 1", NO_DRIVER, CPU_GUARD,
                                       CPU_GUARD_TAIL, ABSL, ONEDNN, NO_DRIVER, "genuine 2"],
                            [CUINIT, REAL_ERROR])
    run = _run(FAKE_PROGRAM, path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == ["genuine 1", "genuine 2",
                                       "a Python warning during the import", REAL_ERROR, GENUINE]


def test_cuinit_failure_kept_where_a_cuda_driver_exists(tmp_path):
    # no cudart_stub line: the driver loaded, so its failure is news; and the instruction line
    # is noise only right after the cpu_feature_guard line
    path = _fake_tensorflow(tmp_path, [ONEDNN, CPU_GUARD_TAIL], [CUINIT])
    run = _run(FAKE_PROGRAM, path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [CPU_GUARD_TAIL, "a Python warning during the import", CUINIT,
                                       GENUINE]


def test_failed_import_restores_stderr_and_keeps_genuine_lines(tmp_path):
    path = _fake_tensorflow(tmp_path, [ABSL, "genuine before the failure"], fail=True)
    run = _run(FAKE_PROGRAM, path)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert lines[:2] == ["genuine before the failure", "a Python warning during the import"]
    assert lines[-1] == "ImportError: fake TensorFlow fails to load"
    assert ABSL not in run.stderr and GENUINE not in run.stderr


def test_closed_stderr_imports_as_usual(tmp_path):
    path = _fake_tensorflow(tmp_path, [ABSL, "genuine"])
    run = _run("""
        import os, sys
        os.close(2)
        sys.stderr = None
        from net.quiet_import import import_tensorflow
        print(import_tensorflow().__name__)
    """, path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "tensorflow\n", "")


def test_the_first_screen_of_training_has_no_tensorflow_lines(tmp_path):
    """The README's first command (here on the tiny config): stderr holds no load-time line."""
    repo = Path(__file__).resolve().parent.parent
    command = [str(Path(sys.executable).parent / "gomoku-zero"), "train", "--config",
               str(repo / "configs" / "tiny.yaml"), "--run-dir", str(tmp_path / "run"),
               "--stop-after", "1", "--no-tensorboard"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert [fragment for fragment in NOISE if fragment in run.stderr] == []
    assert run.stdout.startswith("training 4x4, 3 in a row")
