"""The console game: typed moves, re-prompts, whole games, quitting; in-process and as a command."""
import io
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gomoku import Board, BoardConfig
from gomoku.ascii import parse
from mcts import MCTSPlayer, MCTSPurePlayer
from gomoku import InputError
from pipeline import brain as brains
from pipeline.brain import Brain
from pipeline.commands.common import DEFAULT_MODEL, UsageError, parse_board_spec, repo_path
from pipeline.console import parse_move, play_game

PLAY = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())", "play"]
PROMPT = "your move (row,col; q quits): "

POSITION = """
    . . . .
    . X . .
    . . O .
    . . . .
"""


@pytest.mark.parametrize("text,expected", [("1,1", 5), (" 1 , 1 \n", 5), ("1 1", 5), ("0,0", 0),
                                           ("3,0", 12), ("0,3", 3)])
def test_parse_move_accepts_row_col(text, expected):
    board = parse(POSITION, n_in_row=3)
    assert parse_move(text, board) == (expected, "")


@pytest.mark.parametrize("text,why", [("2,1", "taken"), ("1,2", "taken"), ("1,2,3", "two numbers"), ("a,b", "two numbers"),
                                      ("", "two numbers"), ("4,0", "off the board"),
                                      ("-1,0", "off the board"), ("1.5,2", "two numbers")])
def test_parse_move_explains_what_is_wrong(text, why):
    board = parse(POSITION, n_in_row=3)
    move, message = parse_move(text, board)
    assert move is None and why in message


def test_parse_board_spec():
    assert parse_board_spec("8x8x5") == BoardConfig(8, 8, 5)
    assert parse_board_spec("15x15") == BoardConfig(15, 15, 5)
    for bad in ("8x8x9", "eight", "8", "0x0x0"):
        with pytest.raises(UsageError, match="board"):
            parse_board_spec(bad)


def scripted_game(monkeypatch, typed: str, human_first=True, config=BoardConfig(5, 5, 4)):
    brain = Brain("pure", None, lambda cfg: MCTSPurePlayer(n_playout=30, seed=5))
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    out = io.StringIO()
    return play_game(brain, config, human_first, out), out.getvalue()


def every_point(width, height):
    return "".join(f"{r},{c}\n" for r in range(height) for c in range(width))


@pytest.mark.parametrize("human_first", [True, False])
def test_a_game_runs_to_its_end(monkeypatch, human_first):
    # the human types every point in turn: the ones taken by then are refused and asked again
    typed = "9,9\nhello\n\n" + every_point(5, 5)
    winner, out = scripted_game(monkeypatch, typed, human_first)
    assert winner in (-1, 1, 2)
    assert out.count("game over: ") == 1
    verdict = out.split("game over: ")[1].strip()
    human = 1 if human_first else 2
    assert verdict == {-1: "draw", human: "you win", 3 - human: "you lose"}[winner]
    assert "9,9 is off the board" in out and "type two numbers" in out
    prompts = out.count(PROMPT)
    refused = out.count("is taken") + 3
    stones = sum(line.count("X") + line.count("O") for line in out.split("game over")[0]
                 .splitlines()[-5:])
    human_moves = stones // 2 + (stones % 2 if human_first else 0)
    assert prompts == human_moves + refused


def test_quit_and_end_of_input_abandon_the_game(monkeypatch):
    assert scripted_game(monkeypatch, "2,2\nq\n")[0] == 0
    winner, out = scripted_game(monkeypatch, "2,2\n")
    assert winner == 0 and "end of input" in out


def run_play(args, typed, timeout=120):
    return subprocess.run(PLAY + args, input=typed, capture_output=True, text=True, timeout=timeout)


