"""`pbrain-gomoku-zero` as a Gomocup manager sees it: a subprocess on pipes, whole games, bad input,
time limits. The manager here keeps its own Board and checks every answer against it."""
import queue
import subprocess
import sys
import threading
import time

import pytest

from gomoku import Board, BoardConfig
from mcts import MCTSPurePlayer

# pbrain_main is what the pbrain-gomoku-zero console script calls
ENGINE = [sys.executable, "-c", "import sys; from pipeline.cli import pbrain_main; sys.exit(pbrain_main())"]
START_TIMEOUT = 120  # seconds for the process to start and answer (imports, numba cache, a loaded machine)
MOVE_TIMEOUT = 60


class Manager:
    """Talks to an engine process: sends lines (CRLF), reads answers, skips MESSAGE/DEBUG lines."""

    def __init__(self, *args, tmp_path):
        self.stderr = open(tmp_path / "engine-stderr.txt", "w+b")
        self.proc = subprocess.Popen(ENGINE + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.lines = queue.Queue()
        self.raw = []  # every byte line received, to check the CRLF ends
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.raw.append(raw)
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.lines.put(None)

    def send(self, *lines: str | bytes):
        for line in lines:
            data = line if isinstance(line, bytes) else line.encode() + b"\r\n"
            self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def answer(self, timeout=MOVE_TIMEOUT) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            assert line is not None, "engine closed its output: " + self.stderr_text()
            if not line.startswith(("MESSAGE", "DEBUG")):
                return line

    def ask(self, *lines, timeout=MOVE_TIMEOUT) -> str:
        self.send(*lines)
        return self.answer(timeout)

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-2000:]

    def close(self) -> int:
        self.send("END")
        code = self.proc.wait(timeout=60)
        self.stderr.close()
        return code


@pytest.fixture
def manager(tmp_path):
    managers = []

    def start(*args):
        m = Manager(*args, tmp_path=tmp_path)
        managers.append(m)
        return m
    yield start
    for m in managers:
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait()


def play_move(board: Board, answer: str) -> int:
    """Check that the engine's ``x,y`` is an empty point, and play it."""
    x, y = (int(v) for v in answer.split(","))
    assert 0 <= x < board.width and 0 <= y < board.height, answer
    move = y * board.width + x
    assert board.stones[move] == 0, f"engine played on a stone: {answer}"
    board.do_move(move)
    return move


def xy(board: Board, move: int) -> str:
    return f"{move % board.width},{move // board.width}"


def play_game(m: Manager, board: Board, opponent: MCTSPurePlayer, opening: str, garbage=()):
    """One game against ``opponent``: opened by BEGIN, by TURN, or by a BOARD of three stones."""
    if opening == "begin":
        play_move(board, m.ask("BEGIN"))
    elif opening == "turn":
        board.do_move(opponent.get_action(board))
        play_move(board, m.ask(f"TURN {xy(board, board.last_move)}"))
    else:  # three stones: the opponent's first and third, the engine's second
        centre = board.height // 2 * board.width + board.width // 2
        for move in (centre, centre + 1, centre - board.width):
            board.do_move(move)
        me = board.current_player
        stones = [f"{xy(board, mv)},{1 if p == me else 2}" for mv, p in board.states.items()]
        play_move(board, m.ask("BOARD", *stones, "DONE"))
    garbage = list(garbage)
    while not board.game_end()[0]:
        board.do_move(opponent.get_action(board))
        if board.game_end()[0]:
            break
        if garbage:  # bad lines in the middle of a game: each gets an answer, the game goes on
            reply = m.ask(garbage.pop())
            assert reply.startswith(("UNKNOWN", "ERROR")), reply
        play_move(board, m.ask(f"TURN {xy(board, board.last_move)}"))
    return board.game_end()[1]


@pytest.mark.parametrize("width,n_in_row", [(6, 4), (8, 5)])
def test_whole_games_against_pure_mcts(manager, width, n_in_row):
    m = manager("--pure", "300", "--n-in-row", str(n_in_row), "--seed", "1")
    assert m.ask(f"START {width}", timeout=START_TIMEOUT) == "OK"
    opponent = MCTSPurePlayer(n_playout=300, seed=2)
    winners = []
    for i, opening in enumerate(["board", "turn", "begin"]):
        if i:
            assert m.ask("RESTART") == "OK"
        board = Board(width, width, n_in_row)
        garbage = ["", "FOO", "TURN 99,99"] if i == 0 else ()
        winners.append(play_game(m, board, opponent, opening, garbage))
    assert all(w in (-1, 1, 2) for w in winners)
    assert m.close() == 0
    assert all(raw.endswith(b"\r\n") for raw in m.raw)


