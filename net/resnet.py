"""The ``resnet`` architecture: a residual tower with global pooling, in the KataGo style.

For big boards, where the seed net's dense policy layer ((H*W)^2 weights) and its three plain
convolutions (a 7x7 receptive field) fall short. After KataGo (Wu, arXiv 1902.10565, section 3):

  stem      3x3 conv to F channels, BN, ReLU                                    [N, H, W, F]
  block i   conv1 3x3, BN (+ the global-pooling bias), ReLU, conv2 3x3, BN, + the block's input,
            ReLU. Every other block (net_config.has_global_pool) adds the bias: a 3x3 conv of the
            block's input to G = F/4 channels, BN, ReLU, their mean and max over the board
            [N, 2G], a dense layer to F, added per channel to conv1's output before its ReLU.
  policy    1x1 conv to one channel, rows flipped to the move order, flattened, log-softmax
            over the H*W points: no dense layer, so its weights fit any board size
  value     mean and max of the trunk over the board [N, 2F], dense 64 ReLU, dense 1 tanh

The rows are flipped because a state's rows are the board's upside down (gomoku.Board's
``current_state``, as the reference has it) and move ``row * W + col`` counts the board's rows.
Convolutions followed by BN have no bias (BN's beta is one). BN uses the batch's statistics
when called with ``training=True`` (PolicyValueNet's train step) and updates its moving ones;
``training=False`` (evaluation, export's serve) uses the moving ones.

What it cannot do: no weight depends on the board's size, yet a net is built for one board and
its model file records it (PolicyValueNet refuses another size; moving weights to another board
is not offered). The net sees the edges only through the convolutions' zero padding, and the
board's size only through that and the global pooling (KataGo adds a size-scaled mean; not here).
"""
from __future__ import annotations

import keras

from gomoku.board_config import BoardConfig

from net.initializers import seeded_initializers
from net.net_config import (BN_EPSILON, BN_MOMENTUM, VALUE_HIDDEN, has_global_pool,
                            pooled_channels, state_shape)


def build_resnet(board: BoardConfig, blocks: int, filters: int,
                 seed: int | None = None) -> keras.Model:
    """Input float32 [N, 4, H, W]; outputs (log_probs [N, H*W], value [N, 1])."""
    inits = seeded_initializers(seed)

    def conv(x, channels: int, size: int, name: str, bias: bool = False):
        kernel_init, bias_init = next(inits)
        return keras.layers.Conv2D(channels, size, padding="same", use_bias=bias,
                                   data_format="channels_last", name=name,
                                   kernel_initializer=kernel_init,
                                   bias_initializer=bias_init)(x)

    def dense(x, units: int, activation, name: str, bias: bool = True):
        kernel_init, bias_init = next(inits)
        return keras.layers.Dense(units, activation=activation, use_bias=bias, name=name,
                                  kernel_initializer=kernel_init,
                                  bias_initializer=bias_init)(x)

    def batch_norm(x, name: str):
        return keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                               name=name)(x)

    def relu(x, name: str):
        return keras.layers.ReLU(name=name)(x)

    def global_pool(x, name: str):  # [N, H, W, C] -> [N, 2C]: the means, then the maxima
        mean = keras.layers.GlobalAveragePooling2D(name=f"{name}_mean")(x)
        high = keras.layers.GlobalMaxPooling2D(name=f"{name}_max")(x)
        return keras.layers.Concatenate(name=name)([mean, high])

    def residual_block(x, block: int):  # [N, H, W, F] -> [N, H, W, F]
        name = f"block{block + 1}"
        y = batch_norm(conv(x, filters, 3, f"{name}_conv1"), f"{name}_bn1")
        if has_global_pool(block):
            g = conv(x, pooled_channels(filters), 3, f"{name}_pool_conv")  # [N, H, W, G]
            g = relu(batch_norm(g, f"{name}_pool_bn"), f"{name}_pool_relu")
            g = dense(global_pool(g, f"{name}_pool"), filters, None, f"{name}_pool_fc",
                      bias=False)  # [N, F]
            g = keras.layers.Reshape((1, 1, filters), name=f"{name}_pool_broadcast")(g)
            y = keras.layers.Add(name=f"{name}_pooled")([y, g])  # broadcast over the board
        y = relu(y, f"{name}_relu1")
        y = batch_norm(conv(y, filters, 3, f"{name}_conv2"), f"{name}_bn2")
        return relu(keras.layers.Add(name=f"{name}_skip")([x, y]), f"{name}_relu2")

    states = keras.Input(shape=state_shape(board), dtype="float32", name="states")
    x = keras.layers.Permute((2, 3, 1), name="to_channels_last")(states)  # [N, H, W, 4]
    x = relu(batch_norm(conv(x, filters, 3, "stem_conv"), "stem_bn"), "stem_relu")
    for block in range(blocks):
        x = residual_block(x, block)

    p = conv(x, 1, 1, "policy_conv", bias=True)  # [N, H, W, 1]
    p = keras.layers.Lambda(lambda t: keras.ops.flip(t, axis=1), name="policy_rows")(p)
    p = keras.layers.Flatten(name="policy_flat")(p)  # [N, H*W], move row * W + col
    log_probs = keras.layers.Activation(keras.activations.log_softmax, name="policy")(p)

    v = dense(global_pool(x, "value_pool"), VALUE_HIDDEN, "relu", "value_fc1")  # [N, 64]
    value = dense(v, 1, "tanh", "value_fc2")

    return keras.Model(states, (log_probs, value), name="policy_value_net")
