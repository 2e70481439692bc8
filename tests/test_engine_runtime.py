"""The engine's light runtime: net.numpy_net.NumpyNet gives PolicyValueNet's priors and values
without TensorFlow, and the Gomocup engine process (`pbrain-gomoku-zero`, `python -m pipeline
pbrain`) never imports TensorFlow or Keras on it."""
import subprocess
import sys

import numpy as np
import pytest

from gomoku import Board, BoardConfig, InputError
from mcts import MCTSPlayer
from net import ModelFileError
from net.numpy_net import NumpyNet, layer_shapes, limit_blas_threads
from pipeline import brain as brains
from pipeline.commands.common import DEFAULT_MODEL, REPO_ROOT

TOLERANCE = 1e-4  # of priors and values, against PolicyValueNet.evaluate
START_TIMEOUT = 120  # a loaded machine; the light engine starts in about a second
TF_MODULES = ("tensorflow", "keras")
# prints, at the very end of the process, the TensorFlow and Keras modules it imported
REPORT_MODULES = ("import atexit, sys; atexit.register(lambda: print('MODULES', sorted(m for m in "
                  "sys.modules if m.split('.')[0] in %r), file=sys.stderr)); " % (TF_MODULES,))
# the two ways a manager starts the engine: the console script's function, and the module
ENTRIES = {
    "console-script": "from pipeline.cli import pbrain_main; sys.exit(pbrain_main())",
    "python-m-pipeline": "import runpy; sys.argv[1:1] = ['pbrain']; "
                         "runpy.run_module('pipeline', run_name='__main__', alter_sys=True)",
}


def random_states(rng, n, board: BoardConfig) -> np.ndarray:
    """Positions of the kind the search sends: disjoint own / opponent stones, one last move,
    a first-player plane of all zeros or all ones."""
    states = np.zeros((n, 4, board.height, board.width), np.float32)
    for k in range(n):
        cells = rng.random((board.height, board.width))
        own, other = cells < 0.25, cells > 0.75
        states[k, 0], states[k, 1] = own, other
        if other.any():
            ys, xs = np.nonzero(other)
            i = rng.integers(len(ys))
            states[k, 2, ys[i], xs[i]] = 1
        states[k, 3] = rng.integers(2)
    return states


@pytest.fixture(scope="module")
def saved_nets(tmp_path_factory):
    """(model path, PolicyValueNet) for the committed model and fresh nets of other shapes."""
    from net import PolicyValueNet
    folder = tmp_path_factory.mktemp("nets")
    nets = [(REPO_ROOT / DEFAULT_MODEL, PolicyValueNet.from_model_file(REPO_ROOT / DEFAULT_MODEL))]
    for i, board in enumerate([BoardConfig(8, 8, 5), BoardConfig(7, 5, 4),
                               BoardConfig(15, 15, 5)]):
        net = PolicyValueNet.for_game(board, seed=10 + i)
        path = folder / f"{board.width}x{board.height}.model"
        net.save_model(path)
        nets.append((path, net))
    return nets


