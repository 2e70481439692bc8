"""NumpyNet: the policy-value net's forward pass in plain NumPy, from a model file's weights.

The light runtime of the players that only search (the Gomocup engine): it needs neither
TensorFlow nor Keras nor a conversion step, and gives the priors and values of
``net.PolicyValueNet.evaluate`` (tests/test_engine_runtime.py checks them within 1e-4, and
tests/test_resnet.py for the resnet architecture, whose pass is net/numpy_resnet.py's).

The seed architecture is net/model.py's: the NCHW input permuted to channels-last, three 3x3 "same"
convolutions with ReLU (32, 64, 128 filters), then a policy head (1x1 convolution to 4 channels,
flattened channels-last, dense log-softmax over the H*W points) and a value head (1x1
convolution to 2 channels, flattened, dense 64 ReLU, dense 1 tanh). A 3x3 convolution runs as
one matrix product of the zero-padded input's 3x3 patches ("im2col") with the kernel reshaped
to [9*C, F]: the kernel's (dy, dx, c) order is the patches' order.

Invariants: this module imports neither TensorFlow nor Keras (tests/test_engine_runtime.py);
``evaluate`` never changes the weights, copies its input into float32 buffers of its own (any
float array of the right shape may be given) and returns new arrays, never its buffers.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numpy as np

from gomoku.board_config import BoardConfig

from net.model_file import ModelFileError, read_model_file
from net.net_config import (N_INPUT_PLANES, POLICY_FILTERS, TRUNK_FILTERS, VALUE_FILTERS,
                            VALUE_HIDDEN, NetConfig, check_net_board, state_shape)
from net.numpy_resnet import ResNetForward

MAX_WORKSPACES = 8  # batch sizes whose conv buffers are kept (a search uses one or two)
MODEL_PREFIX = "model/"  # the Keras model's variables in a model file: model/<layer>/kernel|bias


# OpenBLAS' thread-count setters, by the names its builds export (numpy's wheels bundle one with
# a "scipy_" prefix and a "64_" suffix)
_BLAS_THREAD_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                        "openblas_set_num_threads64_", "openblas_set_num_threads")


def limit_blas_threads(threads: int = 1) -> bool:
    """Set the threads of the OpenBLAS that numpy loaded, for the whole process; False when
    none was found (another BLAS, or an unusual install: the call is then a no-op).

    Why: this net's products are small (at most [B*H*W, 576] x [576, 128]), and a multithreaded
    BLAS splits them anyway. On a machine whose cores are busy (a tournament runs two engines
    side by side; the benchmarks here share two cores) its threads then wait for each other:
    measured with the 6x6 net, 36 positions/s at batch 1 with numpy's default (one thread per
    core) against about 6000 with one thread. ``OPENBLAS_NUM_THREADS`` would do the same but
    must be set before numpy is first imported.
    """
    names = set()
    try:
        with open("/proc/self/maps") as maps:  # Linux: every library the process has loaded
            names.update(line.split()[-1] for line in maps if "openblas" in line.lower())
    except OSError:
        pass
    root = os.path.dirname(os.path.dirname(np.__file__))  # numpy's own copy, on any platform
    for pattern in ("numpy.libs/*openblas*", "numpy/.dylibs/*openblas*"):
        names.update(glob.glob(os.path.join(root, pattern)))
    done = False
    for name in sorted(names):
        if not os.path.isfile(name):
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for setter in _BLAS_THREAD_SETTERS:
            function = getattr(lib, setter, None)
            if function is not None:
                function.argtypes, function.restype = [ctypes.c_int], None
                function(int(threads))
                done = True
                break
    return done


def layer_shapes(board: BoardConfig) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Layer name -> (kernel shape, bias shape) of net/model.py's seed model for ``board``."""
    points = board.width * board.height
    shapes = {}
    channels = N_INPUT_PLANES
    for i, filters in enumerate(TRUNK_FILTERS, start=1):
        shapes[f"conv{i}"] = ((3, 3, channels, filters), (filters,))
        channels = filters
    shapes["action_conv"] = ((1, 1, channels, POLICY_FILTERS), (POLICY_FILTERS,))
    shapes["action_fc"] = ((POLICY_FILTERS * points, points), (points,))
    shapes["evaluation_conv"] = ((1, 1, channels, VALUE_FILTERS), (VALUE_FILTERS,))
    shapes["evaluation_fc1"] = ((VALUE_FILTERS * points, VALUE_HIDDEN), (VALUE_HIDDEN,))
    shapes["evaluation_fc2"] = ((VALUE_HIDDEN, 1), (1,))
    return shapes


