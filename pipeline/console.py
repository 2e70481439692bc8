"""The console game: a person against a Brain's player, on a picture of the board.

Coordinates typed by the player are ``row,col`` (or ``row col``) as the picture labels them, row 0
at the bottom; a move is ``row * width + col``.
"""
from __future__ import annotations

import re
import sys

from gomoku import DRAW, EMPTY, PLAYER_1, PLAYER_2, Board, BoardConfig, opponent
from gomoku.ascii import SYMBOLS, render

from .brain import Brain

QUIT_WORDS = {"q", "quit", "exit"}
RULE_TEXT = {  # how the game announces its rule; {n} is n_in_row
    "freestyle": "{n} in a row wins",
    "standard": "exactly {n} in a row wins",
    "renju": "renju: exactly 5 in a row wins for X, who may not make an overline, a double four "
             "or a double three; 5 or more for O",
    "caro": "caro: exactly {n} in a row wins unless both its ends are blocked"}
ABANDONED = 0  # play_game's result when the person quits


def parse_move(text: str, board: Board) -> tuple[int | None, str]:
    """A typed ``row,col`` -> (move, "") when legal, else (None, why not)."""
    tokens = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if len(tokens) != 2 or not all(re.fullmatch(r"[+-]?[0-9]+", t) for t in tokens):
        return None, f"type two numbers, row and column, like 2,3 (got {text.strip()!r})"
    row, col = int(tokens[0]), int(tokens[1])
    move = board.location_to_move([row, col])
    if move < 0:
        return None, (f"{row},{col} is off the board (rows 0-{board.height - 1}, "
                      f"columns 0-{board.width - 1})")
    if board.stones[move] != EMPTY:
        return None, f"{row},{col} is taken"
    if not board.legal_mask()[move]:
        return None, (f"{row},{col} is forbidden to {SYMBOLS[board.first_player]} under renju "
                      f"(an overline, a double four or a double three)")
    return move, ""


def read_human_move(board: Board, out, stream=None) -> int | None:
    """Prompt until a legal move is typed; None when the player quits or input ends."""
    stream = sys.stdin if stream is None else stream
    while True:
        out.write("your move (row,col; q quits): ")
        out.flush()
        line = stream.readline()
        if not line:
            out.write("\nend of input: game abandoned\n")
            return None
        if line.strip().lower() in QUIT_WORDS:
            out.write("bye\n")
            return None
        move, why = parse_move(line, board)
        if move is not None:
            return move
        out.write(why + "\n")


def play_game(brain: Brain, board_config: BoardConfig, human_first: bool, out) -> int:
    """One game on the console; returns the winner (PLAYER_1 or PLAYER_2), DRAW, or ABANDONED."""
    board = Board.from_config(board_config)
    human = PLAYER_1 if human_first else PLAYER_2
    ai = brain.make_player(board_config)
    ai.set_player_ind(opponent(human))
    rule = RULE_TEXT[board_config.rule].format(n=board_config.n_in_row)
    out.write(f"{board_config.width}x{board_config.height} board, {rule}. You are "
              f"{SYMBOLS[human]}, {brain.label} is {SYMBOLS[opponent(human)]}; "
              f"{SYMBOLS[PLAYER_1]} moves first.\n")
    while True:
        ended, winner = board.game_end()
        if ended:
            out.write(render(board) + "\n")
            verdict = "draw" if winner == DRAW else ("you win" if winner == human else "you lose")
            out.write(f"game over: {verdict}\n")
            return winner
        if board.get_current_player() == human:
            out.write(render(board) + "\n")
            move = read_human_move(board, out)
            if move is None:
                return ABANDONED
        else:
            move = int(ai.get_action(board))
            row, col = board.move_to_location(move)
            out.write(f"{SYMBOLS[opponent(human)]} plays {row},{col}\n")
        board.do_move(move)
