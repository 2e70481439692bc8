"""Matches: exact colour swapping and opening pairing, batched net searches, engines spoken to
through the Gomocup protocol (and their failures), the command's table, JSON and bad input."""
import json
import shlex
import sys
from pathlib import Path

import pytest

from gomoku import PLAYER_1, Board, BoardConfig
from gomoku.openings import read_openings
from mcts import SearchConfig
from pipeline import cli, match
from pipeline.evaluator import NET_PLAYER, PURE_PLAYER, play_match_games
from pipeline.gomocup_manager import EngineProcess
from pipeline.players import NetPlayer, PurePlayer, RandomPlayer, parse_spec
from evaluators import UniformNet

REPO = Path(__file__).resolve().parent.parent
FAKE_ENGINE = Path(__file__).resolve().parent / "fake_engine.py"
SMALL = BoardConfig(6, 6, 4)


class Recording(RandomPlayer):
    """A random player that notes, for every move asked, the game and the colour to move."""

    def __init__(self):
        super().__init__()
        self.asked = []

    def moves(self, games):
        self.asked += [(g.index, g.board.get_current_player()) for g in games]
        return super().moves(games)


def replay(board_config, record):
    """The final Board of a record (raises on an illegal move) and the winner it implies."""
    board = Board.from_config(board_config)
    for move in record.opening + record.moves:
        board.do_move(move)
    ended, winner = board.game_end()
    if not ended:
        return None
    if winner == -1:
        return match.DRAWN
    return match.A if (winner == PLAYER_1) == record.a_black else match.B


def test_schedule_pairs_each_opening_with_both_colours():
    assert match.schedule([(1, 2), (3, 4)], 6) == [
        ((1, 2), True), ((1, 2), False), ((3, 4), True), ((3, 4), False),
        ((1, 2), True), ((1, 2), False)]
    assert match.schedule(None, 3) == [((), True), ((), False), ((), True)]


def test_each_side_moves_its_colour_from_the_paired_openings():
    openings = [(14, 15), (20, 21, 8)]
    a, b = Recording(), Recording()
    result = match.play_games(a, b, SMALL, 4, openings, seed=3)
    assert [(r.opening, r.a_black) for r in result.records] == [
        ((14, 15), True), ((14, 15), False), ((20, 21, 8), True), ((20, 21, 8), False)]
    # A is asked only for black's moves in even games and white's in odd ones; B the opposite
    assert a.asked and b.asked
    assert all((player == PLAYER_1) == (i % 2 == 0) for i, player in a.asked)
    assert all((player == PLAYER_1) == (i % 2 == 1) for i, player in b.asked)
    for record in result.records:
        assert replay(SMALL, record) == record.winner and record.forfeit is None
    by_colour = result.counts(a_black=True), result.counts(a_black=False)
    assert sum(c.games for c in by_colour) == 4 and result.counts().games == 4
    again = match.play_games(Recording(), Recording(), SMALL, 4, openings, seed=3)
    assert again.records == result.records  # the seed decides everything


def test_net_moves_of_all_waiting_games_are_one_batched_search():
    board = BoardConfig(4, 4, 3)
    net = UniformNet(board)
    player = NetPlayer(net, SearchConfig(n_playout=8), "uniform net")
    result = match.play_games(player, RandomPlayer(), board, 6, None, seed=1)
    assert max(net.batches) == 3  # three games wait for the net at its first step: one call
    assert all(replay(board, r) == r.winner for r in result.records)


def test_the_training_match_plays_each_opening_with_both_colours():
    board = BoardConfig(4, 4, 3)
    games = play_match_games(UniformNet(board), board, SearchConfig(n_playout=4), n_games=4,
                             pure_playout=10, pure_c_puct=5.0, seed=0,
                             openings=[(5, 6), (9, 10)])
    assert [(g.opening, g.first_player) for g in games] == [
        ((5, 6), NET_PLAYER), ((5, 6), PURE_PLAYER), ((9, 10), NET_PLAYER),
        ((9, 10), PURE_PLAYER)]
    for g in games:
        position = Board.from_config(board)
        position.init_board(0 if g.first_player == PLAYER_1 else 1)
        for move in g.opening + tuple(g.moves):
            position.do_move(move)
        assert position.game_end() == (True, g.winner)


