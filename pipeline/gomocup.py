"""The Gomocup / Piskvork protocol engine behind `pbrain-gomoku-zero` (`gomoku-zero pbrain`).

The protocol (https://plastovicka.github.io/protocl2en.htm): one command per line in (CRLF or LF),
one answer line out (CRLF, flushed). X is the column and Y the row, both from zero, so a point is
the Board move ``y * width + x``.

Invariants of the engine:
- every line read gets at most one answer line (plus ``MESSAGE`` lines before a move); a known
  command with bad arguments, or a move on a taken or off-board point, gets ``ERROR ...`` and
  changes nothing; anything else gets ``UNKNOWN ...``; the engine goes on after both;
- a move asked for in a finished game (a line of n on the board, or a full board) gets
  ``ERROR the game is over ...``; the stones sent with it (TURN, BOARD) are kept; a command that
  fails in any other way (an internal error included) leaves the stones as they were;
- numbers are ASCII digits with an optional sign, at most MAX_DIGITS of them; INFO times are
  clamped to +-UNLIMITED_MS; a BOARD block holds at most one line per point of the board;
- a move it answers is always on an empty point of the board;
- the position is the list of stones with their owner (own / opponent) in the order they came, and
  the Board searched is rebuilt from it before each move, so TAKEBACK and BOARD need no undo;
- the game is played under ``rule`` (the brain's own until ``INFO rule`` changes it, see
  ``rule_of_bits``): wins are judged by it, and a move answered is one of the Board's
  ``legal_moves()`` (under renju never a point forbidden to black). A stone the manager sends is
  placed whatever it makes (the manager judges fouls). An ``INFO rule`` the brain cannot play is
  answered, as the protocol asks of an INFO that cannot be met, at the next move command, by
  ``ERROR``, and so is every move command until an ``INFO rule`` it can play; a rule it plays
  with a warning gets a ``MESSAGE`` line before the next move.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from gomoku import DRAW, PLAYER_1, PLAYER_2, Board, BoardConfig
from gomoku.board_config import MAX_SIDE
from gomoku.validation import InputError

from .brain import Brain

OWN, OPPONENT, WINNING_LINE = 1, 2, 3  # BOARD fields; 3 marks a finished line in continuous games
# INFO rule bits (the protocol's "bitmask or sum"): exactly five, continuous game, renju, caro
EXACT_FIVE_BIT, CONTINUOUS_BIT, RENJU_BIT, CARO_BIT = 1, 2, 4, 8
KNOWN_RULE_BITS = EXACT_FIVE_BIT | CONTINUOUS_BIT | RENJU_BIT | CARO_BIT
# the INFO rule value a manager sends for each rule (rule_of_bits reads it back)
RULE_BITS = {"freestyle": 0, "standard": EXACT_FIVE_BIT, "renju": RENJU_BIT, "caro": CARO_BIT}
MAX_LINE_BYTES = 4096  # longer input lines are dropped with an ERROR
UNLIMITED_MS = 2147483647  # time_left sent when the match has no time limit
MOVES_TO_PLAN = 20  # the match clock is spread over at most this many own moves
SEARCH_SHARE = 0.85  # of a move's budget, for the search; the rest absorbs a late stop
SEARCH_MARGIN_S = 0.05  # also kept back from every budget: answer, pipes, scheduling
ECHO_CHARS = 40  # how much of a bad line an answer quotes
MAX_DIGITS = 12  # numbers are milliseconds or coordinates; longer ones are refused
INTEGER_RE = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")


class ProtocolError(InputError):
    """A known command with bad arguments: answered ``ERROR <message>``; it changes nothing."""


class GameOver(ProtocolError):
    """A move asked for in a finished game: answered ``ERROR``, the stones sent are kept."""


def rule_of_bits(bits: int) -> str:
    """The ``BoardConfig`` rule of an ``INFO rule`` value (an int >= 0).

    Bits, from the Gomocup protocol (plastovicka.github.io/protocl2en.htm, INFO): 1 exactly
    five, 2 continuous game, 4 renju, 8 caro. Renju (4) and caro (8) are exact-five rules of their
    own, so bit 1 beside them changes nothing; bit 1 alone is standard; none is freestyle. Bit 2
    is ignored: this engine plays a game to its first win, continuous or not. So 2 is freestyle,
    not renju: the protocol gives 2 no other meaning, and the managers that send renju send 4
    (GomocupJudge, c-gomoku-cli). Raises InputError for unknown bits or renju with caro.
    """
    if bits & ~KNOWN_RULE_BITS:
        raise InputError(f"INFO rule {bits} has unknown bits (known: 1 exactly five, "
                         f"2 continuous, 4 renju, 8 caro)")
    if bits & RENJU_BIT and bits & CARO_BIT:
        raise InputError(f"INFO rule {bits} asks for renju and caro at once")
    if bits & RENJU_BIT:
        return "renju"
    if bits & CARO_BIT:
        return "caro"
    return "standard" if bits & EXACT_FIVE_BIT else "freestyle"


@dataclass
class TimeControl:
    """The limits INFO sent (milliseconds; None when not sent).

    ``timeout_turn`` 0 means "as fast as possible"; ``timeout_match`` 0 means no match limit;
    ``time_left`` may be negative (out of time) or UNLIMITED_MS.
    """

    timeout_turn: int | None = None
    timeout_match: int | None = None
    time_left: int | None = None

    def budget(self, n_empty: int) -> float | None:
        """Seconds this move may take from the command's arrival; None when unlimited."""
        limits = []
        if self.timeout_turn is not None:
            limits.append(max(self.timeout_turn, 0) / 1000)
        if self.time_left is not None and self.time_left < UNLIMITED_MS and self.timeout_match != 0:
            own_moves_left = min(max(math.ceil(n_empty / 2), 1), MOVES_TO_PLAN)
            limits.append(max(self.time_left, 0) / 1000 / own_moves_left)
        return min(limits) if limits else None


