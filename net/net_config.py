"""NetConfig: the net's own settings; its input and output shapes come from the game (BoardConfig)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from gomoku.validation import FieldError, Float, check_fields

N_INPUT_PLANES = 4  # own stones, opponent stones, last move, first-player-to-move plane
MAX_NET_SIDE = 32  # the policy head's dense layer grows with (H*W)^2: 4*1024^2 floats at 32x32
# the architecture (net/model.py builds it in Keras, net/numpy_net.py runs it in NumPy)
TRUNK_FILTERS = (32, 64, 128)  # the three shared 3x3 convolutions, as in the TF1 model
POLICY_FILTERS = 4
VALUE_FILTERS = 2
VALUE_HIDDEN = 64


@dataclass(frozen=True)
class NetConfig:
    """Invariant: ``l2_const`` (the weight of the TF1 L2 term) is a finite float in [0, 1]."""

    l2_const: float = 1e-4

    def __post_init__(self) -> None:
        check_fields(self, l2_const=Float(0.0, 1.0, low_included=True))

    def to_dict(self) -> dict:
        return asdict(self)


def check_net_board(board) -> None:
    """ValueError unless a net can be built for ``board`` (a BoardConfig)."""
    for side, value in (("width", board.width), ("height", board.height)):
        if value > MAX_NET_SIDE:
            raise FieldError(side, f"must be at most {MAX_NET_SIDE} for a net, got {value}")


def state_shape(board) -> tuple[int, int, int]:
    """Shape of one input state of a game: [4, height, width]."""
    return (N_INPUT_PLANES, board.height, board.width)
