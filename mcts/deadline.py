"""Deadlines for the searches: ``time.monotonic()`` values after which no playout starts."""
from __future__ import annotations

import math

from gomoku.validation import is_number


def checked_deadline(deadline) -> float | None:
    """``deadline`` as a float (None stays None: no deadline); ValueError unless a real number.

    A deadline already passed is valid: the search then runs only its minimum of playouts.
    """
    if deadline is None:
        return None
    if not is_number(deadline) or math.isnan(deadline):
        raise ValueError(f"deadline must be a time.monotonic() value in seconds, got {deadline!r}")
    return float(deadline)