def search_time(budget: float) -> float:
    """The part of a budget the search may use: it stops its playouts at this deadline and then
    needs a little time to answer. The rest covers a search that stops late (the last network
    call or run of playouts started before the deadline, a process descheduled on a busy
    machine) and the answer's way through the pipes."""
    return max(0.0, SEARCH_SHARE * budget - SEARCH_MARGIN_S)


@dataclass
class Engine:
    """The protocol state machine: ``handle(line)`` -> answer lines; ``finished`` after END."""

    brain: Brain
    n_in_row: int
    version: str = "unknown"  # the program's, for ABOUT
    rule: str = "freestyle"  # the rule played (a BoardConfig rule)
    clock: TimeControl = field(default_factory=TimeControl)
    rule_error: str | None = None  # set by an INFO rule the brain cannot play: moves get ERROR
    notices: list[str] = field(default_factory=list)  # MESSAGE texts for the next move
    board_config: BoardConfig | None = None  # None until START / RECTSTART
    # the brain of another board size (pbrain without --model: the committed models), or None
    brain_for_size: Callable[[int, int], Brain | None] | None = None
    player: object = None  # the brain's player for board_config, made at START / RECTSTART
    stones: list[tuple[int, int]] = field(default_factory=list)  # (move, OWN or OPPONENT) in order
    board_lines: list[str] | None = None  # the lines of a BOARD block being read
    finished: bool = False

    # -- dispatch ---------------------------------------------------------------------------
    def handle(self, line: str, received: float | None = None) -> list[str]:
        """The answer lines to one input line (without line ends). ``received``: monotonic time."""
        received = time.monotonic() if received is None else received
        text = line.strip()
        stones = list(self.stones)
        try:
            if self.board_lines is not None:
                return self._board_line(text, received)
            word, _, rest = text.partition(" ")
            handler = COMMANDS.get(word.upper())
            if handler is None:
                return [f"UNKNOWN command {_quote(text)}" if text else "UNKNOWN empty line"]
            return handler(self, rest.strip(), received)
        except GameOver as exc:  # the stones that ended the game stay
            return [f"ERROR {exc}"]
        except ProtocolError as exc:
            self.stones = stones
            return [f"ERROR {exc}"]
        except Exception:
            self.stones, self.board_lines = stones, None
            raise

    def _start(self, rest: str, received: float) -> list[str]:
        size = _ints(rest, 1, "START", "a board size")[0]
        return self._new_board(size, size)

    def _rectstart(self, rest: str, received: float) -> list[str]:
        width, height = _ints(rest, 2, "RECTSTART", "width,height")
        return self._new_board(width, height)

    def _new_board(self, width: int, height: int) -> list[str]:
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ProtocolError(f"board {width}x{height} is not supported (sides 1-{MAX_SIDE})")
        fixed = self.brain.board
        if fixed is not None and (width, height) != (fixed.width, fixed.height):
            try:
                other = self.brain_for_size(width, height) if self.brain_for_size else None
            except InputError as exc:
                raise ProtocolError(f"cannot load the model of a {width}x{height} board: "
                                    f"{exc}") from None
            if other is None:
                plays = ("no committed model is of that size: start the engine with --model"
                         if self.brain_for_size else
                         f"the model plays {fixed.width}x{fixed.height}")
                raise ProtocolError(f"no model for a {width}x{height} board ({plays})")
            try:
                warning = other.rule_warning(self.rule)
            except ValueError as exc:
                raise ProtocolError(f"the {width}x{height} model cannot play {self.rule}: "
                                    f"{exc}") from None
            if warning:
                self.notices.append(warning)
            self.brain, self.n_in_row = other, other.board.n_in_row
        try:
            config = BoardConfig(width, height, self.n_in_row, self.rule)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        self.board_config, self.stones = config, []
        self.player = self.brain.make_player(config)
        return ["OK"]

    def warm_up(self) -> None:
        """A search of the fewest playouts before the first command: compiles the search and
        traces the net, so that START and the first move answer quickly."""
        side = max(6, self.n_in_row)
        config = self.brain.board or BoardConfig(side, side, self.n_in_row, self.rule)
        self.brain.make_player(config).get_action(Board.from_config(config),
                                                  deadline=time.monotonic())

    def _restart(self, rest: str, received: float) -> list[str]:
        self._need_board("RESTART")
        self.stones = []
        return ["OK"]

    def _begin(self, rest: str, received: float) -> list[str]:
        self._need_board("BEGIN")
        if self.stones:
            raise ProtocolError("BEGIN needs an empty board (send RESTART first)")
        return self._think(received)

    def _turn(self, rest: str, received: float) -> list[str]:
        self._need_board("TURN")
        x, y = _ints(rest, 2, "TURN", "x,y")
        move = self._empty_point(x, y, "TURN")
        self.stones.append((move, OPPONENT))
        return self._think(received)

    def _board(self, rest: str, received: float) -> list[str]:
        self._need_board("BOARD")
        self.board_lines = []
        return []

    def _board_line(self, text: str, received: float) -> list[str]:
        """A line inside BOARD ... DONE: collect it; at DONE, set the position and move."""
        if text.upper() == "END":
            self.board_lines, self.finished = None, True
            return []
        if text.upper() != "DONE":
            if len(self.board_lines) >= self.board_config.n_moves:
                self.board_lines = None
                raise ProtocolError(f"BOARD block longer than the board's "
                                    f"{self.board_config.n_moves} points: block ignored")
            self.board_lines.append(text)
            return []
        lines, self.board_lines = self.board_lines, None
        own, other = [], []
        taken = set()
        for text in lines:
            x, y, owner = _ints(text, 3, "BOARD", "x,y,field lines")
            move = self._empty_point(x, y, "BOARD", taken)
            if owner not in (OWN, OPPONENT, WINNING_LINE):
                raise ProtocolError(f"BOARD field must be 1, 2 or 3, got {owner} in {_quote(text)}")
            taken.add(move)
            (own if owner == OWN else other).append(move)
        self.stones = _alternate(own, other)
        return self._think(received)

    def _takeback(self, rest: str, received: float) -> list[str]:
        self._need_board("TAKEBACK")
        x, y = _ints(rest, 2, "TAKEBACK", "x,y")
        move = self._point(x, y, "TAKEBACK")
        for i in range(len(self.stones) - 1, -1, -1):
            if self.stones[i][0] == move:
                del self.stones[i]
                return ["OK"]
        raise ProtocolError(f"TAKEBACK {x},{y}: no stone there")

    def _info(self, rest: str, received: float) -> list[str]:
        key, _, value = rest.partition(" ")
        key = key.lower()
        if key in ("timeout_turn", "timeout_match", "time_left"):
            ms = _integer(value)
            if ms is None:
                raise ProtocolError(f"INFO {key} needs milliseconds, got {_quote(value)}")
            setattr(self.clock, key, max(-UNLIMITED_MS, min(ms, UNLIMITED_MS)))
        elif key == "rule":
            bits = _integer(value)
            if bits is None or bits < 0:
                raise ProtocolError(f"INFO rule needs a number >= 0, got {_quote(value)}")
            self._set_rule(bits)
        elif not key:
            raise ProtocolError("INFO needs a key and a value")
        return []  # other keys (max_memory, game_type, folder, ...) are accepted silently

    def _set_rule(self, bits: int) -> None:
        """Play under the rule of ``bits`` from now on, if the brain can (see the module
        docstring); the stones stay. Otherwise keep the rule and refuse moves until another."""
        try:
            rule = rule_of_bits(bits)
            warning = self.brain.rule_warning(rule)
            cfg = self.board_config
            width, height = (cfg.width, cfg.height) if cfg else (self.n_in_row, self.n_in_row)
            config = BoardConfig(width, height, self.n_in_row, rule)
        except ValueError as exc:  # InputError, and BoardConfig's FieldError
            self.rule_error = f"cannot play INFO rule {bits}: {exc}"
            return
        self.rule, self.rule_error = rule, None
        if warning:
            self.notices.append(warning)
        if cfg is not None:
            self.board_config, self.player = config, self.brain.make_player(config)

    def _about(self, rest: str, received: float) -> list[str]:
        return [f'name="gomoku-zero", version="{self.version}", author="gomoku-zero authors", '
                f'country="unknown", engine="{self.brain.label}"']

    def _end(self, rest: str, received: float) -> list[str]:
        self.finished = True
        return []

    # -- positions and moves ----------------------------------------------------------------
    def _need_board(self, command: str) -> None:
        if self.board_config is None:
            raise ProtocolError(f"{command} before START: no board yet")

    def _point(self, x: int, y: int, command: str) -> int:
        cfg = self.board_config
        if not (0 <= x < cfg.width and 0 <= y < cfg.height):
            raise ProtocolError(f"{command} {x},{y} is off the {cfg.width}x{cfg.height} board")
        return y * cfg.width + x

    def _empty_point(self, x: int, y: int, command: str, taken: set[int] | None = None) -> int:
        """The move at x,y when it is empty (among ``taken``, else the current stones)."""
        move = self._point(x, y, command)
        if move in (taken if taken is not None else {m for m, _ in self.stones}):
            raise ProtocolError(f"{command} {x},{y} is already taken")
        return move

    def position(self) -> Board:
        """The Board of the stones, with this engine to move.

        Stones are placed in order, each by its owner whatever the parity, so openings of any
        shape load; who started follows from the counts (equal: this engine). Raises
        GameOver when the game is over (a win under the rule, a full board, or under renju
        black to move without a legal point).
        """
        cfg = self.board_config
        n_own = sum(1 for _, owner in self.stones if owner == OWN)
        first = OWN if n_own >= len(self.stones) - n_own else OPPONENT
        player_of = {first: PLAYER_1, (OPPONENT if first == OWN else OWN): PLAYER_2}
        board = Board.from_stones(cfg, [(move, player_of[owner]) for move, owner in self.stones],
                                  to_move=player_of[OWN])
        ended, winner = board.game_end()
        if ended:
            if winner != DRAW:
                why = f"there is already a line of {cfg.n_in_row} on the board"
            elif not board.availables:
                why = "the board is full"
            else:
                why = "black has no legal point left under renju"
            raise GameOver(f"the game is over: {why}")
        return board

    def _think(self, received: float) -> list[str]:
        """Search this engine's move within the time budget, play it and answer ``x,y``.

        The budget counts from the command's arrival; the search gets its deadline (the brain's
        playouts being the most it runs) and always runs a few playouts, even out of time.
        """
        if self.rule_error is not None:
            raise ProtocolError(self.rule_error)
        board = self.position()
        budget = self.clock.budget(len(board.availables))
        start = time.monotonic()
        self.player.set_player_ind(board.current_player)
        move = int(self.player.get_action(
            board, deadline=None if budget is None else received + search_time(budget)))
        took = time.monotonic() - start
        legal = board.legal_moves()
        if move not in legal:  # never answer an illegal move, whatever the search says
            move = legal[0]
        self.stones.append((move, OWN))
        width = self.board_config.width
        budget_text = "none" if budget is None else f"{budget:.3f}s"
        notices, self.notices = [f"MESSAGE {text}" for text in self.notices], []
        return notices + [
            f"MESSAGE {self.player.playouts} playouts in {took:.3f}s, budget {budget_text}",
            f"{move % width},{move // width}"]


