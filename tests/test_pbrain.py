"""The Gomocup protocol engine, driven in-process: answers, errors, positions, time budgets."""
import io
import time

import pytest

from gomoku import Board, BoardConfig
from gomoku.ascii import parse
from mcts import MCTSPurePlayer
from pipeline import gomocup as pbrain
from pipeline.brain import Brain
from pipeline.gomocup import Engine, TimeControl, read_lines, search_time, serve


def pure_brain(n_playout=200, board=None, seed=0):
    """Pure MCTS; with ``board`` it stands in for a net that plays only that board."""
    return Brain("test pure", board, lambda cfg: MCTSPurePlayer(n_playout=n_playout, seed=seed))


def started(size=6, n_in_row=4, n_playout=200) -> Engine:
    engine = Engine(pure_brain(n_playout), n_in_row)
    assert engine.handle(f"START {size}") == ["OK"]
    return engine


def move_of(answers, width):
    """The x,y answer (after any MESSAGE lines) as a Board move."""
    *messages, last = answers
    assert all(m.startswith("MESSAGE ") for m in messages), answers
    x, y = (int(v) for v in last.split(","))
    assert 0 <= x < width
    return y * width + x


def board_lines(board: Board):
    """BOARD lines of a position, fields seen by the player to move (1 own, 2 opponent)."""
    me = board.current_player
    lines = ["BOARD"]
    for move, player in board.states.items():
        x, y = move % board.width, move // board.width
        lines.append(f"{x},{y},{1 if player == me else 2}")
    return lines + ["DONE"]


def feed(engine, lines):
    answers = []
    for line in lines:
        answers += engine.handle(line)
    return answers


@pytest.mark.parametrize("line", ["BEGIN", "TURN 1,1", "BOARD", "RESTART", "TAKEBACK 1,1"])
def test_commands_before_start_are_errors(line):
    engine = Engine(pure_brain(), 4)
    [answer] = engine.handle(line)
    assert answer.startswith("ERROR ") and "START" in answer
    assert engine.handle("START 6") == ["OK"]


@pytest.mark.parametrize("line", ["", "   ", "HELLO", "x" * 3000, "\x00\xff garbage", "PLAY 1,1",
                                  "turnip 1,1"])
def test_unknown_lines_get_unknown(line):
    engine = started()
    [answer] = engine.handle(line)
    assert answer.startswith("UNKNOWN")
    assert len(answer) < 100
    move_of(engine.handle("BEGIN"), 6)


@pytest.mark.parametrize("line", ["START", "START six", "START 6,6", "START 0", "START 3",
                                  "START 1000", "RECTSTART 6", "RECTSTART 6,x", "TURN",
                                  "TURN 1", "TURN 1,2,3", "TURN a,b", "TURN 6,0", "TURN 0,6",
                                  "TURN -1,0", "TAKEBACK 0,0", "INFO timeout_turn soon", "INFO"])
def test_malformed_known_commands_are_errors_and_change_nothing(line):
    engine = started()
    feed(engine, ["TURN 2,2"])
    before = (engine.board_config, list(engine.stones))
    [answer] = engine.handle(line)
    assert answer.startswith("ERROR "), answer
    assert (engine.board_config, engine.stones) == before
    move_of(engine.handle("TURN 3,3"), 6)


