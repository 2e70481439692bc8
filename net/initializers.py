"""Seeded initial weights, shared by the architectures (net/model.py, net/resnet.py)."""
from __future__ import annotations

import keras

from gomoku.validation import is_int

SEED_MODULUS = 2**62  # layer seeds stay in Keras' int64 range


def seeded_initializers(seed: int | None):
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
