"""Gomoku board engine: rules for any width, height and n-in-row; input planes; symmetries."""
from .board import Board
from .config import BoardConfig
from .rules import EMPTY, is_winning_move

__all__ = ["Board", "BoardConfig", "EMPTY", "is_winning_move"]
