"""The rating ladder: pairings, ratings in the order the fixture's strengths make, resuming
without replaying a pairing, ladder.json after every pairing, and the command on real
generation files."""
import json
from pathlib import Path

import pytest
import yaml

from gomoku import BoardConfig
from pipeline import cli, ladder
from pipeline.generations import list_generations, save_generation
from pipeline.ladder import Entrant, LadderError, run_ladder
from pipeline.players import parse_spec

REPO = Path(__file__).resolve().parent.parent
BOARD = BoardConfig(6, 6, 4)
# "generations" of rising strength, played by pure MCTS: the ladder only sees names and specs
FIXTURE = [Entrant("gen-00000010", "random", 10, 360.0),
           Entrant("gen-00000020", "pure:20", 20, 720.0),
           Entrant("gen-00000030", "pure:600", 30, 1080.0)]
ANCHORS = [Entrant("pure:100", "pure:100")]


def _run(run_dir, generations, log=lambda line: None, **kw):
    settings = dict(games_per_pair=6, openings=2, seed=0)
    settings.update(kw)
    return run_ladder(run_dir, BOARD, generations, ANCHORS, make_player=parse_spec, log=log,
                      **settings)


def test_pairings_are_neighbours_and_anchors():
    g, a = FIXTURE, ANCHORS + [Entrant("random", "random")]
    assert [(x.name, y.name) for x, y in ladder.pairings(g, a)] == [
        ("gen-00000010", "pure:100"), ("gen-00000010", "random"),
        ("gen-00000010", "gen-00000020"), ("gen-00000020", "pure:100"),
        ("gen-00000020", "random"),
        ("gen-00000020", "gen-00000030"), ("gen-00000030", "pure:100"),
        ("gen-00000030", "random")]


def test_ratings_follow_strength_and_a_new_generation_plays_only_its_pairings(tmp_path):
    saved_after = []

    def log(line):  # called after each pairing: ladder.json already holds it
        saved_after.append(len(json.loads((tmp_path / ladder.LADDER_FILE).read_text())["pairings"]))

    first = _run(tmp_path, FIXTURE[:2], log=log)
    assert first.played == [("gen-00000010", "pure:100"), ("gen-00000010", "gen-00000020"),
                            ("gen-00000020", "pure:100")]
    assert saved_after == [1, 2, 3]
    before = json.loads((tmp_path / ladder.LADDER_FILE).read_text())["pairings"]

    second = _run(tmp_path, FIXTURE)
    assert second.played == [("gen-00000020", "gen-00000030"), ("gen-00000030", "pure:100")]
    doc = json.loads((tmp_path / ladder.LADDER_FILE).read_text())
    assert doc["pairings"][:3] == before  # the old pairings are kept as they were
    elo = {r["player"]: r["elo"] for r in doc["ratings"]["players"]}
    assert elo["pure:100"] == 0.0
    assert elo["gen-00000010"] < elo["gen-00000020"] < elo["gen-00000030"]
    assert elo["gen-00000010"] < 0 < elo["gen-00000030"]
    for p in doc["pairings"]:
        assert p["games"] == 6 == p["a_wins"] + p["a_losses"] + p["draws"]
        assert sum(p["a_black"].values()) == sum(p["a_white"].values()) == 3
    rated = {r["player"]: r for r in doc["ratings"]["players"]}
    assert rated["gen-00000030"]["batch"] == 30 and rated["gen-00000030"]["seconds"] == 1080.0
    assert rated["gen-00000020"]["games"] == 18

    third = _run(tmp_path, FIXTURE)
    assert third.played == []
    assert json.loads((tmp_path / ladder.LADDER_FILE).read_text())["pairings"] == doc["pairings"]


def test_a_changed_entrant_or_board_is_an_error(tmp_path):
    _run(tmp_path, FIXTURE[:1], games_per_pair=2)
    changed = [Entrant("gen-00000010", "pure:5", 10, 360.0)]
    with pytest.raises(LadderError, match="rated gen-00000010 as random, now it is pure:5"):
        _run(tmp_path, changed, games_per_pair=2)
    with pytest.raises(LadderError, match="a ladder of 6x6x4, this run plays 8x8x5"):
        run_ladder(tmp_path, BoardConfig(8, 8, 5), FIXTURE[:1], ANCHORS, 2, 2, 0, parse_spec)
    with pytest.raises(LadderError, match="no generations"):
        _run(tmp_path / "empty", [])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny run directory: its config and two generation files of 4x4x3 nets."""
    pytest.importorskip("tensorflow")
    from net import PolicyValueNet
    run = tmp_path_factory.mktemp("run")
    config = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    for batch, seed in ((6, 0), (12, 1)):
        net = PolicyValueNet.for_game(BoardConfig(4, 4, 3), seed=seed)
        save_generation(run, net, batch, seconds=batch * 10.0)
    return run


def test_the_command_rates_the_generation_files(run_dir, capsys):
    assert [g.name for g in list_generations(run_dir)] == ["gen-00000006", "gen-00000012"]
    code = cli.main(["ladder", str(run_dir), "--anchors", "pure:20,random", "--games-per-pair",
                     "2", "--playouts", "4"])
    out = capsys.readouterr().out
    assert code == 0
    assert "5 pairings played, 5 recorded" in out
    doc = json.loads((run_dir / ladder.LADDER_FILE).read_text())
    assert doc["entrants"]["gen-00000006"]["spec"] == "model:generations/gen-00000006.model:4"
    assert {r["player"] for r in doc["ratings"]["players"]} == {
        "gen-00000006", "gen-00000012", "pure:20", "random"}
    pytest.importorskip("matplotlib")
    assert (run_dir / "ladder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv,message", [
    (["--anchors", "pure:20,,random"], "--anchors must be comma-separated player specs"),
    (["--anchors", "pure:20,pure:20"], "--anchors lists a player twice"),
    (["--anchors", "pure:zero"], "pure MCTS playouts must be a positive integer"),
    (["--games-per-pair", "3"], "--games-per-pair must be even"),
    (["--openings", "-1"], "--openings must be >= 0"),
])
def test_bad_ladder_flags_give_one_line_and_exit_2(run_dir, capsys, argv, message):
    code = cli.main(["ladder", str(run_dir), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def test_a_directory_without_a_run_or_generations_exits_2(tmp_path, capsys):
    assert cli.main(["ladder", str(tmp_path)]) == 2
    assert "is not a run directory" in capsys.readouterr().err
    (tmp_path / "config.yaml").write_text((REPO / "configs" / "tiny.yaml").read_text())
    assert cli.main(["ladder", str(tmp_path), "--anchors", "random"]) == 2
    assert "no generations in" in capsys.readouterr().err
