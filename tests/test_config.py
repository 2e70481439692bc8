"""Configs: the shipped YAML files load; bad ones stop at start with one line naming the key, exit 2."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import cli
from pipeline.run_config import Config, ConfigError, from_dict, load

REPO = Path(__file__).resolve().parent.parent
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


def test_the_shipped_configs_load_and_round_trip():
    names = {p.name for p in CONFIGS}
    assert {"6x6x4.yaml", "8x8x5.yaml", "15x15x5.yaml", "tiny.yaml"} <= names
    for path in CONFIGS:
        config = load(path)
        assert isinstance(config, Config)
        assert from_dict(yaml.safe_load(config.to_yaml())) == config


def test_defaults_are_the_reference_trainers():
    c = from_dict({})
    t, e, s = c.training, c.evaluation, c.search
    assert (t.learn_rate, t.lr_multiplier, t.kl_targ, t.epochs) == (2e-3, 1.0, 0.02, 5)
    assert (t.batch_size, t.buffer_size, t.game_batch_num, t.updates_per_game) == (512, 10000, 1500, 1.0)
    assert (s.n_playout, s.c_puct, s.temp, s.dirichlet_alpha, s.dirichlet_weight) == (400, 5, 1, 0.3, 0.25)
    assert (e.check_freq, e.n_games, e.search.n_playout, e.search.c_puct) == (50, 10, 400, 5)
    assert (e.pure_c_puct, e.pure_playout, e.pure_playout_step, e.pure_playout_max) == \
        (5, 1000, 1000, 5000)
    assert (c.board.width, c.board.height, c.board.n_in_row) == (8, 8, 5)  # the reference's Board()


def test_the_reference_configs_keep_the_reference_recipe():
    """configs/*-reference.yaml: the 2017 recipe on their board, so a comparison can be rerun."""
    references = [p for p in CONFIGS if p.stem.endswith("-reference")]
    assert {p.name for p in references} >= {"8x8x5-reference.yaml", "15x15x5-reference.yaml"}
    recipe = from_dict({})
    for path in references:
        config = load(path)
        s, t = config.search, config.training
        assert (s.algorithm, s.full_search_prob, s.forced_playouts_k) == ("puct", 1.0, 0.0)
        assert (s.n_playout, s.c_puct, s.dirichlet_weight) == (400, 5, 0.25)
        assert (t.learn_rate, t.epochs, t.batch_size, t.buffer_size, t.updates_per_game) == \
            (recipe.training.learn_rate, 5, 512, 10000, 1.0)
        assert config.evaluation.check_freq == 50 or config.board.width > 8
        assert config.net.architecture == "seed"
        default = load(path.with_name(path.name.replace("-reference", "")))
        assert default.board == config.board


def test_the_strength_options_are_off_by_default_and_checked_on_replace():
    c = from_dict({})
    assert (c.evaluation.openings, c.evaluation.gate, c.run.keep_generation_every) == (0, False, 0)
    on = c.replace("evaluation", openings=3, gate=True).replace("run", keep_generation_every=100)
    assert (on.evaluation.openings, on.evaluation.gate, on.run.keep_generation_every) == \
        (3, True, 100)
    with pytest.raises(ConfigError, match="evaluation.openings does not fit the board"):
        from_dict({"board": {"width": 3, "height": 3, "n_in_row": 3}}).replace(
            "evaluation", openings=9)
    with pytest.raises(ConfigError, match="evaluation.openings must be at most 12"):
        c.replace("evaluation", openings=25)


def test_the_evaluation_holds_its_own_search_and_pure_c_puct():
    c = from_dict({"search": {"c_puct": 3, "n_playout": 50},
                   "evaluation": {"search": {"n_playout": 20}, "pure_c_puct": 4}})
    assert (c.search.c_puct, c.search.n_playout) == (3, 50)
    assert (c.evaluation.search.c_puct, c.evaluation.search.n_playout) == (5, 20)
    assert c.evaluation.pure_c_puct == 4


# (YAML text, a piece of the one-line message: the key and the problem)
BAD_CONFIGS = [
    ("foo: {a: 1}\n", "unknown key 'foo'"),
    ("training: {bogus: 3}\n", "training.bogus"),
    ("training: {batch_size: big}\n", "training.batch_size must be int"),
    ("training: {epochs: 2.5}\n", "training.epochs must be int"),
    ("search: {n_playout: true}\n", "search.n_playout must be int"),
    ("board: {width: 3, height: 6, n_in_row: 4}\n", "board.n_in_row must fit the board: 3x6 is smaller"),
    ("board: {width: 1000000, height: 1000000}\n", "board.width must be at most 100"),
    ("board: {rule: omok}\n", "board.rule must be one of freestyle, standard, renju, caro"),
    ("board: {width: 9, height: 9, n_in_row: 4, rule: renju}\n",
     "board.n_in_row must be 5 under renju"),
    ("training: {batch_size: 600, buffer_size: 500}\n", "training.batch_size must be at most buffer_size (500), got 600"),
    ("evaluation: {n_playout: 400}\n", "unknown key evaluation.n_playout (now evaluation.search.n_playout)"),
    ("evaluation: {search: {n_playout: 0}}\n", "evaluation.search.n_playout must be a positive integer"),
    ("evaluation: {search: 3}\n", "evaluation.search must be a mapping"),
    ("run: {seed: 5000000000}\n", "run.seed must be at most"),
    ("search: {n_playout: -5}\n", "search.n_playout must be a positive integer"),
    ("evaluation: {pure_playout: -1000}\n", "evaluation.pure_playout must be a positive integer"),
    ("evaluation: {n_games: 0}\n", "evaluation.n_games"),
    ("training: {learn_rate: -0.1}\n", "training.learn_rate must be a positive number"),
    ("search: {dirichlet_weight: 1.5}\n", "search.dirichlet_weight must be in [0, 1]"),
    ("training: 5\n", "training must be a mapping"),
    ("net: {board_width: 9}\n", "unknown key net.board_width (set by board.width"),
    ("run: {keep_checkpoints: 0}\n", "run.keep_checkpoints must be a positive integer"),
    ("evaluation: {pure_playout: 6000}\n", "evaluation.pure_playout must be at most pure_playout_max (5000)"),
    ("training: {batch_size: [1, 2]\n", "is not valid YAML at line"),
    ("- 1\n- 2\n", "config must be a mapping of sections"),
    ("net: {l2_const: -1}\n", "net.l2_const"),
    ("run: {keep_generation_every: -1}\n", "run.keep_generation_every must be an integer >= 0"),
    ("evaluation: {openings: -2}\n", "evaluation.openings must be an integer >= 0"),
    ("evaluation: {openings: 2, gate: 1}\n", "evaluation.gate must be bool"),
    ("evaluation: {gate: true}\n", "evaluation.gate needs openings > 0"),
    ("board: {width: 4, height: 4, n_in_row: 3}\nevaluation: {openings: 2, n_games: 100}\n",
     "evaluation.openings does not fit the board: only 33 distinct openings of 2 stones"),
]


@pytest.mark.parametrize("text,message", BAD_CONFIGS)
def test_bad_config_gives_one_line_exit_2_and_no_run_dir(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    run_dir = tmp_path / "run"
    code = cli.main(["train", "--config", str(path), "--run-dir", str(run_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("gomoku-zero train: error: ")
    assert not run_dir.exists()


def test_config_errors_are_value_errors_naming_the_key():
    with pytest.raises(ConfigError, match="training.kl_targ"):
        from_dict({"training": {"kl_targ": 0}})
    assert issubclass(ConfigError, ValueError)


def test_missing_file_and_resume_without_a_run(tmp_path, capsys):
    assert cli.main(["train", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read config" in capsys.readouterr().err
    assert cli.main(["train", "--resume", "--run-dir", str(tmp_path / "r")]) == 2
    assert "holds no run to resume" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_the_command_exits_2_from_a_shell(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("training: {buffer_size: -1}\n")
    command = str(Path(sys.executable).parent / "gomoku-zero")
    proc = subprocess.run([command, "train", "--config", str(path),
                           "--run-dir", str(tmp_path / "run")], capture_output=True, text=True,
                          cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"gomoku-zero train: error: {path}: training.buffer_size must be a positive integer, got -1"]
    assert not (tmp_path / "run").exists()
