"""The manager's side of the Gomocup protocol: an engine subprocess asked for moves.

An ``EngineProcess`` runs one engine command (started on first use) and asks it for the move of
any game of a match: ``move(key, board, history)`` sends the position and returns the answer.
Positions are restarted rather than trusted: a game the engine did not just play (another
``key``, or a history that is not the one it knows plus one move) is sent afresh as ``START``
(``RECTSTART`` on a non-square board), ``INFO timeout_turn``, ``INFO timeout_match 0``, the
rule as ``INFO rule`` (whenever it is not the one the process was last told, freestyle for a new
one: the protocol's rule 0) and the stones as ``BOARD ... DONE`` (``BEGIN`` on an empty board);
the next move of the same game is a ``TURN``. So one process serves many games of a match in
any order. ``x`` is the column, ``y`` the row: the point ``(x, y)`` is the move
``y * width + x``.

Invariant: ``move`` returns an empty point of the position it was given, or raises
``EngineFailure`` with a one-line reason (the engine could not start, died, did not answer within
the turn time plus ``MOVE_GRACE_S``, answered something that is not ``x,y``, or a point off the
board or taken). After a failure the process is stopped; the next call starts a new one.
Lines starting with MESSAGE or DEBUG are the engine's comments and are skipped.
"""
from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
import time

from gomoku import BoardConfig

from .gomocup import RULE_BITS

START_TIMEOUT_S = 120.0  # for START: a new engine's imports and warm-up, on a loaded machine
MOVE_GRACE_S = 1.0  # beyond timeout_turn before a move counts as timed out
CLOSE_TIMEOUT_S = 5.0  # after END, before the process is killed
ECHO_CHARS = 40  # how much of a bad answer a failure quotes
OWN, OPPONENT = 1, 2  # BOARD fields


class EngineFailure(Exception):
    """The engine did not give a legal move; the message is one line saying why."""


def _quote(text: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text[:ECHO_CHARS])
    return repr(shown + ("..." if len(text) > ECHO_CHARS else ""))


class EngineProcess:
    """One engine command (``argv``), asked for moves with ``turn_ms`` milliseconds a move."""

    def __init__(self, argv: list[str], turn_ms: int, start_timeout: float = START_TIMEOUT_S):
        if not argv:
            raise ValueError("an engine needs a command")
        self.argv = list(argv)
        self.turn_ms = int(turn_ms)
        self.start_timeout = float(start_timeout)
        self._proc = None
        self._lines: queue.Queue | None = None
        self._stderr = None
        self._known = None  # (key, history incl. the engine's last answer) of the loaded game
        self._rule = None  # the rule the process was last told (freestyle once spawned)

    # -- the process ---------------------------------------------------------------------------
    def _spawn(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as exc:
            self._proc = None
            raise EngineFailure(f"cannot start {self.argv[0]!r}: "
                                f"{exc.strerror or exc}") from None
        self._lines = queue.Queue()
        threading.Thread(target=_read_lines, args=(self._proc.stdout, self._lines),
                         daemon=True).start()
        self._rule = "freestyle"

    def _send(self, *lines: str) -> None:
        try:
            self._proc.stdin.write("".join(line + "\r\n" for line in lines).encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise EngineFailure(self._exit_reason()) from None

    def _answer(self, command: str, timeout: float) -> str:
        """The next line that is not a comment, within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise EngineFailure(f"no answer to {command} in {timeout:.1f} s") from None
            if line is None:
                raise EngineFailure(self._exit_reason())
            if line.strip() and not line.upper().startswith(("MESSAGE", "DEBUG")):
                return line.strip()

    def _exit_reason(self) -> str:
        try:
            code = self._proc.wait(timeout=CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return "closed its output"
        self._stderr.seek(0)
        tail = [line for line in self._stderr.read().decode("utf-8", "replace").splitlines()
                if line.strip()]
        return f"exited with code {code}" + (f": {tail[-1].strip()}" if tail else "")

    def _stop(self, polite: bool) -> None:
        """End the process: after END when ``polite`` (killed if it does not exit), else at once."""
        if self._proc is not None:
            if polite and self._proc.poll() is None:
                try:
                    self._send("END")
                    self._proc.wait(timeout=CLOSE_TIMEOUT_S)
                except (EngineFailure, subprocess.TimeoutExpired):
                    pass
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
                try:
                    stream.close()
                except OSError:  # unsent bytes to a dead engine
                    pass
        self._proc, self._known = None, None

    def close(self) -> None:
        """END the engine (kill it if it does not exit)."""
        self._stop(polite=True)

    # -- games ---------------------------------------------------------------------------------
    def _restart_game(self, board: BoardConfig) -> None:
        if self._proc is None:
            self._spawn()
        w, h = board.width, board.height
        command = f"START {w}" if w == h else f"RECTSTART {w},{h}"
        self._send(command)
        answer = self._answer(command.split()[0], self.start_timeout)
        if answer.upper() != "OK":
            raise EngineFailure(f"answered {_quote(answer)} to {command}")
        self._send(f"INFO timeout_turn {self.turn_ms}", "INFO timeout_match 0")
        if board.rule != self._rule:
            self._send(f"INFO rule {RULE_BITS[board.rule]}")
            self._rule = board.rule

    def check(self, board: BoardConfig) -> None:
        """Start the engine and see that it takes the board (EngineFailure if not)."""
        try:
            self._restart_game(board)
        except EngineFailure:
            self._stop(polite=False)
            raise
        self._known = None

    def move(self, key, board: BoardConfig, history: list[int]) -> int:
        """The engine's move in the game ``key`` after ``history`` (every move from the empty
        board, alternating from the first player; the game must be open)."""
        try:
            return self._move(key, board, list(history))
        except EngineFailure:
            self._stop(polite=False)
            raise

    def _move(self, key, board: BoardConfig, history: list[int]) -> int:
        w = board.width
        if self._known is not None and self._known[0] == key and history[:-1] == self._known[1] \
                and len(history) == len(self._known[1]) + 1:
            x, y = history[-1] % w, history[-1] // w
            command, lines = "TURN", [f"TURN {x},{y}"]
        else:
            self._known = None
            self._restart_game(board)
            mine = len(history) % 2  # the engine's stones are those of the mover's parity
            if history:
                command = "BOARD"
                lines = ["BOARD", *(f"{m % w},{m // w},{OWN if k % 2 == mine else OPPONENT}"
                                    for k, m in enumerate(history)), "DONE"]
            else:
                command, lines = "BEGIN", ["BEGIN"]
        self._send(*lines)
        answer = self._answer(command, self.turn_ms / 1000 + MOVE_GRACE_S)
        move = _point(answer, board, set(history))
        self._known = (key, history + [move])
        return move


def _point(answer: str, board: BoardConfig, taken: set[int]) -> int:
    parts = answer.split(",")
    try:
        x, y = (int(p.strip()) for p in parts)
    except ValueError:
        raise EngineFailure(f"answered {_quote(answer)}, not a move x,y") from None
    if not (0 <= x < board.width and 0 <= y < board.height):
        raise EngineFailure(f"answered {x},{y}, off the {board.width}x{board.height} board")
    move = y * board.width + x
    if move in taken:
        raise EngineFailure(f"answered {x},{y}, a point already taken")
    return move


def _read_lines(stream, lines: queue.Queue) -> None:
    """Put every line of ``stream`` on ``lines`` as text, then None at the end."""
    try:
        for raw in stream:
            lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
    except (OSError, ValueError):
        pass
    lines.put(None)
