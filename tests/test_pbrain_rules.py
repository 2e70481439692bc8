"""The Gomocup engine under each rule: INFO rule bits, which brains play which rule, positions
judged by the rule, and whole games against a scripted manager that checks every answer.

Pictures are gomoku.ascii's (highest row first, X moves first and is black under renju); the
engine is told them as BOARD blocks, fields seen by the player to move.
"""
import pytest

from gomoku import Board, BoardConfig
from gomoku.ascii import parse
from mcts import MCTSPurePlayer
from pipeline.brain import Brain
from pipeline.gomocup import Engine, rule_of_bits

from test_pbrain_process import START_TIMEOUT, Manager, xy
from rule_positions import STUCK


def pure_brain(board=None, n_playout=60):
    """Pure MCTS; with ``board`` it stands in for a net trained on that game only."""
    return Brain("test pure", board, lambda cfg: MCTSPurePlayer(n_playout=n_playout, seed=0))


def board_block(board: Board) -> list[str]:
    """BOARD lines of ``board``, its last move last (a line of n is judged when it is made)."""
    me, states = board.current_player, board.states
    order = [m for m in states if m != board.last_move] + [board.last_move] * (board.last_move >= 0)
    return ["BOARD"] + [f"{m % board.width},{m // board.width},{1 if states[m] == me else 2}"
                        for m in order] + ["DONE"]


def answered_move(answers: list[str], board: Board) -> int:
    """The ``x,y`` of the last answer line (the others MESSAGE lines) as a legal move of board."""
    *messages, last = answers
    assert messages and all(m.startswith("MESSAGE ") for m in messages), answers
    x, y = (int(v) for v in last.split(","))
    move = y * board.width + x
    assert move in board.legal_moves(), (answers, board)
    return move


@pytest.mark.parametrize("bits,rule", [(0, "freestyle"), (1, "standard"), (2, "freestyle"),
                                       (3, "standard"), (4, "renju"), (5, "renju"), (6, "renju"),
                                       (8, "caro"), (9, "caro"), (10, "caro")])
def test_rule_bits(bits, rule):
    assert rule_of_bits(bits) == rule


@pytest.mark.parametrize("bits,message", [(12, "renju and caro"), (16, "unknown bits"),
                                          (33, "unknown bits")])
def test_rule_bits_that_name_no_rule(bits, message):
    with pytest.raises(ValueError, match=message):
        rule_of_bits(bits)


# Overline: black's last move (in brackets) made six in a row, white to move. A win in freestyle
# only; a black overline is an impossible renju game, but the manager judges fouls.
OVERLINE = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . O O . O . O
    X X X[X]X X .
    . O . . . . .
    . . . . . . .
"""
# Caro: black's last move made a five blocked at both ends by white; white to move.
BLOCKED = """
    . . . . . . .
    . . . . . . .
    O . . . O . .
    O X X[X]X X O
    . . . . . . .
    . . . . . . .
    . . . . . . .
"""


@pytest.mark.parametrize("bits,picture,over", [
    (0, OVERLINE, True), (1, OVERLINE, False), (8, OVERLINE, False), (4, OVERLINE, False),
    (0, BLOCKED, True), (1, BLOCKED, True), (8, BLOCKED, False)])
def test_positions_are_judged_by_the_rule_of_info_rule(bits, picture, over):
    engine = Engine(pure_brain(), 5)
    assert engine.handle("START 7") == ["OK"]
    assert engine.handle(f"INFO rule {bits}") == []
    board = parse(picture, 5, rule=rule_of_bits(bits))
    assert board.game_end()[0] == over
    answers = []
    for line in board_block(board):
        answers += engine.handle(line)
    if over:
        assert len(answers) == 1 and answers[0].startswith("ERROR the game is over")
    else:
        answered_move(answers, board)


def test_a_freestyle_net_plays_standard_and_caro_with_a_warning_and_refuses_renju():
    engine = Engine(pure_brain(BoardConfig(9, 9, 5)), 5)
    assert engine.handle("START 9") == ["OK"]
    assert engine.handle("INFO rule 1") == []  # INFO gets no answer: the warning comes later
    first = engine.handle("BEGIN")
    assert len(first) == 3 and "trained for freestyle" in first[0] and "standard" in first[0]
    assert engine.board_config.rule == "standard"
    assert len(engine.handle("TURN 0,0")) == 2  # warned once
    stones = list(engine.stones)
    assert engine.handle("INFO rule 4") == []
    for line in ("TURN 8,8", "BOARD"):  # every move command, until a rule it plays
        [answer] = engine.handle(line) if line != "BOARD" else \
            [a for x in ("BOARD", "8,8,2", "DONE") for a in engine.handle(x)]
        assert answer.startswith("ERROR cannot play INFO rule 4") and "renju" in answer
        assert engine.stones == stones
    assert engine.handle("INFO rule 8") == []
    answers = engine.handle("TURN 8,8")
    assert "caro" in answers[0] and engine.board_config.rule == "caro"


def test_a_net_plays_its_own_rule_only():
    engine = Engine(pure_brain(BoardConfig(15, 15, 5, "renju")), 5, rule="renju")
    assert engine.handle("START 15") == ["OK"]
    assert engine.handle("INFO rule 4") == []
    assert len(engine.handle("BEGIN")) == 2  # its own rule: no warning
    engine.handle("INFO rule 0")
    [answer] = engine.handle("TURN 0,0")
    assert answer.startswith("ERROR ") and "trained for renju and cannot play freestyle" in answer


def test_renju_needs_five_in_a_row_and_bad_values_are_errors_at_once():
    engine = Engine(pure_brain(), 4)
    assert engine.handle("START 7") == ["OK"]
    assert engine.handle("INFO rule 4") == []
    [answer] = engine.handle("BEGIN")
    assert answer.startswith("ERROR cannot play INFO rule 4") and "must be 5 under renju" in answer
    for bad in ("INFO rule x", "INFO rule -1", "INFO rule"):
        [answer] = engine.handle(bad)
        assert answer.startswith("ERROR INFO rule needs a number")
    assert engine.handle("INFO rule 0") == []
    assert len(engine.handle("BEGIN")) == 2


# Renju, the engine (black, X) to move: (3,3) would be six in a row, which the search below
# insists on; (1,4) closes nothing. Black without a legal point at all: STUCK.
TEMPTING = """
    . . . . . . .
    . . . . . . O
    . . . . . . .
    X X X . X X .
    . . . . . . .
    O O . O O . .
    . . . . . . .