def test_random_scores_about_zero_against_pure_200_on_8x8x5():
    board = BoardConfig(8, 8, 5)
    pure = PurePlayer(200, threads=2)
    try:
        result = match.play_games(RandomPlayer(), pure, board, 6, [(27, 28), (35, 27)], seed=0)
    finally:
        pure.close()
    counts = result.counts()
    assert counts.games == 6 and counts.score <= 1 / 12


def _engine(mode, tmp_path):
    return [sys.executable, str(FAKE_ENGINE), mode, str(tmp_path / f"{mode}.log")]


def test_the_engine_gets_start_info_and_board_then_turns(tmp_path):
    engine = EngineProcess(_engine("good", tmp_path), turn_ms=700)
    try:
        engine.check(SMALL)
        first = engine.move("g1", SMALL, [])  # an empty board: BEGIN
        second = engine.move("g1", SMALL, [first, 35])  # the same game one move on: TURN
        other = engine.move("g2", SMALL, [14, 15])  # another game: its position afresh
    finally:
        engine.close()
    assert (first, second, other) == (0, 1, 0)
    assert (tmp_path / "good.log").read_text().splitlines() == [
        "START 6", "INFO timeout_turn 700", "INFO timeout_match 0",
        "START 6", "INFO timeout_turn 700", "INFO timeout_match 0", "BEGIN",
        "TURN 5,5",
        "START 6", "INFO timeout_turn 700", "INFO timeout_match 0",
        "BOARD", "2,2,1", "3,2,2", "DONE", "END"]


@pytest.mark.parametrize("mode,reason", [
    ("die", "engine exited with code 3: fake engine: told to die"),
    ("garbage", "engine answered 'hello', not a move x,y"),
    ("taken", "a point already taken"),
    ("silent", "engine no answer to BOARD in 1.1 s"),
])
def test_a_failing_engine_loses_each_game_and_the_match_goes_on(tmp_path, mode, reason):
    spec = "pbrain:" + shlex.join(_engine(mode, tmp_path))
    engine = parse_spec(spec, turn_ms=100)
    try:
        result = match.play_games(engine, RandomPlayer(), SMALL, 4, [(14, 15), (21, 20)], seed=0)
    finally:
        engine.close()
    assert [r.winner for r in result.records] == [match.B] * 4
    for r in result.records:
        assert r.forfeit.startswith(f"A ({spec}) loses: ") and reason in r.forfeit
        board = Board.from_config(SMALL)
        for move in r.opening + r.moves:
            board.do_move(move)
        assert not board.game_end()[0]  # lost by forfeit, not played out
    # a new process for every game after a failure: each game was set up again
    assert (tmp_path / f"{mode}.log").read_text().count("START 6") == 5


def test_a_pbrain_spec_plays_the_projects_own_engine(tmp_path):
    command = f"{shlex.quote(sys.executable)} -m pipeline pbrain --pure 30 --n-in-row 4"
    engine = parse_spec(f"pbrain:{command}", turn_ms=2000)
    try:
        result = match.play_games(engine, RandomPlayer(), SMALL, 2, [(14, 21)], seed=0)
    finally:
        engine.close()
    for r in result.records:
        assert r.forfeit is None and replay(SMALL, r) == r.winner


