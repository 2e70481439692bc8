"""The GUI's JSON API through Starlette's TestClient: games against pure MCTS and the committed
model, their analysis, bad input of every kind, the run view's listing and metrics, and the
`gomoku-zero gui` command's refusals."""
import json
import math
import sys
import threading
import warnings

import numpy as np
import pytest

from gomoku import Board, BoardConfig
from pipeline.cli import main
from pipeline.commands.common import DEFAULT_MODEL, repo_path
from pipeline.gui.engines import Thought, load_net_engine
from pipeline.gui.games import MAX_GAMES
from pipeline.gui.server import MAX_BODY_BYTES, create_app

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2; httpx works with every version
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

FEW_PLAYOUTS = {"mode": "playouts", "amount": 30}
GAME_ENDPOINTS = ["move", "reply", "analysis", "takeback", "swap"]


# -- fixtures -------------------------------------------------------------------------------------
def write_metrics(path, records, torn_tail=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn_tail)


TINY_RUN = [{"batch": 1, "time": 0.5, "loss": 4.5, "entropy": 3.5, "kl": 0.01,
             "lr_multiplier": 1.0, "episode_len": 20},
            {"batch": 2, "time": 1.0, "loss": 4.1, "entropy": 3.4, "kl": None,
             "lr_multiplier": 1.5, "note": "text is dropped"},
            {"batch": 3, "time": 1.5, "loss": 3.9, "entropy": 3.3, "kl": 0.02,
             "lr_multiplier": 1.5, "win_ratio": 0.6, "elo": 120.0}]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """runs/ with two runs (one nested), a folder without metrics, and links pointing out."""
    base = tmp_path_factory.mktemp("gui")
    runs = base / "runs"
    write_metrics(runs / "tiny" / "metrics.jsonl", TINY_RUN, torn_tail='{"batch": 4, "lo')
    write_metrics(runs / "group" / "nested" / "metrics.jsonl", TINY_RUN[:1])
    (runs / "not-a-run" / "checkpoints").mkdir(parents=True)
    write_metrics(base / "secret" / "metrics.jsonl", [{"batch": 1, "loss": 99.0}])
    (runs / "escape").symlink_to(base / "secret", target_is_directory=True)
    (runs / "linked-file").mkdir()
    (runs / "linked-file" / "metrics.jsonl").symlink_to(base / "secret" / "metrics.jsonl")
    return runs


@pytest.fixture(scope="module")
def client(runs_dir):
    """Pure MCTS only (no model): fast, no TensorFlow."""
    with TestClient(create_app(runs_dir)) as c:
        yield c


@pytest.fixture(scope="module")
def model_client(runs_dir):
    """The committed 6x6x4 model and pure MCTS."""
    path = repo_path(DEFAULT_MODEL)
    assert path.is_file(), f"the committed model {DEFAULT_MODEL} is missing"
    with TestClient(create_app(runs_dir, load_net_engine(path))) as c:
        yield c


def new_game(client, **body):
    response = client.post("/api/games", json={"opponent": "pure", "board": "6x6x4", **body})
    assert response.status_code == 201, response.text
    return response.json()


