"""The one error type of bad input, and the field checks every config dataclass uses.

Every layer's frozen config (``gomoku.BoardConfig``, ``mcts.SearchConfig``, ``net.NetConfig``, the
pipeline's sections) checks its own fields in ``__post_init__`` by ``check_fields(self, name=Spec)``,
which normalises each value (an int where a float is asked becomes a float) and raises a
``FieldError`` naming the field. The YAML loader prefixes the section ("search.n_playout ...").
``gomoku`` is the bottom of the dependency order, so the checks live here for every layer.
"""
from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass

import numpy as np


class InputError(ValueError):
    """Bad input from a user or a file; the message is one line that names what is wrong.

    The command line prints it and exits 2; every more specific error of bad input
    (config, model file, checkpoint, flag) is a subclass.
    """


class FieldError(InputError):
    """A field of a config with a bad value: ``field`` is its dotted name."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field} {problem}")

    def within(self, section: str) -> "FieldError":
        """The same error with the field named from ``section`` (e.g. "evaluation.search")."""
        return FieldError(f"{section}.{self.field}", self.problem)


_SHOWN = reprlib.Repr()  # 3 levels, 6 items a list, 4 a dict, 60 characters a string, ...
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother = 3, 60, 60
MAX_SHOWN = 200  # characters


def shown(value) -> str:
    """``repr(value)`` cut to a few nested levels, items and characters: a message quoting a value
    stays one short line whatever its size (YAML aliases make a 1 KB value of 10^9 items, and a
    hexadecimal YAML int can have more digits than Python writes in decimal)."""
    try:
        text = _SHOWN.repr(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits(), or a list holding one
        if isinstance(value, int):
            return f"an int of {value.bit_length()} bits"
        return f"a {type(value).__name__} holding an int too long to show"
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def is_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


@dataclass(frozen=True)
class Int:
    """An int in ``[low, high]`` (``high`` None: no upper bound)."""

    low: int = 1
    high: int | None = None

    def check(self, name: str, value) -> int:
        if not is_int(value):
            raise FieldError(name, f"must be int, got {type(value).__name__} {shown(value)}")
        if value < self.low:
            what = "a positive integer" if self.low == 1 else f"an integer >= {self.low}"
            raise FieldError(name, f"must be {what}, got {shown(value)}")
        if self.high is not None and value > self.high:
            raise FieldError(name, f"must be at most {self.high}, got {shown(value)}")
        return int(value)


@dataclass(frozen=True)
class Float:
    """A finite number above ``low`` (or equal to it when ``low_included``), at most ``high``."""

    low: float = 0.0
    high: float | None = None
    low_included: bool = False

    def check(self, name: str, value) -> float:
        if not is_number(value):
            raise FieldError(name, f"must be a number, got {type(value).__name__} {shown(value)}")
        value = float(value)
        above = value >= self.low if self.low_included else value > self.low
        if not math.isfinite(value) or not above:
            what = "a positive number" if (self.low, self.low_included) == (0.0, False) \
                else f"a number {'>=' if self.low_included else '>'} {self.low:g}"
            raise FieldError(name, f"must be {what}, got {value!r}")
        if self.high is not None and value > self.high:
            raise FieldError(name, f"must be at most {self.high:g}, got {value!r}")
        return value


@dataclass(frozen=True)
class Fraction:
    """A number in [0, 1]."""

    def check(self, name: str, value) -> float:
        if not is_number(value) or not 0.0 <= value <= 1.0:
            raise FieldError(name, f"must be in [0, 1], got {shown(value)}")
        return float(value)


@dataclass(frozen=True)
class Bool:
    def check(self, name: str, value) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise FieldError(name, f"must be bool, got {type(value).__name__} {shown(value)}")
        return bool(value)


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (strings)."""

    options: tuple[str, ...]

    def check(self, name: str, value) -> str:
        if value not in self.options:
            raise FieldError(name, f"must be one of {', '.join(self.options)}, got {shown(value)}")
        return value


def check_fields(obj, **specs) -> None:
    """Check and normalise the named fields of the frozen dataclass ``obj`` in place."""
    for name, spec in specs.items():
        object.__setattr__(obj, name, spec.check(name, getattr(obj, name)))
