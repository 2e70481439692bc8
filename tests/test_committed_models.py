"""Without --model, play, evaluate and pbrain play the committed model of their game: play and
evaluate by --board, pbrain by the size START asks for."""
import argparse
import subprocess
import sys

import pytest

from gomoku import BoardConfig
from mcts import MCTSPurePlayer
from net.model_file import read_model_file
from pipeline import cli
from pipeline.brain import Brain
from pipeline.commands.common import (COMMITTED_MODELS, REPO_ROOT, UsageError, check_model_board,
                                      model_path, parse_board_spec)
from pipeline.gomocup import Engine


@pytest.mark.parametrize("name", sorted(COMMITTED_MODELS))
def test_each_committed_model_is_there_and_plays_its_game(name):
    path = model_path(argparse.Namespace(model=None, board=name))
    assert path.resolve() == (REPO_ROOT / COMMITTED_MODELS[name]).resolve() and path.is_file()
    assert read_model_file(path).board == parse_board_spec(name)  # freestyle


def test_without_board_the_default_is_the_6x6x4_model():
    path = model_path(argparse.Namespace(model=None))
    assert path.resolve() == (REPO_ROOT / COMMITTED_MODELS["6x6x4"]).resolve()
    assert model_path(argparse.Namespace(model=None, board=None)).parent.name == "6x6x4"


@pytest.mark.parametrize("command", ["play", "evaluate"])
def test_a_board_without_a_committed_model_is_named(command, capsys):
    assert cli.main([command, "--board", "7x7x5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no committed model plays 7x7x5 (there are: 6x6x4, 8x8x5, 15x15x5)" in err


def test_a_model_and_a_board_that_disagree_are_refused():
    player = Brain("net", BoardConfig(6, 6, 4), lambda cfg: None)
    args = argparse.Namespace(model="models/6x6x4/best_policy.model", board="8x8x5")
    with pytest.raises(UsageError, match="--board 8x8x5: the model .* plays 6x6x4"):
        check_model_board(args, player)
    check_model_board(argparse.Namespace(model=args.model, board="6x6x4"), player)
    check_model_board(argparse.Namespace(model=None, board="8x8x5"), player)


def test_evaluate_plays_the_8x8x5_model(capsys):
    assert cli.main(["evaluate", "--board", "8x8x5", "--games", "2", "--playouts", "8",
                     "--pure-playouts", "20", "--runtime", "light"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("num_playouts:20, win: ")


def brain(board):
    return Brain(f"stand-in {board.width}", board,
                 lambda cfg: MCTSPurePlayer(n_playout=30, seed=0))


def test_the_engine_switches_to_the_brain_of_starts_size():
    small, large = brain(BoardConfig(6, 6, 4)), brain(BoardConfig(8, 8, 5))
    sizes = {(6, 6): small, (8, 8): large}
    engine = Engine(small, 4, brain_for_size=lambda w, h: sizes.get((w, h)))
    assert engine.handle("START 8") == ["OK"]
    assert engine.brain is large and engine.board_config == BoardConfig(8, 8, 5)
    x, y = map(int, engine.handle("BEGIN")[-1].split(","))
    assert 0 <= x < 8 and 0 <= y < 8
    [answer] = engine.handle("START 10")
    assert answer.startswith("ERROR no model for a 10x10 board (no committed model")
    assert engine.brain is large  # the engine plays on as it was
    assert engine.handle("START 6") == ["OK"]
    assert engine.brain is small and engine.board_config.n_in_row == 4


def test_the_engine_without_a_model_plays_starts_size_with_its_committed_model():
    lines = ["START 8", "BEGIN", "ABOUT", "START 10", "START 15", "BEGIN", "ABOUT", "END"]
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "pbrain", "--playouts", "20"],
        input="".join(line + "\r\n" for line in lines).encode(), capture_output=True,
        timeout=300, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    answers = [a for a in result.stdout.decode().split("\r\n") if a and
               not a.startswith("MESSAGE")]
    assert answers[0] == "OK"
    x, y = map(int, answers[1].split(","))
    assert 0 <= x < 8 and 0 <= y < 8
    assert 'engine="net best_policy.model 8x8x5 (20 playouts' in answers[2]
    assert answers[3].startswith("ERROR no model for a 10x10 board")
    assert answers[4] == "OK"
    x, y = map(int, answers[5].split(","))
    assert 0 <= x < 15 and 0 <= y < 15
    assert 'engine="net best_policy.model 15x15x5 (20 playouts' in answers[6]
