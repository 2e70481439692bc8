"""The symmetries of the board, applied consistently to input planes and move probabilities.

A symmetry index ``k`` in ``range(8)`` is a rotation by ``k % 4`` quarter turns, followed by a
left-right mirror when ``k >= 4``. A square board has all 8; a non-square board has the 4 that keep
its shape: identity (0), half turn (2), mirror (4) and half turn + mirror (6).

States are ``[..., C, H, W]`` with rows flipped as ``Board.current_state`` gives them; move
probability vectors are ``[..., H*W]`` indexed by ``row * width + col`` (rows not flipped). Both are
mapped by the same transformation of the board, so the probability of a move follows its stone.
"""
from __future__ import annotations

import numpy as np


def symmetry_indices(height: int, width: int) -> tuple[int, ...]:
    return tuple(range(8)) if height == width else (0, 2, 4, 6)


def inverse(k: int) -> int:
    """The index of the symmetry that undoes ``k``."""
    if k >= 4:  # a mirror after a rotation is its own inverse
        return k
    return (4 - k) % 4


def transform_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two axes of ``planes``."""
    out = np.rot90(planes, k % 4, axes=(-2, -1))
    if k >= 4:
        out = np.flip(out, axis=-1)
    return out


def transform(state: np.ndarray, probs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Map a state ``[..., C, H, W]`` and its move probabilities ``[..., H*W]`` by symmetry ``k``."""
    height, width = state.shape[-2:]
    if k not in symmetry_indices(height, width):
        raise ValueError(f"symmetry {k} does not exist on a {width}x{height} board")
    # bring the probabilities into the state's (row-flipped) picture, transform, flip back
    picture = np.flip(probs.reshape(*probs.shape[:-1], height, width), axis=-2)
    new_picture = transform_planes(picture, k)
    new_probs = np.flip(new_picture, axis=-2).reshape(probs.shape)
    return np.ascontiguousarray(transform_planes(state, k)), np.ascontiguousarray(new_probs)


def augment(states: np.ndarray, probs: np.ndarray, winners: np.ndarray):
    """Every symmetry of a batch: ``[N, 4, H, W], [N, H*W], [N]`` -> ``S`` times as many rows."""
    height, width = states.shape[-2:]
    out_s, out_p, out_z = [], [], []
    for k in symmetry_indices(height, width):
        s, p = transform(states, probs, k)
        out_s.append(s)
        out_p.append(p)
        out_z.append(winners)
    return np.concatenate(out_s), np.concatenate(out_p), np.concatenate(out_z)
