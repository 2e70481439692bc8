"""BoardConfig: the one description of a game (board shape, line length, rule)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .validation import Choice, FieldError, Int, check_fields
from .variants import RENJU, RULE_NAMES

MAX_SIDE = 100  # board sides above this are refused (a search tree row is H*W moves)
RULES = RULE_NAMES  # freestyle, standard, renju, caro: see gomoku.variants
RENJU_N_IN_ROW = 5  # renju's forbidden points are defined for five in a row only


@dataclass(frozen=True)
class BoardConfig:
    """A game: ``width`` x ``height`` points, ``n_in_row`` in a line wins under ``rule``.

    ``rule`` is one of RULES (gomoku.variants): freestyle (n or more wins), standard (exactly n),
    renju (exactly five for black, who may not play forbidden points; five or more for white)
    or caro (exactly n, not blocked by the opponent at both ends).
    Defaults are the reference trainer's ``Board()``: 8x8, five in a row, freestyle.
    Invariant: both sides lie in [n_in_row, MAX_SIDE]; renju has n_in_row 5.
    """

    width: int = 8
    height: int = 8
    n_in_row: int = 5
    rule: str = "freestyle"

    def __post_init__(self):
        check_fields(self, width=Int(1, MAX_SIDE), height=Int(1, MAX_SIDE),
                     n_in_row=Int(1, MAX_SIDE), rule=Choice(RULES))
        if self.width < self.n_in_row or self.height < self.n_in_row:
            raise FieldError("n_in_row", f"must fit the board: {self.width}x{self.height} is "
                                         f"smaller than {self.n_in_row} in a row")
        if self.rule_code == RENJU and self.n_in_row != RENJU_N_IN_ROW:
            raise FieldError("n_in_row", f"must be {RENJU_N_IN_ROW} under renju (its forbidden "
                                         f"points are defined for five in a row), "
                                         f"got {self.n_in_row}")

    @property
    def n_moves(self) -> int:
        """H*W: a move is ``row * width + col``."""
        return self.width * self.height

    @property
    def rule_code(self) -> int:
        """The rule as the compiled kernels take it: an index of ``RULES`` (gomoku.variants)."""
        return RULES.index(self.rule)

    @property
    def label(self) -> str:
        """``WxHxN`` (with the rule when it is not freestyle)."""
        text = f"{self.width}x{self.height}x{self.n_in_row}"
        return text if self.rule == "freestyle" else f"{text} {self.rule}"

    @property
    def description(self) -> str:
        """``WxH, N in a row`` (and the rule in brackets when it is not freestyle), as logs and
        errors name a game."""
        rule = "" if self.rule == "freestyle" else f" ({self.rule})"
        return f"{self.width}x{self.height}, {self.n_in_row} in a row{rule}"

    def to_dict(self) -> dict:
        return asdict(self)
