"""The replay buffer: a bounded FIFO of (state, mcts_probs, z) positions.

Positions live in preallocated ring arrays; ``head`` is the slot the next position goes to and
``size`` how many slots hold data, so once full the oldest position is overwritten first. States
are stored as uint8 (their planes hold only 0 and 1) and given back as float32.
"""
from __future__ import annotations

import numpy as np

from gomoku.symmetry import augment


class ReplayBuffer:
    def __init__(self, capacity: int, height: int, width: int):
        if capacity < 1:
            raise ValueError(f"buffer capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.states = np.zeros((capacity, 4, height, width), dtype=np.uint8)  # uint8 [C, 4, H, W]
        self.probs = np.zeros((capacity, height * width), dtype=np.float32)  # float32 [C, H*W]
        self.winners = np.zeros(capacity, dtype=np.float32)  # float32 [C], z from the mover's view
        self.head = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add_game(self, states: np.ndarray, probs: np.ndarray, winners: np.ndarray) -> int:
        """Add one game with all its board symmetries; returns the number of positions added."""
        s, p, z = augment(np.asarray(states, np.float32), np.asarray(probs, np.float32),
                          np.asarray(winners, np.float32))
        self.extend(s, p, z)
        return len(z)

    def extend(self, states: np.ndarray, probs: np.ndarray, winners: np.ndarray) -> None:
        """Append positions in order; the oldest are dropped when the buffer is full."""
        n = len(winners)
        if n > self.capacity:  # only the newest fit
            states, probs, winners = states[-self.capacity:], probs[-self.capacity:], winners[-self.capacity:]
            n = self.capacity
        slots = (self.head + np.arange(n)) % self.capacity
        self.states[slots] = states
        self.probs[slots] = probs
        self.winners[slots] = winners
        self.head = int((self.head + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """A uniform minibatch without replacement: float32 states, probs, winners."""
        if batch_size > self.size:
            raise ValueError(f"cannot sample {batch_size} positions from a buffer of {self.size}")
        # draw among slots in FIFO order (oldest first) so the draw is independent of `head`
        order = rng.choice(self.size, size=batch_size, replace=False)
        slots = (self.head - self.size + order) % self.capacity
        return (self.states[slots].astype(np.float32), self.probs[slots].copy(),
                self.winners[slots].copy())

    def oldest_first(self):
        """The held positions from oldest to newest (uint8 states, probs, winners)."""
        slots = (self.head - self.size + np.arange(self.size)) % self.capacity
        return self.states[slots], self.probs[slots], self.winners[slots]

    # -- checkpoints ----------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        states, probs, winners = self.oldest_first()
        return {"buffer_states": states, "buffer_probs": probs, "buffer_winners": winners}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Refill from ``to_arrays`` output; the sampling order afterwards equals the original's.

        More positions than the capacity keep the newest (a buffer made smaller on resume).
        """
        states, probs, winners = arrays["buffer_states"], arrays["buffer_probs"], arrays["buffer_winners"]
        n = len(states)
        if (states.shape[1:] != self.states.shape[1:] or probs.shape != (n, *self.probs.shape[1:])
                or winners.shape != (n,)):
            raise ValueError(f"buffer arrays of shapes {states.shape}, {probs.shape}, "
                             f"{winners.shape} do not fit a buffer of {self.states.shape}")
        self.head = 0
        self.size = 0
        self.extend(states, probs, winners)