def test_turn_on_a_taken_point_is_an_error_and_the_game_goes_on():
    engine = started()
    reply = move_of(engine.handle("TURN 2,2"), 6)
    for x, y in [(2, 2), (reply % 6, reply // 6)]:
        [answer] = engine.handle(f"TURN {x},{y}")
        assert answer.startswith("ERROR ") and "taken" in answer
    assert len(engine.stones) == 2
    move_of(engine.handle(f"TURN {free(engine)}"), 6)


def test_a_net_brain_refuses_other_board_sizes():
    engine = Engine(pure_brain(board=BoardConfig(6, 6, 4)), 4)
    for line in ["START 8", "START 15", "RECTSTART 6,7"]:
        [answer] = engine.handle(line)
        assert answer.startswith("ERROR ") and "6x6" in answer
    assert engine.handle("RECTSTART 6,6") == ["OK"]


def test_pure_brain_plays_rectangular_boards():
    engine = Engine(pure_brain(), 5)
    assert engine.handle("RECTSTART 7,9") == ["OK"]
    for _ in range(4):
        move = move_of(engine.handle("BEGIN" if not engine.stones else f"TURN {free(engine)}"), 7)
        assert move < 63


def free(engine):
    """Some empty point as x,y."""
    cfg = engine.board_config
    taken = {m for m, _ in engine.stones}
    move = next(m for m in range(cfg.width * cfg.height) if m not in taken)
    return f"{move % cfg.width},{move // cfg.width}"


# X to move: x = column and y = row, so the only win is x=4, y=0 (column 4 of row 0)
WIN_IN_ONE = """
    . . . . . .
    . . . . . .
    . . . . . .
    . . . O . .
    . . . O . .
    O X X X . .
"""
# O to move must block X's three on row 2 at its open end: x=4, y=2
BLOCK = """
    . . . . . O
    . . . . . .
    . . . . . .
    O X X X . .
    . . . . . .
    . O . . . X
"""


@pytest.mark.parametrize("picture,expected", [(WIN_IN_ONE, (4, 0)), (BLOCK, (4, 2))])
def test_board_command_maps_x_to_column_and_y_to_row(picture, expected):
    board = parse(picture, n_in_row=4)
    engine = started(n_playout=2000)
    move = move_of(feed(engine, board_lines(board)), 6)
    assert (move % 6, move // 6) == expected


def test_board_stones_keep_their_owner_and_the_engine_is_to_move():
    engine = started()
    # the opponent has one more stone: it started; its stones come first in the replay
    reply = move_of(feed(engine, ["BOARD", "1,0,1", "0,0,2", "2,0,2", "DONE"]), 6)
    assert engine.stones == [(0, 2), (1, 1), (2, 2), (reply, 1)]
    engine.stones.pop()
    board = engine.position()
    me = board.current_player
    assert board.move_count == 3 and board.last_move == 2
    assert [int(board.stones[m]) for m in (0, 1, 2)] == [3 - me, me, 3 - me]
    # equal counts: this engine started, and the opponent's stone is the last move
    reply = move_of(feed(engine, ["BOARD", "4,4,2", "5,5,1", "DONE"]), 6)
    assert engine.stones == [(35, 1), (28, 2), (reply, 1)]
    engine.stones.pop()
    assert engine.position().last_move == 28


def test_board_of_a_finished_game_is_an_error():
    engine = started()
    [answer] = feed(engine, ["BOARD"] + [f"{x},0,2" for x in range(4)] + ["0,5,1", "DONE"])
    assert answer.startswith("ERROR ") and "over" in answer
    assert feed(engine, ["RESTART"]) == ["OK"]
    move_of(engine.handle("BEGIN"), 6)


@pytest.mark.parametrize("bad", ["1,1", "1,1,7", "9,9,1", "a,b,c"])
def test_bad_board_lines_are_one_error_at_done(bad):
    engine = started()
    feed(engine, ["TURN 0,0"])
    before = list(engine.stones)
    assert feed(engine, ["BOARD", "2,2,1", bad]) == []
    [answer] = engine.handle("DONE")
    assert answer.startswith("ERROR ")
    assert engine.stones == before
    move_of(engine.handle("TURN 5,5"), 6)


def test_takeback_removes_the_stone_and_restart_clears():
    engine = started()
    reply = move_of(engine.handle("TURN 2,2"), 6)
    assert engine.handle(f"TAKEBACK {reply % 6},{reply // 6}") == ["OK"]
    assert engine.handle("TAKEBACK 2,2") == ["OK"]
    assert engine.stones == []
    move_of(engine.handle("BEGIN"), 6)
    assert engine.handle("RESTART") == ["OK"] and engine.stones == []


def test_about_and_end():
    engine = started()
    [about] = engine.handle("about")
    for key in ("name=\"gomoku-zero\"", "version=", "author=", "country="):
        assert key in about
    assert engine.handle("END") == [] and engine.finished


def test_engine_never_answers_an_illegal_move_when_the_search_does():
    class Broken:
        playouts = 1

        def set_player_ind(self, p):
            pass

        def get_action(self, board, deadline=None):
            return max(board.last_move, 0)  # a taken point once there is a stone

    engine = Engine(Brain("broken", None, lambda cfg: Broken()), 4)
    engine.handle("START 6")
    move = move_of(engine.handle("TURN 0,0"), 6)
    assert move != 0 and len({m for m, _ in engine.stones}) == 2


# -- time -----------------------------------------------------------------------------------
def test_time_control_budget():
    assert TimeControl().budget(36) is None
    assert TimeControl(timeout_turn=2000).budget(36) == pytest.approx(2.0)
    assert TimeControl(timeout_turn=0).budget(36) == 0.0
    # the match clock is spread over the engine's remaining moves (at most MOVES_TO_PLAN)
    assert TimeControl(timeout_match=60000, time_left=40000).budget(8) == pytest.approx(10.0)
    assert TimeControl(timeout_match=60000, time_left=40000).budget(400) == \
        pytest.approx(40.0 / pbrain.MOVES_TO_PLAN)
    assert TimeControl(timeout_turn=1000, timeout_match=60000, time_left=4000).budget(100) == \
        pytest.approx(0.2)
    assert TimeControl(time_left=-50, timeout_match=1000).budget(10) == 0.0
    assert TimeControl(timeout_match=0, time_left=pbrain.UNLIMITED_MS).budget(10) is None


def test_search_time_keeps_a_share_and_a_margin_back():
    assert search_time(2.0) == pytest.approx(pbrain.SEARCH_SHARE * 2.0 - pbrain.SEARCH_MARGIN_S)
    assert 0.8 * 2.0 - 0.1 <= search_time(2.0) < 0.9 * 2.0
    assert search_time(0.01) == 0.0 and search_time(0.0) == 0.0


def playouts_of(message: str) -> int:
    """The playout count of a ``MESSAGE <n> playouts in ...`` line."""
    assert message.startswith("MESSAGE ") and "playouts" in message, message
    return int(message.split()[1])


def test_info_sets_the_clock_and_the_search_stops_in_time():
    engine = started(size=15, n_in_row=5, n_playout=10**7)
    engine.warm_up()  # compiles the search (on a cold numba cache) before a move is timed
    assert feed(engine, ["INFO timeout_turn 300", "INFO timeout_match 60000",
                         "INFO time_left 50000", "INFO max_memory 83886080", "INFO rule 1",
                         "INFO folder C:\\some dir\\x"]) == []
    assert (engine.clock.timeout_turn, engine.clock.timeout_match, engine.clock.time_left) == \
        (300, 60000, 50000)
    for i in range(2):
        start = time.monotonic()
        message, answer = engine.handle("BEGIN" if i == 0 else f"TURN {free(engine)}", start)
        assert time.monotonic() - start < 0.3 + 0.5  # a loaded machine may deschedule us
        assert 2 <= playouts_of(message) < 10**7
        move_of([answer], 15)


def test_timeout_turn_0_answers_after_the_fewest_playouts():
    engine = started(n_playout=10**6)
    feed(engine, ["INFO timeout_turn 0"])
    message, answer = engine.handle("BEGIN")
    assert playouts_of(message) == 2  # the root's evaluation and one move: still a search
    move_of([answer], 6)


def test_without_time_limits_the_cap_is_searched():
    engine = started(n_playout=300)
    message, _ = engine.handle("BEGIN")
    assert playouts_of(message) == 300


# -- the line reader and the output ---------------------------------------------------------
def test_read_lines_handles_crlf_and_drains_huge_lines():
    data = b"START 6\r\n" + b"A" * (5 * pbrain.MAX_LINE_BYTES) + b"\r\nBEGIN\nEND"
    assert list(read_lines(io.BytesIO(data))) == ["START 6", None, "BEGIN", "END"]


def test_serve_answers_every_line_with_crlf_and_stops_at_end():
    engine = Engine(pure_brain(50), 4)
    data = b"START 6\r\n" + b"Z" * 100000 + b"\r\n\r\nBEGIN\r\nEND\r\nABOUT\r\n"
    out = io.BytesIO()
    assert serve(engine, io.BytesIO(data), out) == 0
    lines = out.getvalue().split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    answers = [line.decode() for line in lines[:-1] if not line.startswith(b"MESSAGE")]
    assert answers[0] == "OK"
    assert answers[1].startswith("ERROR line longer")
    assert answers[2] == "UNKNOWN empty line"
    assert len(answers) == 4 and answers[3].count(",") == 1  # the move; nothing after END


def test_serve_stops_quietly_when_the_manager_stops_reading():
    class ClosedPipe(io.BytesIO):
        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

    engine = Engine(pure_brain(50), 4)
    assert serve(engine, io.BytesIO(b"START 6\r\nBEGIN\r\n"), ClosedPipe()) == 0