def _main(capsys, *argv):
    code = cli.main(["match", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_the_table_and_writes_the_json(tmp_path, capsys):
    out_path = tmp_path / "match.json"
    code, out, err = _main(capsys, "random", "pure:50", "--board", "6x6x4", "--games", "4",
                           "--openings", "2", "--seed", "5", "--json", str(out_path),
                           "--sprt=-100,0")
    assert code == 0
    doc = json.loads(out_path.read_text())
    for key in ("games", "a_wins", "a_losses", "draws", "score", "elo", "elo_low", "elo_high",
                "a_black", "a_white", "records", "sprt", "elo_model"):
        assert key in doc
    assert doc["games"] == 4 == doc["a_wins"] + doc["a_losses"] + doc["draws"]
    assert doc["a_black"]["games"] == doc["a_white"]["games"] == 2
    assert doc["a_black"]["wins"] + doc["a_white"]["wins"] == doc["a_wins"]
    assert doc["sprt"]["verdict"] in ("H0", "H1", "continue")
    records = doc["records"]
    assert [r["black"] for r in records] == ["A", "B", "A", "B"]
    assert records[0]["opening"] == records[1]["opening"] != records[2]["opening"]
    assert records[2]["opening"] == records[3]["opening"] and len(records[0]["opening"]) == 2
    for r in records:
        rec = match.GameRecord(tuple(r["opening"]), r["black"] == "A", tuple(r["moves"]),
                               r["winner"])
        assert replay(SMALL, rec) == r["winner"]
    assert "A as black" in out and "A as white" in out and "Elo of A over B:" in out
    assert "SPRT elo0=-100 elo1=0" in out


def test_an_openings_file_is_read_in_gomocup_offsets(tmp_path, capsys):
    path = tmp_path / "openings.txt"
    path.write_text("# two openings\n0,0, 1,0\n-1,-1, 1,1, 0,1\n")
    out_path = tmp_path / "m.json"
    code, out, err = _main(capsys, "random", "pure:20", "--board", "6x6x4", "--games", "6",
                           "--openings-file", str(path), "--json", str(out_path))
    assert code == 0, err
    expected = read_openings(path, 6, 6, 4)
    assert expected == [(21, 22), (14, 28, 27)]
    openings = [tuple(r["opening"]) for r in json.loads(out_path.read_text())["records"]]
    assert openings == [expected[0]] * 2 + [expected[1]] * 2 + [expected[0]] * 2
    path.write_text("0,0, 1,0\n0,0, 9,0\n")
    code, out, err = _main(capsys, "random", "pure:20", "--board", "6x6x4",
                           "--openings-file", str(path))
    assert code == 2 and err.count("\n") == 1
    assert "line 2: stone 2 at 9,0 is off the 6x6 board" in err


@pytest.mark.parametrize("argv,message", [
    (["pure:0", "random"], "pure MCTS playouts must be a positive integer, got '0'"),
    (["pure:x", "random"], "pure MCTS playouts must be a positive integer, got 'x'"),
    (["random", "nonsense"], "player 'nonsense': not a player"),
    (["random", "model:/no/such.model"], "no model file '/no/such.model'"),
    (["random", "model:/no/such.model:0"], "the net's playouts must be a positive integer"),
    (["pbrain:", "random"], "pbrain: needs a command"),
    (["pbrain:'unclosed", "random"], "cannot split the command"),
    (["pbrain:/no/such/engine", "random"], "cannot start '/no/such/engine'"),
    (["random", "random", "--games", "3"], "--games must be even"),
    (["random", "random", "--games", "0"], "--games must be >= 2"),
    (["random", "random", "--sprt", "5,1"], "--sprt needs ELO0 < ELO1"),
    (["random", "random", "--sprt", "a,b"], "--sprt must look like ELO0,ELO1"),
    (["random", "random", "--sprt", "0,5,0.5,0.6"], "alpha + beta < 1"),
    (["random", "random", "--board", "3x3x5"], "--board 3x3x5: n_in_row must fit the board"),
    (["random", "pure:10"], "give the game with --board WxHxN"),
    (["random", "random", "--json", "/no/such/dir/m.json"], "--json /no/such/dir/m.json: not a"),
    (["random", "random", "--json", "/"], "--json /: not a file in an existing folder"),
    (["random", "random", "--openings-file", "/no/such/file"], "no such file"),
    (["random", "random", "--openings", "40"], "leaves no empty point on the 6x6 board"),
])
def test_bad_specs_and_flags_give_one_line_and_exit_2(capsys, argv, message):
    if "--board" not in argv and argv[:2] != ["random", "pure:10"]:
        argv = argv + ["--board", "6x6x4"]
    code, out, err = _main(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gomoku-zero match: error: ")
    assert message in err


def test_models_fix_the_board_and_must_agree(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from net import PolicyValueNet
    small, other = tmp_path / "a.model", tmp_path / "b.model"
    PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=0).save_model(str(small))
    PolicyValueNet.for_game(BoardConfig(5, 5, 4), seed=0).save_model(str(other))
    code, out, err = _main(capsys, f"model:{small}:8", str(other))
    assert code == 2 and "plays 4x4x3 but" in err and err.count("\n") == 1
    code, out, err = _main(capsys, f"model:{small}:8", "random", "--board", "6x6x4")
    assert code == 2 and "plays 4x4x3, not --board 6x6x4" in err
    code, out, err = _main(capsys, f"model:{small}:8", "random", "--games", "4",
                           "--openings", "2")
    assert code == 0, err
    assert "board 4x4x3, 4 games" in out and f"[model:{small}:8]" in out
