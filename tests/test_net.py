"""net.PolicyValueNet: the TF1 architecture and loss, training, save/restore, bad input."""
import math
import os

import numpy as np
import pytest

from gomoku import Board, BoardConfig
from gomoku.ascii import parse
from net import ModelFileError, NetConfig, PolicyValueNet
from net import loss as losses

LAYERS = ("conv1", "conv2", "conv3", "action_conv", "action_fc",
          "evaluation_conv", "evaluation_fc1", "evaluation_fc2")


def random_batch(rng, n, height, width):
    """Random stone planes, one-hot move targets and +-1 outcomes."""
    states = np.zeros((n, 4, height, width), np.float32)
    stones = rng.random((n, height, width))
    states[:, 0] = stones < 0.2
    states[:, 1] = stones > 0.8
    last = rng.integers(0, height * width, n)
    states[np.arange(n), 2, last // width, last % width] = 1.0
    states[:, 3] = (np.arange(n) % 2)[:, None, None]
    probs = np.eye(height * width, dtype=np.float32)[rng.integers(0, height * width, n)]
    winners = rng.choice([-1.0, 1.0], n).astype(np.float32)
    return states, probs, winners


# ---- an independent NumPy version of the TF1 graph and loss (float64) ----

def np_conv_relu(x, kernel, bias):
    """'same' convolution of NHWC x, then ReLU."""
    k = kernel.shape[0]
    pad = k // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    h, w = x.shape[1:3]
    out = sum(np.einsum("nhwc,cf->nhwf", xp[:, i:i + h, j:j + w], kernel[i, j])
              for i in range(k) for j in range(k))
    return np.maximum(out + bias, 0.0)


def np_log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_tf1_loss(weights, states, probs, winners, l2_const):
    """(loss, entropy) of the TF1 reference graph, from its own formulas."""
    w = {name: [a.astype(np.float64) for a in weights[name]] for name in LAYERS}
    x = states.astype(np.float64).transpose(0, 2, 3, 1)
    for name in ("conv1", "conv2", "conv3"):
        x = np_conv_relu(x, *w[name])
    n = len(states)
    p = np_conv_relu(x, *w["action_conv"]).reshape(n, -1)  # tf.reshape of NHWC
    log_p = np_log_softmax(p @ w["action_fc"][0] + w["action_fc"][1])
    v = np_conv_relu(x, *w["evaluation_conv"]).reshape(n, -1)
    v = np.maximum(v @ w["evaluation_fc1"][0] + w["evaluation_fc1"][1], 0.0)
    v = np.tanh(v @ w["evaluation_fc2"][0] + w["evaluation_fc2"][1])
    value_loss = np.mean((winners[:, None] - v) ** 2)  # tf.losses.mean_squared_error
    policy_loss = -np.mean(np.sum(probs * log_p, axis=1))
    l2 = l2_const * sum(np.sum(w[name][0] ** 2) / 2 for name in LAYERS)  # kernels only
    entropy = -np.mean(np.sum(np.exp(log_p) * log_p, axis=1))
    return value_loss + policy_loss + l2, entropy


def layer_weights(net):
    return {name: net.model.get_layer(name).get_weights() for name in LAYERS}


def state_bytes(net):
    return {k: v.tobytes() for k, v in net.get_weights_and_optimizer().items()}


# ---- the loss ----

@pytest.mark.parametrize("width,height", [(6, 6), (7, 5)])
def test_loss_and_entropy_equal_the_tf1_formulas_in_numpy(width, height):
    rng = np.random.default_rng(1)
    net = PolicyValueNet(width, height, l2_const=1e-2, seed=11)  # large l2: its term counts
    states, _, winners = random_batch(rng, 9, height, width)
    probs = rng.random((9, width * height)).astype(np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    for _ in range(2):  # fresh weights, then weights after an Adam step
        want_loss, want_entropy = np_tf1_loss(layer_weights(net), states, probs, winners, 1e-2)
        loss, entropy = net.train_step(states, probs, winners, 5e-3)
        assert loss == pytest.approx(want_loss, rel=1e-5)
        assert entropy == pytest.approx(want_entropy, rel=1e-5)


def test_l2_term_is_half_the_sum_of_squares_of_the_kernels_only():
    net = PolicyValueNet(6, 6, seed=2)
    penalised = losses.penalised_weights(net.model.trainable_variables)
    assert sorted(v.path for v in penalised) == sorted(f"{name}/kernel" for name in LAYERS)
    want = 3e-4 * sum(np.sum(k.astype(np.float64) ** 2) / 2
                      for k, _ in layer_weights(net).values())
    assert float(losses.l2_penalty(penalised, 3e-4)) == pytest.approx(want, rel=1e-5)


def test_l2_const_changes_the_loss_by_exactly_the_penalty():
    rng = np.random.default_rng(3)
    batch = random_batch(rng, 8, 6, 6)
    plain = PolicyValueNet(6, 6, l2_const=0.0, seed=5).train_step(*batch, 0.0)[0]
    net = PolicyValueNet(6, 6, l2_const=0.1, seed=5)
    penalty = 0.1 * sum(np.sum(k.astype(np.float64) ** 2) / 2
                        for k, _ in layer_weights(net).values())
    assert net.train_step(*batch, 0.0)[0] - plain == pytest.approx(penalty, rel=1e-4)


def test_fresh_15x15_loss_is_above_4_as_the_tf1_model_reported():
    rng = np.random.default_rng(4)
    net = PolicyValueNet(15, 15, seed=6)
    loss, entropy = net.train_step(*random_batch(rng, 64, 15, 15), 2e-3)
    assert loss > 4.0
    assert entropy == pytest.approx(math.log(225), abs=0.05)


def test_fresh_6x6_loss_is_ln36_plus_the_value_loss():
    rng = np.random.default_rng(5)
    net = PolicyValueNet(6, 6, seed=7)
    states, probs, winners = random_batch(rng, 256, 6, 6)
    _, values = net.policy_value(states)
    value_loss = float(np.mean((winners - values[:, 0]) ** 2))
    l2 = 1e-4 * sum(np.sum(k.astype(np.float64) ** 2) / 2 for k, _ in layer_weights(net).values())
    loss, _ = net.train_step(states, probs, winners, 2e-3)
    assert loss - value_loss - l2 == pytest.approx(math.log(36), abs=0.05)


# ---- training ----

# 6x6, four in a row; X to move. Each has one winning point for X, except the last two,
# where O has two open ends X cannot both block: X loses whatever it does.
POSITIONS = [
    """
    . . . . . .
    . . . . . .
    O X X X . .
    . O O . . .
    . . . . . .
    . . . . . .
    """,
    """
    . . . . . .
    . . X . O .
    . . X . . .
    . . X O . .
    . . O . . .
    . . . . . .
    """,
    """
    X . . . . .
    . X . . . .
    . . X . . .
    . . . . . .
    O O . O . .
    . . . . . .
    """,
    """
    . . . . . .
    . . . . . .
    . . . . . .
    . . O O O .
    . X . . . .
    . X . . X .
    """,
    """
    . . . . . .
    . . . . . X
    . O O O . .
    . . . . . .
    . . X . . .
    . . . . . X
    """,
]


def winning_moves(board):
    found = []
    for move in board.availables:
        after = board.copy()
        after.do_move(move)
        if after.game_end() == (True, board.get_current_player()):
            found.append(move)
    return found


def forced_win_batch():
    states, probs, winners = [], [], []
    for picture in POSITIONS:
        board = parse(picture, n_in_row=4)
        pi = np.zeros(36, np.float32)
        wins = winning_moves(board)
        if wins:
            pi[wins] = 1.0
            z = 1.0
        else:  # lost: the target is one of the two blocks, the outcome a loss
            opponent = board.copy()
            opponent.current_player = 3 - board.current_player
            blocks = winning_moves(opponent)
            assert len(blocks) == 2
            pi[blocks] = 0.5
            z = -1.0
        states.append(board.current_state())
        probs.append(pi / pi.sum())
        winners.append(z)
    return np.array(states), np.array(probs), np.array(winners, np.float32)


def test_forced_win_positions_are_what_the_pictures_say():
    _, probs, winners = forced_win_batch()
    assert winners.tolist() == [1.0, 1.0, 1.0, -1.0, -1.0]
    assert [int(np.count_nonzero(p)) for p in probs] == [1, 1, 1, 2, 2]


def test_train_steps_drive_policy_and_value_loss_down():
    states, probs, winners = forced_win_batch()
    net = PolicyValueNet(6, 6, seed=8)
    target_entropy = -np.sum(probs * np.log(np.where(probs > 0, probs, 1.0)), axis=1)

    def policy_kl_and_value_loss():
        p, v = net.policy_value(states)
        kl = np.sum(probs * (np.log(np.where(probs > 0, probs, 1.0)) - np.log(p)), axis=1)
        return float(np.mean(kl)), float(np.mean((winners - v[:, 0]) ** 2))

    kl_before, value_before = policy_kl_and_value_loss()
    for _ in range(150):
        loss, _ = net.train_step(states, probs, winners, 2e-3)
    kl_after, value_after = policy_kl_and_value_loss()
    assert kl_before > 2.5 and value_before > 0.5
    assert kl_after < 0.1 and value_after < 0.02
    assert loss < float(np.mean(target_entropy)) + 0.2
    moves, _ = net.policy_value(states)
    assert [int(np.argmax(m)) in np.flatnonzero(p) for m, p in zip(moves, probs)] == [True] * 5


def test_train_step_reports_the_loss_before_its_update():
    rng = np.random.default_rng(9)
    batch = random_batch(rng, 16, 6, 6)
    net = PolicyValueNet(6, 6, seed=9)
    first, _ = net.train_step(*batch, 1e-2)
    second, _ = net.train_step(*batch, 1e-2)
    fresh = PolicyValueNet(6, 6, seed=9)
    assert fresh.train_step(*batch, 0.0)[0] == first  # lr 0: same weights, same loss
    assert second < first


def test_train_step_accepts_the_reference_trainers_lists_and_does_not_retrace():
    rng = np.random.default_rng(10)
    net = PolicyValueNet(6, 6, seed=10)
    for n in (3, 8, 5):
        states, probs, winners = random_batch(rng, n, 6, 6)
        net.train_step(list(states), list(probs), winners.astype(np.float64).tolist(), 2e-3)
    assert net._train_fn.experimental_get_tracing_count() == 1


def test_same_seed_same_weights_and_same_training():
    rng = np.random.default_rng(11)
    batch = random_batch(rng, 16, 6, 6)
    a, b = PolicyValueNet(6, 6, seed=12), PolicyValueNet(6, 6, seed=12)
    assert state_bytes(a) == state_bytes(b)
    assert state_bytes(PolicyValueNet(6, 6, seed=13)) != state_bytes(a)
    for _ in range(3):
        assert a.train_step(*batch, 2e-3) == b.train_step(*batch, 2e-3)
    assert state_bytes(a) == state_bytes(b)


# ---- inference ----

def test_model_is_two_outputs_with_the_tf1_shapes():
    net = PolicyValueNet(7, 5, seed=1)
    log_probs, value = net.model(np.zeros((3, 4, 5, 7), np.float32))
    assert tuple(log_probs.shape) == (3, 35) and tuple(value.shape) == (3, 1)
    assert net.model.count_params() == sum(
        a.size for ws in layer_weights(net).values() for a in ws)


@pytest.mark.parametrize("batch", [1, 3, 8, 29, 30, 100])
def test_evaluate_equals_the_model_on_both_paths(batch):
    rng = np.random.default_rng(batch)
    net = PolicyValueNet(6, 6, seed=14)  # batches up to 28 take the XLA path on 6x6
    states = random_batch(rng, batch, 6, 6)[0]
    priors, values = net.evaluate(states)
    log_probs, value = net.model(states)
    assert priors.dtype == np.float32 and priors.shape == (batch, 36)
    assert values.dtype == np.float32 and values.shape == (batch,)
    np.testing.assert_allclose(priors, np.exp(log_probs.numpy()), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(values, value.numpy()[:, 0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)
    probs, values_2d = net.policy_value(states)
    np.testing.assert_array_equal(probs, priors)
    assert values_2d.shape == (batch, 1)


def test_policy_value_fn_covers_the_legal_moves_of_a_board():
    net = PolicyValueNet(6, 6, seed=15)
    board = Board(6, 6, 4)
    board.init_board()
    for move in (14, 15, 21):
        board.do_move(move)
    act_probs, value = net.policy_value_fn(board)
    act_probs = list(act_probs)
    assert [m for m, _ in act_probs] == list(board.availables)
    assert all(0.0 < p < 1.0 for _, p in act_probs)
    priors, values = net.evaluate(board.current_state()[None])
    assert sum(p for _, p in act_probs) == pytest.approx(1.0 - priors[0, [14, 15, 21]].sum(),
                                                         rel=1e-5)
    assert isinstance(value, float) and value == pytest.approx(float(values[0]))


# ---- save and restore ----

def test_save_restore_round_trips_weights_and_adam_state_bit_exactly(tmp_path):
    rng = np.random.default_rng(16)
    batch = random_batch(rng, 16, 6, 6)
    net = PolicyValueNet(6, 6, seed=16)
    for _ in range(3):
        net.train_step(*batch, 2e-3)
    path = tmp_path / "current_policy.model"
    net.save_model(str(path))
    assert sorted(os.listdir(tmp_path)) == ["current_policy.model"]  # no temp file left
    other = PolicyValueNet(6, 6, model_file=str(path), seed=99)
    assert state_bytes(other) == state_bytes(net)
    assert int(other.get_weights_and_optimizer()["optimizer/iteration"]) == 3
    assert other.train_step(*batch, 2e-3) == net.train_step(*batch, 2e-3)
    assert state_bytes(other) == state_bytes(net)


def test_get_and_set_weights_and_optimizer_are_inverse():
    rng = np.random.default_rng(17)
    batch = random_batch(rng, 8, 6, 6)
    net, other = PolicyValueNet(6, 6, seed=17), PolicyValueNet(6, 6, seed=18)
    net.train_step(*batch, 2e-3)
    arrays = net.get_weights_and_optimizer()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    other.set_weights_and_optimizer(arrays)
    assert state_bytes(other) == state_bytes(net)
    arrays.pop("model/conv1/kernel")
    with pytest.raises(ValueError, match="missing.*conv1/kernel"):
        other.set_weights_and_optimizer(arrays)


def test_from_model_file_takes_the_board_size_from_the_file(tmp_path):
    path = tmp_path / "m.model"
    PolicyValueNet(7, 5, seed=1).save_model(path)
    net = PolicyValueNet.from_model_file(path)
    assert (net.board_width, net.board_height) == (7, 5)


@pytest.fixture(scope="module")
def saved_6x6(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "best_policy.model"
    PolicyValueNet(6, 6, seed=19).save_model(str(path))
    return path


def test_restore_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(ModelFileError, match="not found.*nothing.model"):
        PolicyValueNet(6, 6, model_file=str(tmp_path / "nothing.model"))


def test_restore_of_a_truncated_file_says_so(tmp_path, saved_6x6):
    data = saved_6x6.read_bytes()
    cut = tmp_path / "cut.model"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or damaged"):
        PolicyValueNet(6, 6).restore_model(str(cut))


@pytest.mark.parametrize("kind", ["text", "npy", "npz without tag", "npz with other keys"])
def test_restore_of_a_foreign_file_says_so(tmp_path, kind):
    path = tmp_path / "foreign.model"
    if kind == "text":
        path.write_text("model_checkpoint_path: best_policy.model\n")
    elif kind == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif kind == "npz without tag":
        with open(path, "wb") as f:
            np.savez(f, conv1=np.zeros(3))
    else:
        with open(path, "wb") as f:
            np.savez(f, format=np.array("gomoku-zero policy-value net v1"),
                     board_size=np.array([6, 6]), weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a gomoku-zero model file|do not fit"):
        PolicyValueNet(6, 6).restore_model(str(path))


def test_restore_of_another_board_size_names_both_sizes(saved_6x6):
    with pytest.raises(ModelFileError, match="holds a 6x6 net but this net is 8x8"):
        PolicyValueNet(8, 8).restore_model(str(saved_6x6))


def test_model_file_errors_are_value_errors():
    assert issubclass(ModelFileError, ValueError)


# ---- bad input ----

def test_policy_value_rejects_a_batch_of_the_wrong_shape_or_dtype():
    net = PolicyValueNet(6, 6, seed=20)
    with pytest.raises(ValueError, match=r"state_batch must have shape \[N, 4, 6, 6\], got \[2, 4, 6, 5\]"):
        net.policy_value(np.zeros((2, 4, 6, 5), np.float32))
    with pytest.raises(ValueError, match=r"got \[4, 6, 6\]"):
        net.policy_value(np.zeros((4, 6, 6), np.float32))
    with pytest.raises(ValueError, match="state_batch must hold floats, got dtype int64"):
        net.policy_value(np.zeros((2, 4, 6, 6), np.int64))
    with pytest.raises(ValueError, match="states must hold floats, got dtype bool"):
        net.evaluate(np.zeros((2, 4, 6, 6), bool))


def test_train_step_rejects_mismatched_batches_and_bad_learning_rates():
    rng = np.random.default_rng(21)
    states, probs, winners = random_batch(rng, 4, 6, 6)
    net = PolicyValueNet(6, 6, seed=21)
    with pytest.raises(ValueError, match=r"mcts_probs must have shape \[4, 36\], got \[3, 36\]"):
        net.train_step(states, probs[:3], winners, 2e-3)
    with pytest.raises(ValueError, match=r"winner_batch must have shape \[4\], got \[4, 1\]"):
        net.train_step(states, probs, winners[:, None], 2e-3)
    for lr in (float("nan"), -1.0, "0.002"):
        with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
            net.train_step(states, probs, winners, lr)
    with pytest.raises(ValueError, match="state_batch is empty"):
        net.train_step(states[:0], probs[:0], winners[:0], 2e-3)


def test_policy_value_fn_rejects_a_board_of_another_size():
    board = Board(8, 8, 5)
    board.init_board()
    with pytest.raises(ValueError, match="board is 8x8 but the net is 6x6"):
        PolicyValueNet(6, 6).policy_value_fn(board)


@pytest.mark.parametrize("args,match", [((0, 6), "width must be a positive integer, got 0"),
                                        ((6, 6.0), "height must be int"),
                                        ((6, 6, None, -1.0), "l2_const must be a number >= 0")])
def test_bad_sizes_and_l2_are_rejected(args, match):
    with pytest.raises(ValueError, match=match):
        PolicyValueNet(*args)


def test_net_config_bounds_l2():
    assert NetConfig().l2_const == 1e-4
    with pytest.raises(ValueError, match="l2_const must be at most 1"):
        NetConfig(2.0)


# ---- the model file carries its game ----

def test_the_model_file_records_the_game_and_the_net_config(tmp_path):
    path = tmp_path / "m.model"
    board = BoardConfig(7, 6, 4)
    PolicyValueNet.for_game(board, NetConfig(l2_const=3e-4), seed=1).save_model(path)
    net = PolicyValueNet.from_model_file(path)
    assert net.board == board and net.l2_const == 3e-4
    reference_style = PolicyValueNet(7, 6, model_file=str(path))  # the reference's constructor
    assert reference_style.board == board


def test_a_net_made_without_its_game_records_five_in_a_row(tmp_path):
    PolicyValueNet(6, 6, seed=1).save_model(tmp_path / "m.model")
    assert PolicyValueNet.from_model_file(tmp_path / "m.model").board == BoardConfig(6, 6, 5)
    PolicyValueNet(4, 4, seed=1).save_model(tmp_path / "small.model")
    assert PolicyValueNet.from_model_file(tmp_path / "small.model").board == BoardConfig(4, 4, 4)


def test_a_v1_model_file_still_loads_with_its_board_size(tmp_path, saved_6x6):
    """Files written before the game was recorded (the format's v1) keep loading."""
    with np.load(saved_6x6) as npz:
        entries = {k: npz[k] for k in npz.files if k != "game"}
    entries["format"] = np.array("gomoku-zero policy-value net v1")
    with open(tmp_path / "v1.model", "wb") as f:
        np.savez(f, **entries)
    net = PolicyValueNet.from_model_file(tmp_path / "v1.model")
    original = PolicyValueNet.from_model_file(saved_6x6)
    assert (net.board_width, net.board_height) == (6, 6)
    assert state_bytes(net) == state_bytes(original)


@pytest.mark.parametrize("game,match", [
    ("not json", "not a valid game"), ('{"board": {"width": 6}}', "not a valid game"),
    ('{"board": {"width": 8, "height": 8, "n_in_row": 5}, "net": {}}', "its game is 8x8x5 but"),
    ('{"board": {"width": 6, "height": 6, "n_in_row": 9}, "net": {}}', "not a valid game")])
def test_a_bad_game_entry_is_a_model_file_error(tmp_path, saved_6x6, game, match):
    with np.load(saved_6x6) as npz:
        entries = {k: npz[k] for k in npz.files}
    entries["game"] = np.array(game)
    with open(tmp_path / "bad.model", "wb") as f:
        np.savez(f, **entries)
    with pytest.raises(ModelFileError, match=match):
        PolicyValueNet.from_model_file(tmp_path / "bad.model")


def test_seed_must_be_a_non_negative_int():
    with pytest.raises(ValueError, match="seed must be None or an int >= 0, got -1"):
        PolicyValueNet(6, 6, seed=-1)
    assert state_bytes(PolicyValueNet(6, 6, seed=2**70)) == state_bytes(
        PolicyValueNet(6, 6, seed=2**70))