def test_bad_input_gets_unknown_or_error_and_the_engine_goes_on(manager):
    m = manager("--pure", "100", "--n-in-row", "4", "--seed", "3")
    before_start = ["BEGIN", "TURN 1,1", "BOARD", "RESTART", "TAKEBACK 1,1"]
    for line in before_start:
        assert m.ask(line, timeout=START_TIMEOUT).startswith("ERROR "), line
    assert m.ask("START 6") == "OK"
    board = Board(6, 6, 4)
    board.do_move(14)
    first = m.ask("TURN 2,2")
    play_move(board, first)
    bad = [b"\r\n", b"\n", b"   \r\n", b"hello world\r\n", b"\x00\x01\xfe\xff\r\n",
           b"Q" * 1_000_000 + b"\r\n", b"TURN 2,2\r\n", f"TURN {first}\r\n".encode(),
           b"TURN 6,0\r\n", b"TURN 1\r\n", b"START x\r\n", b"INFO time_left soon\r\n"]
    for line in bad:
        reply = m.ask(line)
        assert reply.split()[0] in ("UNKNOWN", "ERROR"), (line[:20], reply)
    play_move(board, m.ask("TURN 0,0"))  # the position is intact: the move is legal there
    assert m.ask("ABOUT").startswith('name="gomoku-zero"')
    assert m.close() == 0


def test_end_of_input_exits_cleanly(manager):
    m = manager("--pure", "50")
    assert m.ask("START 8", timeout=START_TIMEOUT) == "OK"
    m.proc.stdin.close()
    assert m.proc.wait(timeout=60) == 0


@pytest.mark.parametrize("info,limit", [
    (["INFO timeout_turn 1000"], 1.0),
    (["INFO timeout_match 10000", "INFO time_left 10000"], 10.0 / 20),  # spread over 20 moves
])
def test_answers_come_within_the_time_budget(manager, info, limit):
    # 10**6 playouts would take many seconds a move: only the time limit can make it answer in time
    m = manager("--pure", "1000000", "--seed", "4")
    assert m.ask("START 15", timeout=START_TIMEOUT) == "OK"
    m.send(*info)
    board = Board(15, 15, 5)
    margin = 0.75  # pipes, process scheduling and a search slower than estimated on a busy machine
    for i in range(4):
        start = time.monotonic()
        answer = m.ask("BEGIN" if i == 0 else f"TURN {xy(board, board.last_move)}")
        took = time.monotonic() - start
        assert took < limit + margin, f"move {i} took {took:.2f}s, limit {limit}s"
        play_move(board, answer)
        board.do_move(board.availables[len(board.availables) // 3])
    assert m.close() == 0


def test_a_saved_net_plays_its_own_board_only_and_in_time(manager, tmp_path):
    from net import PolicyValueNet
    model = tmp_path / "run" / "best_policy"
    model.parent.mkdir()
    PolicyValueNet.for_game(BoardConfig(6, 6, 4), seed=0).save_model(model)  # records 6x6x4
    # 10**6 playouts a move: only the deadline, checked as the net's search goes, stops it
    m = manager("--model", str(model), "--playouts", "1000000")
    assert m.ask("START 8", timeout=START_TIMEOUT).startswith("ERROR ")
    assert m.ask("START 6") == "OK"
    assert "6x6x4" in m.ask("ABOUT")
    m.send("INFO timeout_turn 400")
    board = Board(6, 6, 4)
    for i in range(3):
        start = time.monotonic()
        play_move(board, m.ask("BEGIN" if i == 0 else f"TURN {xy(board, board.last_move)}"))
        took = time.monotonic() - start
        assert took < 0.4 + 0.75, f"move {i} took {took:.2f}s"
        board.do_move(board.availables[-1])
    assert m.ask("RESTART") == "OK"
    winner = play_game(m, Board(6, 6, 4), MCTSPurePlayer(n_playout=50, seed=5), "board")
    assert winner in (-1, 1, 2)
    assert m.close() == 0
