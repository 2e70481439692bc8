"""The net's Keras 3 model: ``build_model`` builds the architecture a NetConfig names.

``seed`` is the TF1 reference network, built here. Its layer names follow the TF1 graph
(conv1..conv3, action_*, evaluation_*), so each variable's path says which TF1 tensor it
replaces. Flatten runs on channels-last activations, which is the order TF1's `tf.reshape` of
an NHWC tensor produced. ``resnet`` is net/resnet.py's.
"""
from __future__ import annotations

import keras

from gomoku.board_config import BoardConfig

from net.initializers import seeded_initializers
from net.net_config import (POLICY_FILTERS, TRUNK_FILTERS, VALUE_FILTERS, VALUE_HIDDEN,
                            NetConfig, state_shape)
from net.resnet import build_resnet


def build_model(board: BoardConfig, seed: int | None = None,
                config: NetConfig | None = None) -> keras.Model:
    """Input float32 [N, 4, H, W]; outputs (log_probs [N, H*W], value [N, 1]).

    ``config`` (default NetConfig(): seed) chooses the architecture; ``seed`` the initial weights.
    """
    config = NetConfig() if config is None else config
    if config.architecture == "resnet":
        return build_resnet(board, config.blocks, config.filters, seed)
    return build_seed_model(board, seed)


def build_seed_model(board: BoardConfig, seed: int | None = None) -> keras.Model:
    """The TF1 reference net: input float32 [N, 4, H, W]; outputs (log_probs [N, H*W],
    value [N, 1])."""
    inits = seeded_initializers(seed)

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
