"""NetConfig: the few numbers that fix the network's shape and its loss."""
from __future__ import annotations

from dataclasses import dataclass

N_INPUT_PLANES = 4  # own stones, opponent stones, last move, first-player-to-move plane


@dataclass(frozen=True)
class NetConfig:
    """Board size and L2 weight of a PolicyValueNet.

    Invariant: width and height are positive ints; l2_const is a finite float >= 0.
    """

    board_width: int
    board_height: int
    l2_const: float = 1e-4

    def __post_init__(self) -> None:
        for name in ("board_width", "board_height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        l2 = self.l2_const
        if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not 0.0 <= l2 < float("inf"):
            raise ValueError(f"l2_const must be a finite number >= 0, got {l2!r}")
        object.__setattr__(self, "l2_const", float(l2))

    @property
    def n_moves(self) -> int:
        """H*W: one policy entry per board point, move = row * width + col."""
        return self.board_width * self.board_height

    @property
    def state_shape(self) -> tuple[int, int, int]:
        """Shape of one input state: [4, height, width]."""
        return (N_INPUT_PLANES, self.board_height, self.board_width)
