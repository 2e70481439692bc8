"""NetConfig: the net's own settings; its input and output shapes come from the game (BoardConfig)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from gomoku.validation import Float, check_fields

N_INPUT_PLANES = 4  # own stones, opponent stones, last move, first-player-to-move plane


@dataclass(frozen=True)
class NetConfig:
    """Invariant: ``l2_const`` (the weight of the TF1 L2 term) is a finite float in [0, 1]."""

    l2_const: float = 1e-4

    def __post_init__(self) -> None:
        check_fields(self, l2_const=Float(0.0, 1.0, low_included=True))

    def to_dict(self) -> dict:
        return asdict(self)


def state_shape(board) -> tuple[int, int, int]:
    """Shape of one input state of a game: [4, height, width]."""
    return (N_INPUT_PLANES, board.height, board.width)
