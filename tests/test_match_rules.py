"""Matches under a rule: engines are told it, and a renju foul loses the game."""
import sys
from pathlib import Path

from gomoku import BoardConfig
from pipeline import match
from pipeline.gomocup_manager import EngineProcess
from pipeline.players import RandomPlayer

FAKE_ENGINE = Path(__file__).resolve().parent / "fake_engine.py"
RENJU = BoardConfig(9, 9, 5, "renju")


def test_an_engine_is_told_the_rule_when_it_changes(tmp_path):
    log = tmp_path / "good.log"
    engine = EngineProcess([sys.executable, str(FAKE_ENGINE), "good", str(log)], turn_ms=700)
    try:
        engine.check(RENJU)
        engine.move("g1", RENJU, [])
        engine.move("g2", BoardConfig(9, 9, 5), [])
    finally:
        engine.close()
    start = ["START 9", "INFO timeout_turn 700", "INFO timeout_match 0"]
    assert log.read_text().splitlines() == [
        *start, "INFO rule 4", *start, "BEGIN", *start, "INFO rule 0", "BEGIN", "END"]


class Insists:
    """A player that always answers one point."""

    board, label, spec = None, "insists", "insists"

    def __init__(self, point):
        self.point = point

    def start(self, board, n_games, seed):
        pass

    def moves(self, games):
        return [self.point for _ in games]

    def close(self):
        pass


# On row 4, X X X . X X for black (the first stone's player), white's stones spread on row 1:
# black to move, the gap at (4,3) is six in a row, forbidden under renju.
OPENING = tuple(m for pair in zip([36, 37, 38, 40, 41], [9, 11, 13, 15, 17]) for m in pair)
GAP = 39


def test_a_forbidden_point_forfeits_the_game_of_black_only():
    result = match.play_games(Insists(GAP), RandomPlayer(), RENJU, 2, [OPENING], seed=0)
    black, white = result.records  # A has black in game 0, white in game 1
    assert black.winner == match.B and "forbidden to black" in black.forfeit
    assert white.moves[1] == GAP  # after random black, white may take the point
    assert white.winner == match.B and "illegal move 39" in white.forfeit
