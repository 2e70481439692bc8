"""The TF1 reference network rebuilt as a Keras 3 functional model.

Layer names follow the TF1 graph (conv1..conv3, action_*, evaluation_*), so each
variable's path says which TF1 tensor it replaces. Flatten runs on channels-last
activations, which is the order TF1's `tf.reshape` of an NHWC tensor produced.
"""
from __future__ import annotations

import keras

from gomoku.board_config import BoardConfig
from gomoku.validation import is_int

from net.net_config import (POLICY_FILTERS, TRUNK_FILTERS, VALUE_FILTERS, VALUE_HIDDEN,
                            state_shape)
SEED_MODULUS = 2**62  # layer seeds stay in Keras' int64 range


def _initializers(seed: int | None):
    """Yield (kernel_initializer, bias_initializer) pairs, one per layer, from one seed.

    GlorotUniform kernels and zero biases are what tf.layers used in TF1. Layer i gets the
    integer seed (seed * 1000 + i) mod SEED_MODULUS, so a given seed always gives the same
    weights and any seed >= 0 fits Keras' 64-bit seeds.
    """
    if seed is not None and (not is_int(seed) or seed < 0):
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")
    index = 0
    while True:
        layer_seed = None if seed is None else (int(seed) * 1000 + index) % SEED_MODULUS
        yield keras.initializers.GlorotUniform(seed=layer_seed), keras.initializers.Zeros()
        index += 1


def build_model(board: BoardConfig, seed: int | None = None) -> keras.Model:
    """Input float32 [N, 4, H, W]; outputs (log_probs [N, H*W], value [N, 1])."""
    inits = _initializers(seed)

    def conv(filters: int, size: int, name: str) -> keras.layers.Conv2D:
        kernel_init, bias_init = next(inits)
        return keras.layers.Conv2D(filters, size, padding="same", activation="relu",
                                   data_format="channels_last", name=name,
                                   kernel_initializer=kernel_init, bias_initializer=bias_init)

    def dense(units: int, activation, name: str) -> keras.layers.Dense:
        kernel_init, bias_init = next(inits)
        return keras.layers.Dense(units, activation=activation, name=name,
                                  kernel_initializer=kernel_init, bias_initializer=bias_init)

    states = keras.Input(shape=state_shape(board), dtype="float32", name="states")
    x = keras.layers.Permute((2, 3, 1), name="to_channels_last")(states)  # [N, H, W, 4]
    for i, filters in enumerate(TRUNK_FILTERS, start=1):
        x = conv(filters, 3, f"conv{i}")(x)

    p = conv(POLICY_FILTERS, 1, "action_conv")(x)
    p = keras.layers.Flatten(name="action_conv_flat")(p)  # [N, 4*H*W]
    log_probs = dense(board.n_moves, keras.activations.log_softmax, "action_fc")(p)

    v = conv(VALUE_FILTERS, 1, "evaluation_conv")(x)
    v = keras.layers.Flatten(name="evaluation_conv_flat")(v)  # [N, 2*H*W]
    v = dense(VALUE_HIDDEN, "relu", "evaluation_fc1")(v)
    value = dense(1, "tanh", "evaluation_fc2")(v)

    return keras.Model(states, (log_probs, value), name="policy_value_net")
