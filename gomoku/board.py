"""The Gomoku board: rules, move numbering and the network's input planes.

Interface invariants (shared with the reference trainer, AlphaZero_Gomoku):
- A move is ``row * width + col``; ``location_to_move`` returns -1 for a point off the board.
- Players are ``PLAYER_1`` (1) and ``PLAYER_2`` (2); ``start_player`` 0 means player 1 moves first.
- ``availables`` lists the empty points in increasing order and is empty exactly when the board is
  full, as in the reference. It is not the list of legal moves: under renju black (the
  ``first_player``, who moved first: PLAYER_1 unless ``start_player`` is 1) may not play its
  forbidden points, so the moves the player to move may play are ``legal_moves()``
  (``legal_mask()``), which is ``availables`` under every other rule and for white. The searches
  use ``legal_mask``; ``availables`` keeps its meaning so that code written for the reference
  (which reads it as "empty points", e.g. for a full board) stays right.
- ``game_end()`` is ``(True, winner)`` once a stone won under the rule (``gomoku.variants``: n or
  more in a line in freestyle, exactly n in standard, ...; the first such line decides),
  ``(True, DRAW)`` for a full board without one, and under renju also when black is to move and
  every empty point is forbidden to it (black cannot move and has not lost: a draw); else
  ``(False, DRAW)``. ``do_move`` accepts no move after the end, and under renju no forbidden
  point of black; ``place`` (setting up a position) accepts both.
- ``current_state()`` is float32 ``[4, height, width]`` seen by the player to move: own stones,
  opponent stones, the last move, and ones when an even number of stones is on the board (the
  player who started is to move); rows are flipped (``[:, ::-1, :]``) as in the reference, so data
  and models can be exchanged with it.
"""
from __future__ import annotations

import numpy as np

from .board_config import BoardConfig
from .rules import DRAW, EMPTY, PLAYER_1, PLAYER_2, opponent
from .validation import is_int
from .variants import RENJU, has_legal_move, is_forbidden, legal_mask, move_wins


