"""Evaluators for search tests: fixed numpy functions standing in for the network."""
import zlib

import numpy as np


def uniform_evaluator(states):
    n, _, h, w = states.shape
    return np.full((n, h * w), 1.0 / (h * w), np.float32), np.zeros(n, np.float32)


def hashed_evaluator(states):
    """Arbitrary but fixed priors and value per position: a row's output ignores the batch."""
    n, _, h, w = states.shape
    priors = np.empty((n, h * w), np.float32)
    values = np.empty(n, np.float32)
    for k in range(n):
        rng = np.random.default_rng(zlib.crc32(states[k].tobytes()))
        p = rng.random(h * w) + 0.05
        priors[k] = p / p.sum()
        values[k] = rng.uniform(-1, 1)
    return priors, values


class UniformNet:
    """A stand-in net for a game: uniform priors, value 0; notes the batch size of every call."""

    def __init__(self, board):
        self.board = board
        self.batches = []

    def evaluate(self, states):
        self.batches.append(len(states))
        return uniform_evaluator(states)