COMMANDS = {
    "START": Engine._start,
    "RECTSTART": Engine._rectstart,
    "RESTART": Engine._restart,
    "BEGIN": Engine._begin,
    "TURN": Engine._turn,
    "BOARD": Engine._board,
    "TAKEBACK": Engine._takeback,
    "INFO": Engine._info,
    "ABOUT": Engine._about,
    "END": Engine._end,
}


def _quote(text: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text[:ECHO_CHARS])
    return repr(shown + ("..." if len(text) > ECHO_CHARS else ""))


def _integer(text: str) -> int | None:
    """An integer written in ASCII digits (with a sign), at most MAX_DIGITS of them; else None."""
    text = text.strip()
    if not INTEGER_RE.fullmatch(text):
        return None
    return int(text)


def _ints(text: str, count: int, command: str, what: str) -> list[int]:
    parts = [p.strip() for p in text.split(",")] if text else []
    values = [_integer(p) for p in parts]
    if len(values) != count or None in values:
        raise ProtocolError(f"{command} needs {what}, got {_quote(text)}")
    return values


def _alternate(own: list[int], other: list[int]) -> list[tuple[int, int]]:
    """Stones of a BOARD block in a playing order that ends with an opponent's stone when it can:
    the opponent's first when it has more (it started), else this engine's; then alternately,
    each side's stones in the order they came; any surplus at the end."""
    first, second = ((other, OPPONENT), (own, OWN)) if len(other) > len(own) else \
        ((own, OWN), (other, OPPONENT))
    order = []
    for i in range(max(len(first[0]), len(second[0]))):
        for moves, owner in (first, second):
            if i < len(moves):
                order.append((moves[i], owner))
    return order


# -- the process ------------------------------------------------------------------------------
def read_lines(stream):
    """Yield input lines as text; a line longer than MAX_LINE_BYTES is drained and yields None."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def serve(engine: Engine, stream, out) -> int:
    """Answer the lines of ``stream`` (binary) on ``out`` (binary) until END, the end of the
    input, or a manager that stopped reading."""
    try:
        _answer_lines(engine, stream, out)
    except BrokenPipeError:
        pass
    return 0


def _answer_lines(engine: Engine, stream, out) -> None:
    for line in read_lines(stream):
        received = time.monotonic()
        if line is None:
            answers = [f"ERROR line longer than {MAX_LINE_BYTES} bytes ignored"]
        else:
            try:
                answers = engine.handle(line, received)
            except Exception as exc:  # the engine must answer and go on, whatever goes wrong
                engine.board_lines = None
                answers = [f"ERROR internal error: {type(exc).__name__}: {exc}".splitlines()[0]]
        for answer in answers:
            out.write(answer.encode("utf-8") + b"\r\n")
        out.flush()
        if engine.finished:
            return
