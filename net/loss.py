"""The TF1 reference loss, written out term by term.

loss = mean_batch((z - v)^2) + mean_batch(-sum_moves(pi * log p))
       + l2_const * sum over non-bias trainable weights of sum(w^2) / 2

The last term is TF1's `l2_const * add_n([tf.nn.l2_loss(w)])`: `tf.nn.l2_loss` halves the
sum of squares, so Keras' `regularizers.L2(l2_const)` (no half) is twice as large. A bias is a
variable named "bias", or a BatchNormalization's "beta" (the resnet's: its convolutions have no
bias of their own); BN's scale "gamma" is penalised as a kernel is.
"""
from __future__ import annotations

import tensorflow as tf


def penalised_weights(variables) -> list:
    """The trainable variables the L2 term covers: those whose name has no 'bias' and that are
    no BatchNormalization's 'beta'."""
    return [v for v in variables
            if "bias" not in v.path.lower() and not v.path.lower().endswith("/beta")]


def l2_penalty(weights, l2_const: float) -> tf.Tensor:
    """l2_const * sum(w^2) / 2 summed over `weights`; float32 scalar."""
    return l2_const * tf.add_n([tf.nn.l2_loss(w) for w in weights])


def value_loss(value: tf.Tensor, winners: tf.Tensor) -> tf.Tensor:
    """mean_batch((z - v)^2); value float32 [N, 1], winners float32 [N]."""
    return tf.reduce_mean(tf.square(winners - value[:, 0]))


def policy_loss(log_probs: tf.Tensor, mcts_probs: tf.Tensor) -> tf.Tensor:
    """mean_batch(-sum_moves(pi * log p)); both float32 [N, H*W]."""
    return -tf.reduce_mean(tf.reduce_sum(mcts_probs * log_probs, axis=1))


def policy_entropy(log_probs: tf.Tensor) -> tf.Tensor:
    """-mean_batch(sum_moves(p * log p)) of the net's own policy; float32 scalar."""
    return -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=1))


def total_loss(log_probs, value, mcts_probs, winners, weights, l2_const: float) -> tf.Tensor:
    """The full TF1 loss (see module docstring)."""
    return (value_loss(value, winners) + policy_loss(log_probs, mcts_probs)
            + l2_penalty(weights, l2_const))
