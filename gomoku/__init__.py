"""Gomoku board engine: rules for any width, height and n-in-row; input planes; symmetries."""
from .board import Board
from .rules import EMPTY, is_winning_move

__all__ = ["Board", "EMPTY", "is_winning_move"]
