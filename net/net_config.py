"""NetConfig: the net's own settings; its input and output shapes come from the game (BoardConfig)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from gomoku.validation import Choice, FieldError, Float, Int, check_fields

N_INPUT_PLANES = 4  # own stones, opponent stones, last move, first-player-to-move plane
MAX_NET_SIDE = 32  # the seed policy head's dense layer grows with (H*W)^2: 4*1024^2 at 32x32
ARCHITECTURES = ("seed", "resnet")
# the seed architecture (net/model.py builds it in Keras, net/numpy_net.py runs it in NumPy)
TRUNK_FILTERS = (32, 64, 128)  # the three shared 3x3 convolutions, as in the TF1 model
POLICY_FILTERS = 4
VALUE_FILTERS = 2
VALUE_HIDDEN = 64  # also the resnet's value head
# the resnet architecture (net/resnet.py builds it in Keras, net/numpy_resnet.py in NumPy).
# Its largest net, 20 blocks of 256 filters, has 25M weights and 611 arrays with its Adam
# moments, 306 MB: inside a model file's caps (net/model_file.py; tests/test_resnet.py).
MAX_BLOCKS = 20
MAX_FILTERS = 256
BN_EPSILON = 1e-3  # Keras' default
BN_MOMENTUM = 0.9  # moving statistics follow the weights within about ten train steps


def pooled_channels(filters: int) -> int:
    """Channels of a global-pooling block's pooled branch: a quarter of the trunk's."""
    return max(1, filters // 4)


def has_global_pool(block: int) -> bool:
    """Whether residual block ``block`` (0-based) adds a global-pooling bias: every other one,
    the second first (so a one-block net has none)."""
    return block % 2 == 1


@dataclass(frozen=True)
class NetConfig:
    """The net's settings.

    Invariants: ``l2_const`` (the weight of the TF1 L2 term) is a finite float in [0, 1];
    ``architecture`` is one of ARCHITECTURES; ``blocks`` in [1, MAX_BLOCKS] and ``filters`` in
    [1, MAX_FILTERS] are the resnet's residual blocks and trunk channels, checked but unused
    by the seed architecture (the TF1 reference net, whose shape is fixed).
    """

    l2_const: float = 1e-4
    architecture: str = "seed"
    blocks: int = 6
    filters: int = 64

    def __post_init__(self) -> None:
        check_fields(self, l2_const=Float(0.0, 1.0, low_included=True),
                     architecture=Choice(ARCHITECTURES), blocks=Int(1, MAX_BLOCKS),
                     filters=Int(1, MAX_FILTERS))

    @property
    def label(self) -> str:
        """The architecture and, for a resnet, its size: equal labels, interchangeable weights."""
        if self.architecture == "seed":
            return "seed"
        return f"resnet ({self.blocks} blocks, {self.filters} filters)"

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
