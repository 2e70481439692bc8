"""Training and its match under a rule other than freestyle: the tiny config with board.rule."""
from pathlib import Path

import pytest
import yaml

from gomoku import Board, BoardConfig
from mcts import SearchConfig
from pipeline import cli
from pipeline.evaluator import play_match_games

from evaluators import UniformNet

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("config", [BoardConfig(5, 5, 3, "standard"), BoardConfig(5, 5, 3, "caro"),
                                    BoardConfig(7, 7, 5, "renju")])
def test_match_games_are_judged_by_the_rule(config):
    """Odd games are started by pure MCTS (player 2), black under renju then."""
    games = play_match_games(UniformNet(config), config, SearchConfig(n_playout=8), n_games=4,
                             pure_playout=30, pure_c_puct=5.0, seed=3, threads=2)
    for g in games:
        board = Board.from_config(config)
        board.init_board(0 if g.first_player == 1 else 1)
        for t, move in enumerate(g.moves):
            board.do_move(move)  # raises on a point forbidden to the first player
            assert board.game_end()[0] == (t == len(g.moves) - 1)
        assert board.game_end() == (True, g.winner)


def test_a_tiny_run_trains_under_the_standard_rule(tmp_path):
    pytest.importorskip("tensorflow")
    from net.model_file import read_model_file
    data = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())
    data["board"]["rule"] = "standard"
    data["training"]["game_batch_num"] = 4
    data["evaluation"]["check_freq"] = 4
    path = tmp_path / "tiny-standard.yaml"
    path.write_text(yaml.safe_dump(data))
    run = tmp_path / "run"
    assert cli.main(["train", "--config", str(path), "--run-dir", str(run),
                     "--no-tensorboard"]) == 0
    log = (run / "train.log").read_text().splitlines()
    assert log[0].startswith("training 4x4, 3 in a row (standard)")
    assert sum(line.startswith("batch i:") for line in log) == 4
    assert any(line.startswith("num_playouts:") for line in log)
    assert yaml.safe_load((run / "config.yaml").read_text())["board"]["rule"] == "standard"
    for name in ("best_policy.model", "current_policy.model"):
        assert read_model_file(run / name).board == BoardConfig(4, 4, 3, "standard")