def test_play_command_quits_with_q_and_exit_code_0():
    result = run_play(["--pure", "20", "--seed", "1", "--human-first"], "foo\n1,1\nq\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(PROMPT) == 3 and "bye" in result.stdout


def test_play_command_plays_a_game_to_the_end():
    result = run_play(["--pure", "20", "--seed", "1", "--board", "5x5x4"], every_point(5, 5))
    assert result.returncode == 0, result.stderr
    assert "game over: " in result.stdout and "X plays" in result.stdout


def test_play_command_end_of_input_is_clean():
    result = run_play(["--pure", "20"], "")
    assert result.returncode == 0 and "end of input" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--pure", "0"], "--pure"),
    (["--pure", "10", "--board", "3x3x5"], "--board"),
    (["--model", "/nonexistent/model.keras"], "not found"),
])
def test_play_command_bad_arguments_exit_2_with_one_line(args, message):
    result = run_play(args, "")
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_saved_net_plays_the_game_its_file_records(tmp_path):
    from net import PolicyValueNet
    model = tmp_path / "best_policy"
    PolicyValueNet.for_game(BoardConfig(6, 6, 4), seed=0).save_model(model)
    (tmp_path / "config.yaml").write_text("board: {width: 8, height: 8, n_in_row: 5}\n")
    brain = brains.net_brain(model, 20)
    assert brain.board == BoardConfig(6, 6, 4)  # the file's game; a config beside is not read
    board = Board(6, 6, 4)
    assert brain.make_player(brain.board).get_action(board) in board.availables
    assert brains.net_brain(model, 20, n_in_row=3).board == BoardConfig(6, 6, 3)
    (tmp_path / "junk").write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load"):
        brains.net_brain(tmp_path / "junk", 20)
    with pytest.raises(InputError, match="not found"):
        brains.net_brain(tmp_path / "none", 20)


def test_a_v1_net_brain_plays_the_rule_of_the_run_config_beside_it(tmp_path):
    from net import PolicyValueNet
    PolicyValueNet(6, 6, seed=0).save_model(tmp_path / "v2.model")
    with np.load(tmp_path / "v2.model") as npz:
        entries = {k: npz[k] for k in npz.files if k != "game"}
    entries["format"] = np.array("gomoku-zero policy-value net v1")
    with open(tmp_path / "best_policy.model", "wb") as f:
        np.savez(f, **entries)
    (tmp_path / "config.yaml").write_text("board: {width: 6, height: 6, n_in_row: 4}\n")
    for runtime in ("tensorflow", "light"):
        assert brains.net_brain(tmp_path / "best_policy.model", 20, runtime=runtime).board == \
            BoardConfig(6, 6, 4)


def test_a_v1_model_file_gets_its_rule_from_the_run_config_beside_it(tmp_path):
    """v1 files record only their size: the run's config.yaml beside them gives the rule."""
    assert brains.model_game(tmp_path / "m", None, 6, 6) == BoardConfig(6, 6, 5)  # Gomocup's
    (tmp_path / "config.yaml").write_text("board: {width: 6, height: 6, n_in_row: 4}\n")
    assert brains.model_game(tmp_path / "m", None, 6, 6) == BoardConfig(6, 6, 4)
    assert brains.model_game(tmp_path / "m", None, 6, 6, n_in_row=3) == BoardConfig(6, 6, 3)
    (tmp_path / "config.yaml").write_text("board: {width: 8, height: 8, n_in_row: 5}\n")
    with pytest.raises(InputError, match="8x8"):
        brains.model_game(tmp_path / "m", None, 6, 6)


NET_POSITION = """
    . . . . . .
    . . . . . .
    . . X O . .
    . . O X . .
    . . . . . .
    . . . . . .
"""


def test_a_net_brain_searches_as_the_reference_player_on_its_net(tmp_path):
    """The brain's player runs MCTSPlayer's search on the net's batched path: the same visits as
    MCTSPlayer(policy_value_fn) of the same net, and a deadline cuts it short."""
    from net import PolicyValueNet
    model = tmp_path / "best_policy"
    PolicyValueNet(6, 6, seed=1).save_model(model)
    brain = brains.net_brain(model, 60, n_in_row=4)
    board = parse(NET_POSITION, n_in_row=4)
    player = brain.make_player(brain.board)
    move, probs = player.get_action(board, temp=1.0, return_prob=1)
    assert player.playouts == 60 and move in board.availables
    reference = MCTSPlayer(PolicyValueNet.from_model_file(model).policy_value_fn, n_playout=60)
    _, expected = reference.get_action(board, temp=1.0, return_prob=1)
    np.testing.assert_allclose(probs, expected, atol=1e-12)
    move = player.get_action(board, deadline=time.monotonic() - 1)
    assert player.playouts == 2 and move in board.availables


def test_the_default_model_is_found_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = repo_path(DEFAULT_MODEL)
    assert path.is_absolute() and path.exists()
    assert repo_path("elsewhere/model") == Path("elsewhere/model")  # not found: as given