def refused(response, status, *words):
    """The answer is ``status`` with one line of JSON error naming each of ``words``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert "\n" not in error and all(w in error for w in words), error
    return error


def empty_points(state):
    return [m for m, s in enumerate(state["stones"]) if s == 0]


def point(state, move):
    return {"row": move // state["width"], "col": move % state["width"]}


# -- the page and the config ----------------------------------------------------------------------
def test_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for name in ("/static/app.js", "/static/style.css"):
        assert name in page.text
        assert client.get(name).status_code == 200
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "fetch(\"http" not in client.get("/static/app.js").text  # only its own server


def test_config_lists_the_opponents(client, model_client):
    assert [o["kind"] for o in client.get("/api/config").json()["opponents"]] == ["pure"]
    config = model_client.get("/api/config").json()
    model, pure = config["opponents"]
    assert model == {"kind": "model", "label": "model 6x6x4/best_policy.model",
                     "default_playouts": 400, "board": "6x6x4"}
    assert pure["kind"] == "pure" and pure["board"] is None and pure["default_playouts"] == 1000
    assert config["playout_limits"][0] == 2 and config["ms_limits"][0] > 0


# -- whole games -----------------------------------------------------------------------------------
def test_a_whole_game_against_pure_mcts(client):
    state = new_game(client)
    assert state["width"] == state["height"] == 6 and state["n_in_row"] == 4
    assert state["human"] == 1 and state["to_move"] == 1 and not state["over"]
    rng = np.random.default_rng(3)
    expected = []
    while not state["over"]:
        before = state["stones"]
        mine = int(rng.choice(empty_points(state)))
        state = client.post(f"/api/games/{state['id']}/move", json=point(state, mine)).json()
        expected.append(mine)
        assert state["stones"][mine] == 1 and state["last_move"] == mine
        if state["over"]:
            break
        assert state["to_move"] == 2
        state = client.post(f"/api/games/{state['id']}/reply", json=FEW_PLAYOUTS).json()
        reply = state["last_thought"]["move"]
        assert before[reply] == 0 and reply != mine and state["stones"][reply] == 2
        assert state["last_thought"]["playouts"] == 30
        expected.append(reply)
        assert state["moves"] == expected and state["to_move"] == 1
    assert state["result"] in ("you win", "you lose", "draw")
    line = state["winning_line"]
    if state["result"] == "draw":
        assert line == [] and not empty_points(state)
    else:
        winner = 1 if state["result"] == "you win" else 2
        assert len(line) >= 4 and state["last_move"] in line
        assert all(state["stones"][m] == winner for m in line)
        rows_cols = {(m // 6, m % 6) for m in line}  # on one straight line, with no gap
        ordered = sorted(rows_cols)
        steps = {(b[0] - a[0], b[1] - a[1]) for a, b in zip(ordered, ordered[1:])}
        assert len(steps) == 1
    game = state["id"]
    refused(client.post(f"/api/games/{game}/move", json=point(state, 0)), 409, "game is over")
    refused(client.post(f"/api/games/{game}/reply", json={}), 409, "game is over")
    refused(client.post(f"/api/games/{game}/analysis", json={}), 409, "game is over")
    after = client.post(f"/api/games/{game}/takeback").json()  # and play goes on
    assert not after["over"] and after["to_move"] == 1 and after["result"] is None


def test_the_engine_moves_first_when_you_play_o(client):
    state = new_game(client, human=2)
    refused(client.post(f"/api/games/{state['id']}/move", json={"row": 0, "col": 0}), 409,
            "engine's turn")
    state = client.post(f"/api/games/{state['id']}/reply", json=FEW_PLAYOUTS).json()
    assert len(state["moves"]) == 1 and state["to_move"] == 2
    assert client.post(f"/api/games/{state['id']}/move",
                       json=point(state, empty_points(state)[0])).status_code == 200


def test_take_back_returns_to_your_last_move(client):
    game = new_game(client)["id"]
    refused(client.post(f"/api/games/{game}/takeback"), 409, "no move of yours")
    client.post(f"/api/games/{game}/move", json={"row": 2, "col": 2})
    state = client.post(f"/api/games/{game}/reply", json=FEW_PLAYOUTS).json()
    third = client.post(f"/api/games/{game}/move", json=point(state, empty_points(state)[0])).json()
    assert len(third["moves"]) == 3
    back = client.post(f"/api/games/{game}/takeback").json()
    assert back["moves"] == third["moves"][:2] and back["to_move"] == 1
    back = client.post(f"/api/games/{game}/takeback").json()  # the engine's reply goes too
    assert back["moves"] == [] and back["last_thought"] is None


def test_swap_sides_hands_the_move_to_the_engine(client):
    state = new_game(client)
    swapped = client.post(f"/api/games/{state['id']}/swap").json()
    assert swapped["human"] == 2 and swapped["to_move"] == 1
    state = client.post(f"/api/games/{state['id']}/reply", json=FEW_PLAYOUTS).json()
    assert len(state["moves"]) == 1 and state["stones"][state["moves"][0]] == 1
    assert client.post(f"/api/games/{state['id']}/swap").json()["human"] == 1


def test_games_are_kept_apart_and_the_oldest_forgotten(client):
    first, second = new_game(client), new_game(client, board="7x5x3")
    client.post(f"/api/games/{first['id']}/move", json={"row": 0, "col": 0})
    assert client.get(f"/api/games/{second['id']}").json()["moves"] == []
    assert (second["width"], second["height"], second["n_in_row"]) == (7, 5, 3)
    for _ in range(MAX_GAMES):
        new_game(client)
    refused(client.get(f"/api/games/{first['id']}"), 404, "unknown game id")


def test_timed_thinking_uses_its_time(client):
    state = new_game(client, board="15x15x5")
    analysis = client.post(f"/api/games/{state['id']}/analysis",
                           json={"mode": "ms", "amount": 150}).json()
    # the search goes on to the deadline (a few playouts take a millisecond on this board)
    assert analysis["seconds"] >= 0.15 and analysis["playouts"] >= 2


# -- analysis -------------------------------------------------------------------------------------
def check_visits(analysis, state):
    visits = analysis["visits"]
    assert len(visits) == 36 and all(isinstance(v, int) and v >= 0 for v in visits)
    assert sum(visits) == analysis["playouts"] - 1  # the first playout evaluates the root
    assert all(visits[m] == 0 for m, s in enumerate(state["stones"]) if s)
    assert state["stones"][analysis["move"]] == 0
    assert visits[analysis["move"]] == max(visits)


def test_pure_mcts_analysis_has_its_visit_counts_only(client):
    state = new_game(client)
    state = client.post(f"/api/games/{state['id']}/move", json={"row": 2, "col": 3}).json()
    analysis = client.post(f"/api/games/{state['id']}/analysis", json=FEW_PLAYOUTS).json()
    check_visits(analysis, state)
    assert analysis["to_move"] == 2 and analysis["move_count"] == 1
    assert analysis["q"] is analysis["policy"] is analysis["value"] is analysis["pv"] is None
    assert client.get(f"/api/games/{state['id']}").json() == state  # analysis changes nothing


def test_model_analysis_fields_are_well_formed(model_client):
    state = model_client.post("/api/games", json={}).json()
    assert state["opponent"] == "model" and state["board"] == "6x6x4"
    state = model_client.post(f"/api/games/{state['id']}/move", json={"row": 2, "col": 2}).json()
    state = model_client.post(f"/api/games/{state['id']}/reply", json={}).json()
    assert state["last_thought"]["playouts"] == 400
    analysis = model_client.post(f"/api/games/{state['id']}/analysis",
                                 json={"mode": "playouts", "amount": 200}).json()
    check_visits(analysis, state)
    policy, q = analysis["policy"], analysis["q"]
    assert len(policy) == len(q) == 36
    assert math.isclose(sum(policy), 1.0, abs_tol=1e-3)
    for m, stone in enumerate(state["stones"]):
        if stone:
            assert policy[m] == 0 and q[m] is None
        assert (q[m] is None) == (analysis["visits"][m] == 0)
        assert q[m] is None or -1 <= q[m] <= 1
    assert -1 <= analysis["value"] <= 1
    pv = analysis["pv"]
    assert 1 <= len(pv) <= 10 and pv[0] == analysis["move"] and len(set(pv)) == len(pv)
    assert all(state["stones"][m] == 0 for m in pv)


def test_model_analysis_values_a_win_in_one_at_plus_one(model_client):
    # the person plays both sides (swapping before each O stone): X gets three in a row at the
    # bottom, O three of four at the top; X to move wins at 0,3
    game = model_client.post("/api/games", json={"opponent": "model"}).json()["id"]
    for mine, theirs in ((0, 0), (1, 1), (2, 3)):
        model_client.post(f"/api/games/{game}/move", json={"row": 0, "col": mine})
        model_client.post(f"/api/games/{game}/swap")
        model_client.post(f"/api/games/{game}/move", json={"row": 5, "col": theirs})
        state = model_client.post(f"/api/games/{game}/swap").json()
    assert state["stones"][:4] == [1, 1, 1, 0] and state["to_move"] == state["human"] == 1
    analysis = model_client.post(f"/api/games/{game}/analysis",
                                 json={"mode": "playouts", "amount": 300}).json()
    assert analysis["to_move"] == 1 and analysis["visits"][3] > 0
    assert analysis["q"][3] == 1.0  # a won game at once: every playout through it backs up +1
    assert max(q for q in analysis["q"] if q is not None) == 1.0
    assert analysis["value"] > 0.5  # and the net sees X winning


def test_the_net_is_never_called_from_two_threads_at_once():
    from pipeline.gui.engines import NetEngine, Thinking
    from evaluators import hashed_evaluator

    class WatchedNet:
        board_width = board_height = 6

        def __init__(self):
            self.active, self.most, self.calls = 0, 0, 0

        def evaluate(self, states):
            self.active += 1
            self.most = max(self.most, self.active)
            self.calls += 1
            out = hashed_evaluator(states)
            self.active -= 1
            return out

    net = WatchedNet()
    engine = NetEngine(net, BoardConfig(6, 6, 4), "watched")
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # thread switches as often as possible, so overlaps would happen
    try:
        threads = [threading.Thread(target=engine.think,
                                    args=(Board.from_config(BoardConfig(6, 6, 4)),
                                          Thinking("playouts", 300)))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(switch)
    assert net.calls > 3 * 100 and net.most == 1


class GatedEngine:
    """An engine whose move waits for the test: it proves the server answers while it thinks."""

    kind, label, default_playouts = "model", "gated", 2
    board = BoardConfig(6, 6, 4)

    def __init__(self):
        self.started, self.go = threading.Event(), threading.Event()

    def think(self, board, thinking):
        self.started.set()
        self.go.wait(timeout=30)
        move = int(np.flatnonzero(board.stones == 0)[0])
        return Thought(move=move, playouts=2, seconds=0.0, visits=np.zeros(36, np.int64))


def test_the_server_answers_while_the_engine_thinks(runs_dir):
    engine = GatedEngine()
    with TestClient(create_app(runs_dir, engine)) as c:
        game = c.post("/api/games", json={"opponent": "model", "human": 2}).json()["id"]
        replies = []
        thinker = threading.Thread(target=lambda: replies.append(
            c.post(f"/api/games/{game}/reply", json={})))
        thinker.start()
        assert engine.started.wait(timeout=30)
        # the event loop is free: these are answered before the engine's move
        assert c.get(f"/api/games/{game}").json()["thinking"] is True
        assert c.get("/api/runs").status_code == 200
        for endpoint, body in (("move", {"row": 3, "col": 3}), ("reply", {}), ("takeback", {}),
                               ("swap", {})):
            refused(c.post(f"/api/games/{game}/{endpoint}", json=body), 409, "thinking")
        engine.go.set()
        thinker.join(timeout=30)
        assert replies[0].status_code == 200 and replies[0].json()["moves"] == [0]
        assert replies[0].json()["thinking"] is False


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("body,words", [
    ({"row": 6, "col": 0}, ["row 6", "off the board"]),
    ({"row": 0, "col": -1}, ["col -1", "off the board"]),
    ({"row": "1", "col": 0}, ["row", "whole number"]),
    ({"row": 1.0, "col": 0}, ["row", "whole number"]),
    ({"row": True, "col": 0}, ["row", "whole number"]),
    ({"row": 1}, ["col", "whole number"]),
    ({"row": 1, "col": 1, "colour": 1}, ["unknown field", "colour"]),
])
def test_bad_moves_are_refused_and_change_nothing(client, body, words):
    state = new_game(client)
    refused(client.post(f"/api/games/{state['id']}/move", json=body), 400, *words)
    assert client.get(f"/api/games/{state['id']}").json() == state


def test_moves_out_of_turn_or_on_a_stone_are_refused(client):
    state = new_game(client)
    game = state["id"]
    refused(client.post(f"/api/games/{game}/reply", json={}), 409, "your turn")
    state = client.post(f"/api/games/{game}/move", json={"row": 1, "col": 2}).json()
    refused(client.post(f"/api/games/{game}/move", json={"row": 3, "col": 3}), 409, "engine's turn")
    state = client.post(f"/api/games/{game}/reply", json=FEW_PLAYOUTS).json()
    refused(client.post(f"/api/games/{game}/move", json={"row": 1, "col": 2}), 400, "1,2 is taken")
    reply = state["moves"][1]
    refused(client.post(f"/api/games/{game}/move", json=point(state, reply)), 400, "taken")
    assert client.get(f"/api/games/{game}").json() == state


@pytest.mark.parametrize("content,status,words", [
    (b"{not json", 400, ["malformed JSON"]),
    (b'{"row": 1, "col": ', 400, ["malformed JSON"]),
    (b"\xff\xfe", 400, ["malformed JSON"]),
    (b"[1, 2]", 400, ["JSON object", "list"]),
    (b'"row"', 400, ["JSON object", "str"]),
    (b"{" + b" " * MAX_BODY_BYTES + b"}", 413, ["request body over"]),
])
def test_malformed_bodies_are_refused(client, content, status, words):
    state = new_game(client)
    for endpoint in GAME_ENDPOINTS:
        refused(client.post(f"/api/games/{state['id']}/{endpoint}", content=content), status,
                *words)
    refused(client.post("/api/games", content=content), status, *words)
    assert client.get(f"/api/games/{state['id']}").json() == state


@pytest.mark.parametrize("game_id", ["0123456789abcdef", "no such game", "x" * 300])
def test_unknown_game_ids_are_refused(client, game_id):
    refused(client.get(f"/api/games/{game_id}"), 404, "unknown game id")
    for endpoint in GAME_ENDPOINTS:
        error = refused(client.post(f"/api/games/{game_id}/{endpoint}", json={}), 404,
                        "unknown game id")
        assert len(error) < 100  # a long id is not echoed whole


@pytest.mark.parametrize("thinking,words", [
    ({"mode": "seconds"}, ["mode", "seconds"]),
    ({"mode": "playouts", "amount": 1}, ["amount of playouts", "from 2"]),
    ({"mode": "playouts", "amount": 10**9}, ["amount of playouts"]),
    ({"mode": "ms", "amount": 0}, ["amount of ms"]),
    ({"mode": "ms", "amount": "fast"}, ["amount of ms"]),
    ({"amount": 2.5}, ["amount of playouts"]),
    ({"playouts": 100}, ["unknown field", "playouts"]),
])
def test_bad_thinking_is_refused(client, thinking, words):
    state = new_game(client, human=2)
    for endpoint in ("reply", "analysis"):
        refused(client.post(f"/api/games/{state['id']}/{endpoint}", json=thinking), 400, *words)
    assert client.get(f"/api/games/{state['id']}").json() == state


@pytest.mark.parametrize("body,words", [
    ({"opponent": "model"}, ["opponent", "no model was loaded"]),
    ({"opponent": "gnugo"}, ["opponent must be one of pure"]),
    ({"board": "6x6"}, ["WxHxN"]),
    ({"board": "../6x6x4"}, ["WxHxN"]),
    ({"board": 6}, ["WxHxN"]),
    ({"board": "99x6x4"}, ["sides must be from 3 to 25"]),
    ({"board": "6x6x7"}, ["n in a row"]),
    ({"board": "6x6x0"}, ["n in a row"]),
    ({"human": 3}, ["human must be 1"]),
    ({"human": True}, ["human must be 1"]),
    ({"size": 6}, ["unknown field", "size"]),
])
def test_bad_new_games_are_refused(client, body, words):
    refused(client.post("/api/games", json={"opponent": "pure", **body}), 400, *words)


def test_the_model_plays_only_its_own_board(model_client):
    refused(model_client.post("/api/games", json={"opponent": "model", "board": "8x8x5"}), 400,
            "only 6x6x4")


def test_unknown_paths_and_methods_answer_json(client):
    refused(client.get("/api/nothing"), 404, "Not Found")
    refused(client.get("/api/games"), 405, "Method Not Allowed")
    refused(client.get("/static/../server.py"), 404, "Not Found")


# -- runs -----------------------------------------------------------------------------------------
def test_runs_are_listed_without_following_links_out(client, runs_dir):
    listing = client.get("/api/runs").json()
    assert listing["runs_dir"] == str(runs_dir)
    assert sorted(r["name"] for r in listing["runs"]) == ["group/nested", "tiny"]


def test_run_metrics_keep_the_numbers(client):
    data = client.get("/api/metrics", params={"run": "tiny"}).json()
    assert data["run"] == "tiny" and data["total"] == 3 and data["start"] == 0  # torn tail skipped
    first, second, third = data["records"]
    assert first == {"batch": 1, "time": 0.5, "loss": 4.5, "entropy": 3.5, "kl": 0.01,
                     "lr_multiplier": 1.0, "episode_len": 20}
    assert "kl" not in second and "note" not in second
    assert third["win_ratio"] == 0.6 and third["elo"] == 120.0
    assert set(data["curves"]) == {"loss", "entropy", "kl", "lr_multiplier", "win_ratio", "elo"}
    rest = client.get("/api/metrics", params={"run": "tiny", "start": 2}).json()
    assert rest["records"] == [third] and rest["total"] == 3
    nested = client.get("/api/metrics", params={"run": "group/nested"}).json()
    assert nested["records"] == [TINY_RUN[0]]


def test_new_records_are_seen_on_the_next_read(client, runs_dir, tmp_path):
    path = runs_dir / "growing" / "metrics.jsonl"
    write_metrics(path, TINY_RUN[:1])
    try:
        assert client.get("/api/metrics", params={"run": "growing"}).json()["total"] == 1
        with open(path, "a") as f:
            f.write(json.dumps(TINY_RUN[2]) + "\n")
        data = client.get("/api/metrics", params={"run": "growing", "start": 1}).json()
        assert data["total"] == 2 and data["records"][0]["win_ratio"] == 0.6
    finally:
        path.unlink()
        path.parent.rmdir()


@pytest.mark.parametrize("run,status,words", [
    ("../secret", 400, ["outside the runs directory"]),
    ("tiny/../../secret", 400, ["outside the runs directory"]),
    ("escape", 400, ["outside the runs directory"]),
    ("linked-file", 400, ["outside the runs directory"]),
    ("/etc", 400, ["absolute path"]),
    ("not-a-run", 404, ["no run", "metrics.jsonl"]),
    ("missing", 404, ["no run"]),
    ("", 400, ["run must be"]),
    ("a\0b", 400, ["run must be"]),
    ("x" * 300, 400, ["run must be"]),
])
def test_bad_run_names_are_refused(client, run, status, words):
    refused(client.get("/api/metrics", params={"run": run}), status, *words)


def test_run_metrics_need_a_run_and_a_good_start(client):
    refused(client.get("/api/metrics"), 400, "run must be")
    refused(client.get("/api/metrics", params={"run": "tiny", "start": "-1"}), 400, "start")
    refused(client.get("/api/metrics", params={"run": "tiny", "start": "two"}), 400, "start")


def test_a_missing_runs_dir_lists_no_runs(tmp_path):
    with TestClient(create_app(tmp_path / "none")) as c:
        assert c.get("/api/runs").json()["runs"] == []
        refused(c.get("/api/metrics", params={"run": "tiny"}), 404, "no run")


# -- the command ----------------------------------------------------------------------------------
def test_the_command_refuses_bad_flags_in_one_line(tmp_path, capsys):
    assert main(["gui", "--port", "70000"]) == 2
    assert main(["gui", "--port", "0", "--model", str(tmp_path / "none.model")]) == 2
    (tmp_path / "file").write_text("")
    assert main(["gui", "--runs-dir", str(tmp_path / "file")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("gomoku-zero gui: error: ") for line in lines)
    assert "--port must be from 0 to 65535" in lines[0]
    assert "no such file" in lines[1] and "is not a directory" in lines[2]


def test_the_command_says_when_the_port_is_taken(capsys):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["gui", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
