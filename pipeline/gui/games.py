"""Game sessions: one game per browser tab, kept by id, between a person and an engine.

Invariants:
- A game's board is its ``moves`` played in order from an empty board, X (player 1) first; a
  point is ``row * width + col``, row 0 at the bottom.
- The person plays one colour (``human``), the engine the other: the person moves only on the
  person's turn, the engine only on its own, and neither once the game is over.
- While the engine thinks in a game, nothing may change that game: a move, a take-back, a swap or
  a second reply gets CONFLICT; reading its state and analysing it go on. The engine thinks on a
  copy of the board, outside the game's lock.
- The store keeps at most ``max_games`` games; one more forgets the least recently used.
"""
from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict

from gomoku import DRAW, EMPTY, PLAYER_1, PLAYER_2, Board, BoardConfig, opponent
from gomoku.rules import DIRECTIONS

from .engines import Thinking, Thought
from .errors import CONFLICT, NOT_FOUND, ApiError, quoted

MAX_GAMES = 64
BOARD_SIDES = (3, 25)  # pure MCTS boards from 3x3 to 25x25
BOARD_SPEC = re.compile(r"(\d{1,3})x(\d{1,3})x(\d{1,3})")
DEFAULT_PURE_BOARD = "6x6x4"
RESULTS = {"win": "you win", "loss": "you lose", "draw": "draw"}


def parse_board(text) -> BoardConfig:
    """``"WxHxN"`` (width, height, n in a row) -> BoardConfig; ApiError saying what is wrong."""
    match = BOARD_SPEC.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ApiError(f"board must look like WxHxN, e.g. 8x8x5, got {quoted(text)}")
    width, height, n_in_row = (int(g) for g in match.groups())
    low, high = BOARD_SIDES
    if not (low <= width <= high and low <= height <= high):
        raise ApiError(f"board {text}: sides must be from {low} to {high}")
    if not 1 <= n_in_row <= min(width, height):
        raise ApiError(f"board {text}: n in a row must be from 1 to the shorter side")
    return BoardConfig(width, height, n_in_row)


def board_name(config: BoardConfig) -> str:
    return f"{config.width}x{config.height}x{config.n_in_row}"


def winning_line(board: Board) -> list[int]:
    """The points of the winner's line through the last move (all of it, if longer than n);
    [] when nobody has won."""
    if board.winner == DRAW:
        return []
    last, width = board.last_move, board.width
    row, col = divmod(last, width)
    for d_row, d_col in DIRECTIONS:
        line = [last]
        for sign in (1, -1):
            r, c = row + sign * d_row, col + sign * d_col
            while (0 <= r < board.height and 0 <= c < width
                   and board.stones[r * width + c] == board.winner):
                line.append(int(r * width + c))
                r, c = r + sign * d_row, c + sign * d_col
        if len(line) >= board.n_in_row:
            return sorted(line)
    return []


def mover(index: int) -> int:
    """The player who makes a game's move number ``index`` (from 0): X makes the even ones."""
    return PLAYER_1 if index % 2 == 0 else PLAYER_2


def _int_field(body: dict, name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"{name} must be a whole number, got {quoted(value)}")
    if not low <= value <= high:
        raise ApiError(f"{name} {value} is off the board ({low}-{high})")
    return value


