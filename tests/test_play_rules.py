"""Console play under a rule: forbidden points refused with a reason, --rule checked up front."""
import io
import sys

import pytest

from gomoku import BoardConfig
from gomoku.ascii import parse
from mcts import MCTSPurePlayer
from pipeline import cli
from pipeline.brain import Brain
from pipeline.console import parse_move, play_game

# Black (X, the person) to move: 3,3 would be six in a row.
OVERLINE = """
    . . . . . . .
    . . . . . . O
    . . . . . . .
    X X X . X X .
    . . . . . . .
    O O . O O . .
    . . . . . . .
"""


def test_a_forbidden_point_is_refused_with_the_reason():
    move, why = parse_move("3,3", parse(OVERLINE, 5, rule="renju"))
    assert move is None and "forbidden to X under renju" in why
    assert parse_move("3,3", parse(OVERLINE, 5)) == (24, "")


def test_the_game_announces_its_rule(monkeypatch):
    brain = Brain("pure", None, lambda cfg: MCTSPurePlayer(n_playout=20, seed=1))
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    out = io.StringIO()
    play_game(brain, BoardConfig(7, 7, 5, "caro"), True, out)
    assert out.getvalue().startswith("7x7 board, caro: exactly 5 in a row wins unless both its "
                                     "ends are blocked. You are X")


@pytest.mark.parametrize("args,message", [
    (["--rule", "renju"], "--rule renju: n_in_row must be 5 under renju"),
    (["--rule", "omok"], "--rule omok: rule must be one of freestyle, standard, renju, caro"),
])
def test_a_rule_the_game_cannot_have_is_a_usage_error(capsys, args, message):
    assert cli.main(["play", "--pure", "20", "--board", "6x6x4"] + args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