class Board:
    """A Gomoku position of the game ``config``; ``rule`` is one of ``BoardConfig``'s rules
    (default freestyle: n or more in a row wins, the reference's game)."""

    def __init__(self, width: int = 8, height: int = 8, n_in_row: int = 5,
                 rule: str = "freestyle"):
        self.config = BoardConfig(width, height, n_in_row, rule)
        self.players = (PLAYER_1, PLAYER_2)
        self.init_board()

    @classmethod
    def from_config(cls, config: BoardConfig) -> "Board":
        board = cls(config.width, config.height, config.n_in_row, config.rule)
        board.config = config
        return board

    @classmethod
    def from_stones(cls, config: BoardConfig, stones, to_move: int) -> "Board":
        """The position after placing ``stones`` (``(move, player)`` pairs) in their order, with
        ``to_move`` to play.

        The order fixes ``last_move`` and, where lines were made, the winner. The stones need not
        alternate (a protocol's BOARD block need not); ``start_player`` is that of the first
        stone's owner (of ``to_move`` on an empty board). Raises ValueError for a bad move or player.
        """
        stones = list(stones)
        board = cls.from_config(config)
        first = stones[0][1] if stones else to_move
        board.init_board(board._player_index(first))
        for move, player in stones:
            board.place(move, player)
        board.current_player = board.players[board._player_index(to_move)]
        return board

    def init_board(self, start_player: int = 0) -> None:
        if start_player not in (0, 1):
            raise ValueError(f"start_player must be 0 or 1, got {start_player!r}")
        self.start_player = start_player
        self.current_player = self.players[start_player]
        self.stones = np.zeros(self.width * self.height, dtype=np.int8)  # int8 [H*W], EMPTY or player
        self.availables = list(range(self.width * self.height))
        self.last_move = -1
        self.move_count = 0
        self.winner = DRAW

    @property
    def width(self) -> int:
        return self.config.width

    @property
    def height(self) -> int:
        return self.config.height

    @property
    def n_in_row(self) -> int:
        return self.config.n_in_row

    @property
    def rule(self) -> str:
        return self.config.rule

    # -- coordinates -------------------------------------------------------------------------
    def move_to_location(self, move: int) -> list[int]:
        self._check_on_board(move)
        return [move // self.width, move % self.width]

    def location_to_move(self, location) -> int:
        if len(location) != 2:
            return -1
        row, col = (int(v) for v in location)
        if not (0 <= row < self.height and 0 <= col < self.width):
            return -1
        return row * self.width + col

    def _check_on_board(self, move) -> None:
        if not is_int(move):
            raise ValueError(f"move must be an integer, got {move!r}")
        if not 0 <= move < self.width * self.height:
            raise ValueError(f"move {move} is off the {self.width}x{self.height} board")

    def _player_index(self, player) -> int:
        if player not in self.players:
            raise ValueError(f"player must be {PLAYER_1} or {PLAYER_2}, got {player!r}")
        return self.players.index(player)

    # -- play --------------------------------------------------------------------------------
    @property
    def states(self) -> dict[int, int]:
        """The reference's view of the position: ``{move: player}`` for every stone."""
        return {int(m): int(self.stones[m]) for m in np.flatnonzero(self.stones)}

    def get_current_player(self) -> int:
        return self.current_player

    def do_move(self, move: int) -> None:
        """The player to move plays ``move``: an empty point of a game that goes on, and under
        renju not a point forbidden to black (ValueError otherwise)."""
        self._check_on_board(move)
        if self.winner != DRAW:
            raise ValueError(f"move {move}: the game is over (player {self.winner} won)")
        if self._renju_black() and is_forbidden(self.stones, self.width, self.height, move,
                                                self.first_player):
            row, col = self.move_to_location(move)
            raise ValueError(f"move {move} (row {row}, col {col}) is forbidden to black under "
                             f"renju (an overline, a double four or a double three)")
        self.place(move, self.current_player)

    @property
    def first_player(self) -> int:
        """The player who moves first (of ``start_player``): renju's black."""
        return self.players[self.start_player]

    def _renju_black(self) -> bool:
        return self.config.rule_code == RENJU and self.current_player == self.first_player

    def legal_mask(self) -> np.ndarray:
        """bool [H*W]: the points the player to move may play (see the module docstring)."""
        if not self._renju_black():
            return self.stones == EMPTY
        mask = np.zeros(self.stones.shape[0], dtype=np.bool_)
        legal_mask(self.stones, self.width, self.height, self.current_player, RENJU, mask,
                   self.first_player)
        return mask

    def legal_moves(self) -> list[int]:
        """The points the player to move may play, in increasing order: ``availables`` without
        black's forbidden points under renju."""
        if not self._renju_black():
            return list(self.availables)
        return [int(m) for m in np.flatnonzero(self.legal_mask())]

    def place(self, move: int, player: int) -> None:
        """Put a stone of ``player`` on the empty point ``move``; the other player is then to move.

        The first winning line made decides the winner. Unlike ``do_move`` it accepts any owner, a
        game already won and renju's forbidden points, so that positions of any history can be
        set up.
        """
        self._check_on_board(move)
        self._player_index(player)
        if self.stones[move] != EMPTY:
            row, col = self.move_to_location(move)
            raise ValueError(f"move {move} (row {row}, col {col}) is on a stone")
        move = int(move)
        self.stones[move] = player
        self.availables.remove(move)
        self.last_move = move
        self.move_count += 1
        if self.winner == DRAW and move_wins(self.stones, self.width, self.height, self.n_in_row,
                                             move, self.config.rule_code, self.first_player):
            self.winner = player
        self.current_player = opponent(player)

    def has_a_winner(self) -> tuple[bool, int]:
        return self.winner != DRAW, self.winner

    def game_end(self) -> tuple[bool, int]:
        if self.winner != DRAW:
            return True, self.winner
        if not self.availables:
            return True, DRAW
        if self._renju_black() and not has_legal_move(self.stones, self.width, self.height,
                                                      self.current_player, RENJU,
                                                      self.first_player):
            return True, DRAW  # black cannot move: a draw (module docstring)
        return False, DRAW

    def current_state(self) -> np.ndarray:
        """float32 [4, H, W] planes from the player to move (see the module docstring)."""
        planes = np.zeros((4, self.height, self.width), dtype=np.float32)
        grid = self.stones.reshape(self.height, self.width)
        planes[0] = grid == self.current_player
        planes[1] = grid == opponent(self.current_player)
        if self.last_move >= 0:
            planes[2, self.last_move // self.width, self.last_move % self.width] = 1.0
        if self.move_count % 2 == 0:
            planes[3] = 1.0
        return planes[:, ::-1, :].copy()

    def copy(self) -> "Board":
        other = object.__new__(Board)
        other.__dict__.update(self.__dict__)
        other.stones = self.stones.copy()
        other.availables = list(self.availables)
        return other

    def __repr__(self) -> str:
        stones = ", ".join(f"{m}:{p}" for m, p in self.states.items())
        return (f"Board({self.config.label}, player {self.current_player} to move, "
                f"last move {self.last_move}, stones {{{stones}}})")