def test_numpy_net_gives_the_priors_and_values_of_policy_value_net(saved_nets):
    rng = np.random.default_rng(0)
    for path, net in saved_nets:
        light = NumpyNet.from_model_file(path)
        assert light.board == net.board
        assert (light.board_width, light.board_height) == (net.board_width, net.board_height)
        # 1 and 8: the XLA path of the search's batches; 33 states of 6x6 exceed it (graph path)
        for batch in (1, 8, 33):
            states = random_states(rng, batch, net.board)
            priors, values = light.evaluate(states)
            expected_priors, expected_values = net.evaluate(states)
            assert priors.shape == expected_priors.shape and priors.dtype == np.float32
            assert values.shape == (batch,) and values.dtype == np.float32
            np.testing.assert_allclose(priors, expected_priors, rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(values, expected_values, rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(priors.sum(axis=1), 1, atol=1e-5)
        # the reference's policy_value, and a float64 input
        states = random_states(rng, 3, net.board)
        probs, values = light.policy_value(states.astype(np.float64))
        expected_probs, expected_values = net.policy_value(states)
        assert values.shape == (3, 1)
        np.testing.assert_allclose(probs, expected_probs, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(values, expected_values, rtol=0, atol=TOLERANCE)


def test_a_search_on_either_runtime_visits_the_same(saved_nets):
    """The same priors make the same tree: root visits of a fixed-playout search are equal."""
    for path, net in saved_nets[:2]:
        light = NumpyNet.from_model_file(path)
        board = Board.from_config(net.board)
        for move in (board.width + 1, board.width * 2 + 2, board.width * 2 + 3):
            board.do_move(move)
        probs = [MCTSPlayer(evaluate=evaluate, n_playout=120, seed=3).get_action(
                     board, temp=1.0, return_prob=1)[1]
                 for evaluate in (light.evaluate, net.evaluate)]
        np.testing.assert_array_equal(probs[0], probs[1])


def test_bad_inputs_and_files(tmp_path, saved_nets):
    path, net = saved_nets[0]
    light = NumpyNet.from_model_file(path)
    with pytest.raises(ValueError, match="shape"):
        light.evaluate(np.zeros((1, 4, 5, 6), np.float32))
    with pytest.raises(ValueError, match="floats"):
        light.evaluate(np.zeros((1, 4, 6, 6), np.int32))
    priors, values = light.evaluate(np.zeros((0, 4, 6, 6), np.float32))
    assert priors.shape == (0, 36) and values.shape == (0,)
    arrays = net.get_weights_and_optimizer()
    for name, change in (("missing", lambda a: a.pop("model/conv2/bias")),
                         ("reshaped", lambda a: a.update({"model/action_fc/kernel":
                                                          np.zeros((36, 36), np.float32)}))):
        broken = dict(arrays)
        change(broken)
        from net.model_file import write_model_file
        write_model_file(tmp_path / name, net.board, net.config, broken)
        with pytest.raises(ModelFileError, match="conv2/bias" if name == "missing"
                           else r"action_fc/kernel has shape \[36, 36\]"):
            NumpyNet.from_model_file(tmp_path / name)
    (tmp_path / "junk").write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        NumpyNet.from_model_file(tmp_path / "junk")
    assert set(layer_shapes(net.board)) == {v.path.split("/")[0] for v in net.model.weights}


def test_threads_may_evaluate_at_once(saved_nets):
    from concurrent.futures import ThreadPoolExecutor
    path, net = saved_nets[1]
    light = NumpyNet.from_model_file(path)
    states = [random_states(np.random.default_rng(i), 1 + i % 3, net.board) for i in range(24)]
    alone = [light.evaluate(s) for s in states]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(light.evaluate, states))
    for (p, v), (q, w) in zip(alone, together):
        np.testing.assert_array_equal(p, q)
        np.testing.assert_array_equal(v, w)


def test_limit_blas_threads_finds_numpys_openblas():
    if "openblas" not in str(np.show_config(mode="dicts")).lower():
        pytest.skip("numpy is not built on OpenBLAS here")
    assert limit_blas_threads(1)


def test_net_brain_runtimes(saved_nets):
    path, net = saved_nets[0]
    light = brains.net_brain(path, 30, runtime="light")
    heavy = brains.net_brain(path, 30, runtime="tensorflow")
    assert isinstance(light.net, NumpyNet) and light.board == heavy.board == net.board
    board = Board.from_config(light.board)
    assert light.make_player(light.board).get_action(board) in board.availables
    assert brains.net_brain(path, 30, n_in_row=3, runtime="light").board == BoardConfig(6, 6, 3)
    with pytest.raises(InputError, match="runtime"):
        brains.net_brain(path, 30, runtime="tflite")


def test_importing_the_light_runtime_does_not_import_tensorflow():
    code = ("import sys, net.numpy_net, pipeline.brain, pipeline.gomocup, pipeline.cli; "
            "pipeline.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True, cwd=REPO_ROOT)
    assert result.stdout.strip() == "[]", result.stdout


def run_engine(entry: str, args: list[str], lines: list[str]) -> tuple[list[str], str]:
    """Run the engine on ``lines`` to END; (its answer lines, its stderr)."""
    script = REPORT_MODULES + "import sys; " + ENTRIES[entry]
    stdin = "".join(line + "\r\n" for line in lines + ["END"])
    result = subprocess.run([sys.executable, "-c", script, *args], input=stdin.encode(),
                            capture_output=True, timeout=START_TIMEOUT + 60, cwd=REPO_ROOT)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 0, stderr[-2000:]
    answers = [line for line in result.stdout.decode().split("\r\n") if line]
    return answers, stderr


def modules_reported(stderr: str) -> str:
    reports = [line for line in stderr.splitlines() if line.startswith("MODULES ")]
    assert len(reports) == 1, stderr[-2000:]
    return reports[0][len("MODULES "):]


GAME = ["START 6", "INFO timeout_turn 300", "BEGIN", "TURN 0,0", "TURN 5,5", "TAKEBACK 5,5",
        "BOARD", "2,2,1", "3,3,2", "0,5,2", "DONE", "ABOUT"]


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_the_engine_process_never_imports_tensorflow(entry):
    answers, stderr = run_engine(entry, ["--model", DEFAULT_MODEL, "--playouts", "50"], GAME)
    moves = [a for a in answers if not a.startswith(("MESSAGE", "OK", "name="))]
    assert answers[0] == "OK" and len(moves) == 4 and "OK" in answers[1:], answers
    assert all(len(m.split(",")) == 2 for m in moves), answers
    assert answers[-1].startswith('name="gomoku-zero"') and "6x6x4" in answers[-1]
    assert modules_reported(stderr) == "[]"


def test_the_tensorflow_runtime_is_still_there_when_asked():
    """The control of the test above: the same hook sees TensorFlow when the engine loads it."""
    answers, stderr = run_engine("console-script", ["--model", DEFAULT_MODEL, "--playouts", "20",
                                                    "--runtime", "tensorflow"],
                                 ["START 6", "BEGIN"])
    assert answers[0] == "OK" and len(answers[-1].split(",")) == 2, answers
    assert "'tensorflow'" in modules_reported(stderr)