def _refuse_unknown(body: dict, known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(f"unknown field {quoted(unknown[0])} (expected {', '.join(sorted(known))})")


class Game:
    """One game: its engine, board and moves; methods return the state as the page reads it."""

    def __init__(self, game_id: str, engine, config: BoardConfig, human: int):
        self.id = game_id
        self.engine = engine
        self.config = config
        self.human = human
        self.moves: list[int] = []
        self.board = Board.from_config(config)
        self.last_thought: Thought | None = None  # the engine's search of its last move
        self._thinking = False
        self._lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------
    def _result(self) -> str | None:
        ended, winner = self.board.game_end()
        if not ended:
            return None
        if winner == DRAW:
            return RESULTS["draw"]
        return RESULTS["win"] if winner == self.human else RESULTS["loss"]

    def _state(self) -> dict:
        board = self.board
        return {
            "id": self.id, "opponent": self.engine.kind, "opponent_label": self.engine.label,
            "width": board.width, "height": board.height, "n_in_row": board.n_in_row,
            "board": board_name(self.config), "human": self.human,
            "stones": [int(s) for s in board.stones], "moves": list(self.moves),
            "last_move": board.last_move, "to_move": board.current_player,
            "over": board.game_end()[0], "result": self._result(),
            "winning_line": winning_line(board), "thinking": self._thinking,
            "last_thought": None if self.last_thought is None else self.last_thought.to_json(),
        }

    def state(self) -> dict:
        with self._lock:
            return self._state()

    # -- changing ----------------------------------------------------------------------------
    def _check_can_change(self) -> None:
        """Call with the lock held."""
        if self._thinking:
            raise ApiError("the engine is thinking: wait for its move", CONFLICT)

    def _check_going_on(self) -> None:
        if self.board.game_end()[0]:
            raise ApiError(f"the game is over ({self._result()}): start a new game or take back",
                           CONFLICT)

    def play(self, body: dict) -> dict:
        """The person's move ``{"row": r, "col": c}`` on the person's turn."""
        _refuse_unknown(body, {"row", "col"})
        row = _int_field(body, "row", 0, self.config.height - 1)
        col = _int_field(body, "col", 0, self.config.width - 1)
        move = row * self.config.width + col
        with self._lock:
            self._check_can_change()
            self._check_going_on()
            if self.board.current_player != self.human:
                raise ApiError("it is the engine's turn: ask it to reply", CONFLICT)
            if self.board.stones[move] != EMPTY:
                raise ApiError(f"{row},{col} is taken")
            if not self.board.legal_mask()[move]:
                raise ApiError(f"{row},{col} is forbidden to black under renju")
            self.board.do_move(move)
            self.moves.append(move)
            return self._state()

    def reply(self, thinking: Thinking) -> dict:
        """The engine's move on its turn (blocks while it thinks: call from a worker thread)."""
        with self._lock:
            self._check_can_change()
            self._check_going_on()
            if self.board.current_player == self.human:
                raise ApiError("it is your turn, not the engine's", CONFLICT)
            position = self.board.copy()
            self._thinking = True
        try:
            thought = self.engine.think(position, thinking)
        except BaseException:
            with self._lock:
                self._thinking = False
            raise
        with self._lock:
            self._thinking = False
            self.board.do_move(thought.move)
            self.moves.append(thought.move)
            self.last_thought = thought
            return self._state()

    def analyse(self, thinking: Thinking) -> dict:
        """The engine's search of the position now, whoever is to move; the game is unchanged."""
        with self._lock:
            self._check_going_on()
            position = self.board.copy()
        thought = self.engine.think(position, thinking)
        return {"to_move": position.current_player, "move_count": position.move_count,
                **thought.to_json()}

    def take_back(self) -> dict:
        """Undo back to the person's last move (the engine's replies after it go too)."""
        with self._lock:
            self._check_can_change()
            mine = [i for i in range(len(self.moves)) if mover(i) == self.human]
            if not mine:
                raise ApiError("no move of yours to take back", CONFLICT)
            self._replay(self.moves[:mine[-1]])
            return self._state()

    def swap(self) -> dict:
        """The person takes the other colour; the engine then plays the person's old one."""
        with self._lock:
            self._check_can_change()
            self.human = opponent(self.human)
            return self._state()

    def _replay(self, moves: list[int]) -> None:
        board = Board.from_config(self.config)
        for move in moves:
            board.do_move(move)
        self.board, self.moves, self.last_thought = board, list(moves), None


class GameStore:
    """The games of all tabs, by id; ``engines`` maps an opponent's kind to its engine."""

    def __init__(self, engines: dict, max_games: int = MAX_GAMES):
        self.engines = engines
        self.max_games = max_games
        self._games: OrderedDict[str, Game] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, body: dict) -> Game:
        """A new game from ``{"opponent": kind, "board": "WxHxN", "human": 1 or 2}`` (each
        optional: the model if there is one, its board or 6x6x4, the person playing X)."""
        _refuse_unknown(body, {"opponent", "board", "human"})
        kind = body.get("opponent", "model" if "model" in self.engines else "pure")
        if kind not in self.engines:
            hint = (" (no model was loaded: start the gui with --model PATH)"
                    if kind == "model" else "")
            raise ApiError(f"opponent must be one of {', '.join(sorted(self.engines))}, "
                           f"got {quoted(kind)}{hint}")
        engine = self.engines[kind]
        if engine.board is None:
            config = parse_board(body.get("board", DEFAULT_PURE_BOARD))
        else:
            config = engine.board
            if "board" in body and body["board"] != board_name(config):
                raise ApiError(f"the model plays only {board_name(config)}, "
                               f"got board {quoted(body['board'])}")
        human = body.get("human", 1)
        if type(human) is not int or human not in (PLAYER_1, PLAYER_2):
            raise ApiError(f"human must be 1 (X, moves first) or 2 (O), got {quoted(human)}")
        game = Game(secrets.token_hex(8), engine, config, human)
        with self._lock:
            self._games[game.id] = game
            while len(self._games) > self.max_games:
                self._games.popitem(last=False)
        return game

    def get(self, game_id: str) -> Game:
        with self._lock:
            game = self._games.get(game_id)
            if game is None:
                raise ApiError(f"unknown game id {quoted(game_id)} (start a new game)", NOT_FOUND)
            self._games.move_to_end(game_id)
            return game