def _as_states(states, shape: tuple) -> np.ndarray:
    array = np.asarray(states)
    if array.dtype.kind != "f":
        raise ValueError(f"states must hold floats, got dtype {array.dtype}")
    if array.ndim != 4 or array.shape[1:] != shape:
        raise ValueError(f"states must have shape [N, {', '.join(map(str, shape))}], "
                         f"got {list(array.shape)}")
    return array


class SeedForward:
    """The seed net's forward pass, called as ``forward(states [B, 4, H, W])`` -> (log_probs
    [B, H*W], value [B, 1]), both float32, as the Keras model's outputs.

    ``weights`` maps "model/<layer>/kernel|bias" to arrays, as a model file holds them; a
    missing or misshapen one is a ValueError naming it.
    """

    def __init__(self, board: BoardConfig, weights: dict[str, np.ndarray]):
        self.board_width, self.board_height = board.width, board.height
        self._w = {}
        for name, (want_kernel, want_bias) in layer_shapes(board).items():
            kernel = weights.get(f"{MODEL_PREFIX}{name}/kernel")
            bias = weights.get(f"{MODEL_PREFIX}{name}/bias")
            for key, value, want in (("kernel", kernel, want_kernel), ("bias", bias, want_bias)):
                if value is None:
                    raise ValueError(f"no weights {MODEL_PREFIX}{name}/{key}")
                if tuple(value.shape) != want or value.dtype.kind != "f":
                    raise ValueError(f"{MODEL_PREFIX}{name}/{key} has shape "
                                     f"{list(value.shape)} dtype {value.dtype}, expected "
                                     f"{list(want)} float32")
            # a conv kernel [k, k, C, F] becomes [k*k*C, F], the patches' order
            kernel = np.asarray(kernel, np.float32).reshape(-1, want_kernel[-1])
            self._w[name] = (np.ascontiguousarray(kernel), np.asarray(bias, np.float32))
        self._local = threading.local()  # per thread: batch size -> buffers (see _workspace)

    def _workspace(self, batch: int) -> list:
        """Buffers of the three 3x3 convolutions for ``batch`` states, made once per batch size
        and thread (so threads may evaluate at once): per layer, the zero-bordered input, a
        strided view of its 3x3 patches, the patches and their [B*H*W, 9*C] matrix, the output.
        Only the borders of the padded inputs stay zero; calls overwrite the rest."""
        spaces = getattr(self._local, "spaces", None)
        if spaces is None:
            spaces = self._local.spaces = {}
        space = spaces.get(batch)
        if space is not None:
            return space
        height, width = self.board_height, self.board_width
        space = []
        for name in ("conv1", "conv2", "conv3"):
            kernel = self._w[name][0]
            channels, filters = kernel.shape[0] // 9, kernel.shape[1]
            padded = np.zeros((batch, height + 2, width + 2, channels), np.float32)
            sb, sh, sw, sc = padded.strides
            windows = np.lib.stride_tricks.as_strided(
                padded, (batch, height, width, 3, 3, channels), (sb, sh, sw, sh, sw, sc),
                writeable=False)
            patches = np.empty((batch, height, width, 3, 3, channels), np.float32)
            out = np.empty((batch * height * width, filters), np.float32)
            space.append((padded, windows, patches, patches.reshape(-1, 9 * channels), out))
        if len(spaces) >= MAX_WORKSPACES:
            spaces.clear()
        spaces[batch] = space
        return space

    def __call__(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch, height, width = states.shape[0], self.board_height, self.board_width
        x = np.transpose(states, (0, 2, 3, 1))  # channels-last, as the model's Permute
        for (padded, windows, patches, matrix, out), name in zip(
                self._workspace(batch), ("conv1", "conv2", "conv3")):
            kernel, bias = self._w[name]
            padded[:, 1:height + 1, 1:width + 1, :] = x.reshape(batch, height, width, -1)
            np.copyto(patches, windows)
            np.matmul(matrix, kernel, out=out)
            out += bias
            np.maximum(out, 0.0, out=out)
            x = out
        trunk = x  # [B*H*W, 128]: a 1x1 convolution is a matrix product
        p = self._dense(trunk, "action_conv")
        np.maximum(p, 0.0, out=p)
        logits = self._dense(p.reshape(batch, -1), "action_fc")  # the channels-last flatten
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        v = self._dense(trunk, "evaluation_conv")
        np.maximum(v, 0.0, out=v)
        v = self._dense(v.reshape(batch, -1), "evaluation_fc1")
        np.maximum(v, 0.0, out=v)
        value = np.tanh(self._dense(v, "evaluation_fc2"))
        return log_probs, value

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        kernel, bias = self._w[name]
        out = x @ kernel
        out += bias
        return out


class NumpyNet:
    """A saved policy-value net evaluated with NumPy: ``evaluate(states)`` as PolicyValueNet's.

    ``board`` is the game its model file records (a v1 file: its size, five in a row or the
    board's side if shorter, as PolicyValueNet records it); ``board_width`` and ``board_height``
    its sides. ``config`` (default NetConfig(): seed) names the architecture of ``weights``.
    """

    def __init__(self, board: BoardConfig, weights: dict[str, np.ndarray],
                 config: NetConfig | None = None):
        check_net_board(board)
        self.board = board
        self.board_width, self.board_height = board.width, board.height
        self.config = NetConfig() if config is None else config
        self._state_shape = state_shape(board)
        if self.config.architecture == "resnet":
            self._forward = ResNetForward(board, self.config.blocks, self.config.filters,
                                          weights, MODEL_PREFIX)
        else:
            self._forward = SeedForward(board, weights)

    @classmethod
    def from_model_file(cls, model_path, blas_threads: int | None = 1) -> "NumpyNet":
        """The net saved in ``model_path`` (any format version); ModelFileError (a ValueError)
        when the file is unusable. ``blas_threads`` (None: leave it) is set for the process's
        BLAS (see ``limit_blas_threads``): one suits a search's small batches."""
        if blas_threads is not None:
            limit_blas_threads(blas_threads)
        saved = read_model_file(model_path)
        board = saved.board
        if board is None:  # v1: only the size, as PolicyValueNet(width, height) records it
            width, height = saved.board_size
            board = BoardConfig(width, height, min(5, width, height))
        try:
            return cls(board, saved.arrays, saved.net)
        except ValueError as exc:
            raise ModelFileError(f"{os.fspath(model_path)}: {exc}") from None

    def forward(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """states [B, 4, H, W] -> (log_probs float32 [B, H*W], value float32 [B, 1]), as the
        Keras model's outputs."""
        return self._forward(states)

    def evaluate(self, states) -> tuple[np.ndarray, np.ndarray]:
        """states float32 [B, 4, H, W] -> (priors float32 [B, H*W], values float32 [B]).

        The search's function, as ``PolicyValueNet.evaluate``: priors are probabilities (rows
        sum to 1); values are in [-1, 1] from the view of the player to move.
        """
        states = _as_states(states, self._state_shape)
        if states.shape[0] == 0:
            n = self.board.n_moves
            return np.zeros((0, n), np.float32), np.zeros(0, np.float32)
        log_probs, value = self.forward(states)
        return np.exp(log_probs), value[:, 0]

    def policy_value(self, state_batch) -> tuple[np.ndarray, np.ndarray]:
        """state_batch [N, 4, H, W] -> (probs [N, H*W], values [N, 1]), as the reference."""
        probs, values = self.evaluate(state_batch)
        return probs, values[:, None]
