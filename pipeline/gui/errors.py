"""The one error the GUI's library raises for bad requests: answered as ``{"error": message}``."""
from __future__ import annotations

from gomoku import InputError

BAD_REQUEST = 400
NOT_FOUND = 404
CONFLICT = 409  # the request is well formed but the game is not in a state to take it
TOO_LARGE = 413


class ApiError(InputError):
    """A request the GUI refuses: ``message`` is one line for the page, ``status`` a 4xx code."""

    def __init__(self, message: str, status: int = BAD_REQUEST):
        super().__init__(message)
        self.message = message
        self.status = status


def quoted(text, limit: int = 40) -> str:
    """``repr`` of user input, cut to ``limit`` characters so an answer never echoes much."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."