"""


def test_a_renju_engine_never_answers_a_forbidden_point():
    class Insists:  # a search that only wants the overline point
        playouts = 1

        def set_player_ind(self, p):
            pass

        def get_action(self, board, deadline=None):
            return 3 * 7 + 3

    engine = Engine(Brain("insists", None, lambda cfg: Insists()), 5, rule="renju")
    engine.handle("START 7")
    board = parse(TEMPTING, 5, rule="renju")
    answers = [a for line in board_block(board) for a in engine.handle(line)]
    assert answered_move(answers, board) != 3 * 7 + 3


def test_black_without_a_legal_point_is_a_finished_game():
    engine = Engine(pure_brain(), 5, rule="renju")
    engine.handle("START 6")
    board = parse(STUCK, 5, rule="renju")
    answers = [a for line in board_block(board) for a in engine.handle(line)]
    assert answers == ["ERROR the game is over: black has no legal point left under renju"]


# -- whole games, as a manager runs them -------------------------------------------------------
def manager_game(m: Manager, board: Board, opponent: MCTSPurePlayer, opening) -> int:
    """One game judged by ``board``'s rule, opened by BEGIN, by TURN, or by a BOARD of the moves
    ``opening`` (a list); every engine answer must be one of its legal moves. Afterwards the
    engine, sent the final position, must find the game over too."""
    def engine_moves(answer: str):
        x, y = (int(v) for v in answer.split(","))
        move = y * board.width + x
        assert move in board.legal_moves(), f"{answer} is not legal under {board.rule}"
        board.do_move(move)

    if opening == "begin":
        engine_moves(m.ask("BEGIN"))
    elif opening == "turn":
        board.do_move(opponent.get_action(board))
        engine_moves(m.ask(f"TURN {xy(board, board.last_move)}"))
    else:
        for move in opening:
            board.do_move(move)
        engine_moves(m.ask(*board_block(board)))
    while not board.game_end()[0]:
        board.do_move(opponent.get_action(board))
        if board.game_end()[0]:
            break
        engine_moves(m.ask(f"TURN {xy(board, board.last_move)}"))
    assert m.ask("RESTART") == "OK"
    assert m.ask(*board_block(board)).startswith("ERROR the game is over")
    return board.game_end()[1]


@pytest.fixture
def engine_process(tmp_path):
    m = Manager("--pure", "60", "--seed", "1", tmp_path=tmp_path)
    yield m
    if m.proc.poll() is None:
        m.proc.kill()
        m.proc.wait()


# The renju game's opening, on 15x15: black (the engine) to move with X X X . X X on row 7,
# whose gap is forbidden (six in a row); white's stones spaced out on row 3.
RENJU_OPENING = [m for pair in zip([7 * 15 + c for c in (3, 4, 5, 7, 8)],
                                   [3 * 15 + c for c in (2, 5, 8, 11, 14)]) for m in pair]


def test_whole_games_under_every_rule(engine_process):
    m = engine_process
    # (INFO rule bits, board side, how the game opens); INFO before START for one of them
    games = [(4, 15, RENJU_OPENING), (4, 15, "begin"), (1, 7, "turn"), (8, 7, "begin"),
             (0, 7, "turn")]
    for i, (bits, side, opening) in enumerate(games):
        rule = rule_of_bits(bits)
        if i == 3:
            m.send(f"INFO rule {bits}")
            assert m.ask(f"START {side}") == "OK"
        else:
            assert m.ask(f"START {side}", timeout=START_TIMEOUT) == "OK"
            m.send(f"INFO rule {bits}")
        opponent = MCTSPurePlayer(n_playout=60, seed=10 + i)
        winner = manager_game(m, Board(side, side, 5, rule), opponent, opening)
        assert winner in (-1, 1, 2)
    assert m.close() == 0
