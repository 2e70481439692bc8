"""Gomoku board engine: the game (BoardConfig), its rules and positions (Board), input planes,
symmetries, ASCII pictures. Imports nothing else of the project."""
from .board import Board
from .board_config import BoardConfig
from .rules import DRAW, EMPTY, PLAYER_1, PLAYER_2, is_winning_move, opponent
from .validation import InputError

__all__ = ["Board", "BoardConfig", "DRAW", "EMPTY", "InputError", "PLAYER_1", "PLAYER_2",
           "is_winning_move", "opponent"]
