"""The ``resnet`` architecture's forward pass in NumPy (net/resnet.py's model, without TensorFlow).

Each convolution and the BatchNormalization after it are folded into one at load time, with
BN's moving statistics: kernel * gamma / sqrt(var + eps) and bias beta - mean * that scale,
which is what the Keras model computes with ``training=False`` (its batch statistics, of
``training=True``, are not available here). A 3x3 convolution runs as one matrix product of
the zero-padded input's 3x3 windows, [B*H*W, C*3*3], with the kernel reordered to (c, dy, dx).

Invariants: imports neither TensorFlow nor Keras; never changes its weights; keeps no buffers
between calls (threads may call it at once), so each call allocates its activations.
"""
from __future__ import annotations

import numpy as np

from gomoku.board_config import BoardConfig

from net.net_config import (BN_EPSILON, N_INPUT_PLANES, VALUE_HIDDEN, has_global_pool,
                            pooled_channels)

BN_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")


def conv_bn_layers(blocks: int) -> list[tuple[str, str, int | None]]:
    """(conv layer, its BN layer, block or None for the stem) of net/resnet.py's model, in
    order: per block conv1, its pooled branch (every other block), conv2."""
    layers = [("stem_conv", "stem_bn", None)]
    for block in range(blocks):
        name = f"block{block + 1}"
        layers.append((f"{name}_conv1", f"{name}_bn1", block))
        if has_global_pool(block):
            layers.append((f"{name}_pool_conv", f"{name}_pool_bn", block))
        layers.append((f"{name}_conv2", f"{name}_bn2", block))
    return layers


def weight_shapes(blocks: int, filters: int) -> dict[str, tuple[int, ...]]:
    """Variable path ("stem_conv/kernel", ...) -> shape, of net/resnet.py's model. No shape
    depends on the board: the net is fully convolutional."""
    shapes = {}
    for conv, bn, block in conv_bn_layers(blocks):
        channels = N_INPUT_PLANES if block is None else filters
        out = pooled_channels(filters) if conv.endswith("_pool_conv") else filters
        shapes[f"{conv}/kernel"] = (3, 3, channels, out)
        shapes.update({f"{bn}/{name}": (out,) for name in BN_VARIABLES})
        if conv.endswith("_pool_conv"):
            shapes[f"block{block + 1}_pool_fc/kernel"] = (2 * out, filters)
    shapes["policy_conv/kernel"], shapes["policy_conv/bias"] = (1, 1, filters, 1), (1,)
    shapes["value_fc1/kernel"] = (2 * filters, VALUE_HIDDEN)
    shapes["value_fc1/bias"] = (VALUE_HIDDEN,)
    shapes["value_fc2/kernel"], shapes["value_fc2/bias"] = (VALUE_HIDDEN, 1), (1,)
    return shapes


def _folded(arrays: dict, conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    """A 3x3 conv and its BN as one conv: (kernel [C*9, F] in (c, dy, dx) order, bias [F])."""
    kernel = arrays[f"{conv}/kernel"].astype(np.float64)  # [3, 3, C, F]
    gamma, beta, mean, var = (arrays[f"{bn}/{name}"].astype(np.float64) for name in BN_VARIABLES)
    scale = gamma / np.sqrt(var + BN_EPSILON)
    kernel = (kernel * scale).transpose(2, 0, 1, 3).reshape(-1, kernel.shape[-1])
    return (np.ascontiguousarray(kernel, np.float32), (beta - mean * scale).astype(np.float32))


def _conv3x3(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'same' 3x3 convolution: x [B, H, W, C], kernel [C*9, F] in (c, dy, dx) order
    -> [B, H, W, F]."""
    batch, height, width, channels = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # [B,H,W,C,3,3]
    out = windows.reshape(batch * height * width, channels * 9) @ kernel
    out += bias
    return out.reshape(batch, height, width, -1)


def _global_pool(x: np.ndarray) -> np.ndarray:
    """[B, H, W, C] -> [B, 2C]: the means over the board, then the maxima."""
    return np.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2))], axis=1)


class ResNetForward:
    """A resnet's forward pass, called as ``forward(states [B, 4, H, W])`` -> (log_probs
    [B, H*W], value [B, 1]), both float32.

    ``weights`` maps ``prefix + path`` to arrays, as a model file holds them ("model/..."); a
    missing or misshapen one is a ValueError naming it.
    """

    def __init__(self, board: BoardConfig, blocks: int, filters: int,
                 weights: dict[str, np.ndarray], prefix: str):
        self.height, self.width, self.blocks = board.height, board.width, blocks
        arrays = {}
        for path, want in weight_shapes(blocks, filters).items():
            value = weights.get(prefix + path)
            if value is None:
                raise ValueError(f"no weights {prefix}{path}")
            if tuple(value.shape) != want or value.dtype.kind != "f":
                raise ValueError(f"{prefix}{path} has shape {list(value.shape)} dtype "
                                 f"{value.dtype}, expected {list(want)} float32")
            arrays[path] = np.asarray(value, np.float32)
        self._conv = {conv: _folded(arrays, conv, bn) for conv, bn, _ in conv_bn_layers(blocks)}
        self._pool_fc = {block: arrays[f"block{block + 1}_pool_fc/kernel"]
                         for block in range(blocks) if has_global_pool(block)}  # [2G, F]
        self._policy = (arrays["policy_conv/kernel"].reshape(filters, 1),
                        arrays["policy_conv/bias"])
        self._value = [(arrays[f"value_fc{i}/kernel"], arrays[f"value_fc{i}/bias"])
                       for i in (1, 2)]

    def __call__(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch, height, width = states.shape[0], self.height, self.width
        x = np.ascontiguousarray(np.transpose(states, (0, 2, 3, 1)), np.float32)  # [B, H, W, 4]
        x = np.maximum(_conv3x3(x, *self._conv["stem_conv"]), 0.0)  # [B, H, W, F]
        for block in range(self.blocks):
            name = f"block{block + 1}"
            y = _conv3x3(x, *self._conv[f"{name}_conv1"])
            if has_global_pool(block):
                g = np.maximum(_conv3x3(x, *self._conv[f"{name}_pool_conv"]), 0.0)  # [B,H,W,G]
                y += (_global_pool(g) @ self._pool_fc[block])[:, None, None, :]  # [B,1,1,F]
            y = _conv3x3(np.maximum(y, 0.0), *self._conv[f"{name}_conv2"])
            x = np.maximum(x + y, 0.0)
        kernel, bias = self._policy
        logits = (x.reshape(-1, kernel.shape[0]) @ kernel + bias).reshape(batch, height, width)
        logits = logits[:, ::-1, :].reshape(batch, height * width)  # rows to the move order
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        (k1, b1), (k2, b2) = self._value
        v = np.maximum(_global_pool(x) @ k1 + b1, 0.0)  # [B, 64]
        value = np.tanh(v @ k2 + b2)  # [B, 1]
        return log_probs.astype(np.float32), value.astype(np.float32)
