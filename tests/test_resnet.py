"""net.architecture: resnet (net/resnet.py, net/numpy_resnet.py) beside the default seed net.

Small nets throughout: 6x6 (and 7x5) boards, one or two blocks of 8 filters.
"""
import json

import numpy as np
import pytest

from gomoku import Board, BoardConfig
from gomoku.validation import FieldError
from net import ModelFileError, NetConfig, PolicyValueNet
from net import loss as losses
from net.export import MODEL_VARIABLES, SERVE, TRAIN_STEP, export_all
from net.model_file import MAX_MEMBERS, MAX_TOTAL_BYTES, write_model_file
from net.net_config import MAX_BLOCKS, MAX_FILTERS, MAX_NET_SIDE
from net.numpy_net import NumpyNet
from net.numpy_resnet import weight_shapes
from pipeline.run_config import ConfigError, from_dict

SMALL = NetConfig(architecture="resnet", blocks=2, filters=8)  # block 2 has the pooling bias
SEED_LAYERS = {"conv1", "conv2", "conv3", "action_conv", "action_fc", "evaluation_conv",
               "evaluation_fc1", "evaluation_fc2"}
TOLERANCE = 1e-4  # NumPy runtime against PolicyValueNet.evaluate


def random_batch(rng, n, board: BoardConfig):
    """Random disjoint stone planes, a last move, a first-player plane; spread move targets."""
    h, w = board.height, board.width
    cells = rng.random((n, h, w))
    states = np.zeros((n, 4, h, w), np.float32)
    states[:, 0], states[:, 1] = cells < 0.2, cells > 0.8
    last = rng.integers(0, h * w, n)
    states[np.arange(n), 2, last // w, last % w] = 1.0
    states[:, 3] = (np.arange(n) % 2)[:, None, None]
    probs = rng.random((n, h * w)).astype(np.float32) ** 4
    probs /= probs.sum(axis=1, keepdims=True)
    winners = rng.choice([-1.0, 1.0], n).astype(np.float32)
    return states, probs, winners


def state_bytes(net):
    return {k: v.tobytes() for k, v in net.get_weights_and_optimizer().items()}


def trained(board=BoardConfig(6, 6, 4), config=SMALL, steps=3, seed=1):
    """A resnet after a few steps, so BN's moving statistics are not their start values."""
    net = PolicyValueNet.for_game(board, config, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        net.train_step(*random_batch(rng, 16, board), 5e-3)
    return net


# ---- the config ----

def test_seed_is_the_default_and_ignores_blocks_and_filters():
    assert NetConfig().architecture == "seed" and from_dict({}).net == NetConfig()
    assert from_dict({}).net.to_dict() == {"l2_const": 1e-4, "architecture": "seed",
                                           "blocks": 6, "filters": 64}
    board = BoardConfig(6, 6, 4)
    plain = PolicyValueNet(6, 6, seed=3)
    assert {v.path.split("/")[0] for v in plain.model.weights} == SEED_LAYERS
    other_sizes = PolicyValueNet.for_game(board, NetConfig(blocks=2, filters=8), seed=3)
    assert state_bytes(other_sizes) == state_bytes(plain)


@pytest.mark.parametrize("fields,message", [
    ({"architecture": "resnett"}, "architecture must be one of seed, resnet, got 'resnett'"),
    ({"architecture": "resnet", "blocks": 0}, "blocks must be a positive integer, got 0"),
    ({"blocks": 0}, "blocks must be a positive integer, got 0"),  # checked for seed too
    ({"architecture": "resnet", "filters": MAX_FILTERS + 1},
     f"filters must be at most {MAX_FILTERS}, got {MAX_FILTERS + 1}"),
    ({"architecture": "resnet", "blocks": 2.0}, "blocks must be int, got float 2.0")])
def test_bad_net_fields_get_one_line_naming_the_key(fields, message):
    with pytest.raises(FieldError, match=f"^{message}$"):
        NetConfig(**fields)
    with pytest.raises(ConfigError) as info:
        from_dict({"net": fields})
    assert str(info.value) == f"net.{message}"
    with pytest.raises(ValueError, match=message):
        PolicyValueNet(6, 6, **fields)


def test_the_largest_resnet_fits_a_model_file():
    """Every array and its two Adam moments, within net/model_file.py's caps."""
    shapes = weight_shapes(MAX_BLOCKS, MAX_FILTERS)
    trainable = [s for path, s in shapes.items() if "moving_" not in path]
    members = len(shapes) + 2 * len(trainable) + 2  # + the optimizer's iteration, learning rate
    floats = sum(map(np.prod, shapes.values())) + 2 * sum(map(np.prod, trainable))
    assert members <= MAX_MEMBERS and 4 * floats <= MAX_TOTAL_BYTES
    net = PolicyValueNet.for_game(BoardConfig(MAX_NET_SIDE, MAX_NET_SIDE, 5),
                                  NetConfig(architecture="resnet", blocks=1, filters=4))
    shapes = weight_shapes(1, 4)  # the count above, checked on a net that is built
    assert len(net.get_weights_and_optimizer()) == len(shapes) + 2 * sum(
        "moving_" not in path for path in shapes) + 2


# ---- the Keras model ----

@pytest.mark.parametrize("board", [BoardConfig(6, 6, 4), BoardConfig(7, 5, 4)])
def test_resnet_keeps_the_nets_contract(board):
    net = PolicyValueNet.for_game(board, SMALL, seed=2)
    assert {v.path: tuple(v.shape) for v in net.model.weights} == weight_shapes(2, 8)
    states = random_batch(np.random.default_rng(0), 5, board)[0]
    log_probs, value = net.model(states, training=False)
    assert tuple(log_probs.shape) == (5, board.n_moves) and tuple(value.shape) == (5, 1)
    np.testing.assert_allclose(np.exp(log_probs.numpy()).sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.abs(value.numpy()) <= 1.0)
    priors, values = net.evaluate(states)
    assert priors.shape == (5, board.n_moves) and values.shape == (5,)
    assert net.config == SMALL and net.config.label == "resnet (2 blocks, 8 filters)"


def identity_tower(net, scale_last: float = 1.0):
    """Weights under which the policy's logit at a point is the own-stone plane there: the stem
    copies plane 0 to channel 0, the blocks add nothing, the policy conv reads channel 0."""
    for v in net.model.weights:
        name = v.path.rsplit("/", 1)[-1]
        v.assign(np.ones(v.shape, np.float32) if name in ("gamma", "moving_variance")
                 else np.zeros(v.shape, np.float32))
    stem = np.zeros((3, 3, 4, 8), np.float32)
    stem[1, 1, 0, 0] = 1.0  # the centre tap: plane 0 to channel 0
    net.model.get_layer("stem_conv").kernel.assign(stem)
    policy = np.zeros((1, 1, 8, 1), np.float32)
    policy[0, 0, 0, 0] = scale_last
    net.model.get_layer("policy_conv").kernel.assign(policy)


@pytest.mark.parametrize("board", [BoardConfig(6, 6, 4), BoardConfig(7, 5, 4)])
def test_the_fully_convolutional_policy_points_at_the_boards_moves(board, tmp_path):
    """current_state() has the board's rows upside down; the policy flips them back."""
    net = PolicyValueNet.for_game(board, SMALL)
    identity_tower(net, scale_last=20.0)
    net.save_model(tmp_path / "m.model")
    light = NumpyNet.from_model_file(tmp_path / "m.model")
    for own in (1, board.width + 3, board.n_moves - 2):  # the player to move's one stone
        game = Board.from_config(board)
        game.do_move(own)
        game.do_move(0)  # the opponent's; the first player is to move again
        state = game.current_state()[None]
        for evaluate in (net.evaluate, light.evaluate):
            priors = evaluate(state)[0]
            assert int(np.argmax(priors[0])) == own and priors[0, own] > 0.9


def test_train_steps_lower_the_loss_and_bn_trains_in_batch_mode_only():
    board = BoardConfig(6, 6, 4)
    net = PolicyValueNet.for_game(board, SMALL, seed=4)
    batch = random_batch(np.random.default_rng(4), 32, board)
    before = net.get_weights_and_optimizer()
    probe = batch[0][:8]
    net.evaluate(probe)  # inference changes nothing, BN statistics included
    assert state_bytes(net) == {k: v.tobytes() for k, v in before.items()}
    losses_seen = [net.train_step(*batch, 1e-2)[0] for _ in range(40)]
    assert losses_seen[-1] < losses_seen[0] - 0.5
    moved = net.get_weights_and_optimizer()
    for key in ("model/stem_bn/moving_mean", "model/block2_pool_bn/moving_variance"):
        assert not np.array_equal(moved[key], before[key])  # the train step updates them
    inference = net.model(probe, training=False)[0].numpy()
    np.testing.assert_allclose(np.log(net.evaluate(probe)[0]), inference, atol=1e-5)
    batch_mode = net.model(probe, training=True)[0].numpy()
    assert np.abs(batch_mode - inference).max() > 1e-3  # batch statistics, not moving ones
    assert state_bytes(net) != {k: v.tobytes() for k, v in moved.items()}  # that call moved them


def test_l2_covers_kernels_and_bn_scales_not_biases_or_bn_shifts():
    net = PolicyValueNet.for_game(BoardConfig(6, 6, 4), SMALL, seed=5)
    penalised = {v.path for v in losses.penalised_weights(net.model.trainable_variables)}
    trainable = {v.path for v in net.model.trainable_variables}
    assert penalised == {p for p in trainable if p.endswith(("/kernel", "/gamma"))}
    assert {p for p in trainable - penalised} == {
        p for p in trainable if p.endswith(("/bias", "/beta"))}


# ---- the model file ----

def test_a_resnet_saves_and_loads_with_its_architecture(tmp_path):
    board = BoardConfig(7, 5, 4)
    net = trained(board)
    path = tmp_path / "r.model"
    net.save_model(path)
    loaded = PolicyValueNet.from_model_file(path)
    assert loaded.config == SMALL and loaded.board == board
    assert state_bytes(loaded) == state_bytes(net)
    states = random_batch(np.random.default_rng(6), 9, board)[0]
    for a, b in zip(loaded.evaluate(states), net.evaluate(states)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    batch = random_batch(np.random.default_rng(7), 16, board)
    for _ in range(2):  # the same Adam state too
        assert loaded.train_step(*batch, 2e-3) == pytest.approx(net.train_step(*batch, 2e-3),
                                                                rel=1e-6)


def test_restoring_another_architecture_names_both(tmp_path):
    resnet, seed = tmp_path / "r.model", tmp_path / "s.model"
    PolicyValueNet.for_game(BoardConfig(6, 6, 4), SMALL, seed=1).save_model(resnet)
    PolicyValueNet(6, 6, seed=1).save_model(seed)
    with pytest.raises(ModelFileError, match=r"r.model holds a resnet \(2 blocks, 8 filters\) "
                                             r"net but this net is seed \(PolicyValueNet"):
        PolicyValueNet(6, 6, model_file=str(resnet))
    with pytest.raises(ModelFileError, match=r"s.model holds a seed net but this net is resnet "
                                             r"\(6 blocks, 64 filters\)"):
        PolicyValueNet(6, 6, architecture="resnet").restore_model(seed)
    other = PolicyValueNet(6, 6, architecture="resnet", blocks=2, filters=16)
    with pytest.raises(ModelFileError, match=r"resnet \(2 blocks, 16 filters\)"):
        other.restore_model(resnet)
    assert PolicyValueNet.from_model_file(seed).config == NetConfig()


def test_seed_files_of_both_versions_still_load(tmp_path):
    """v2 files written before the architecture was recorded ({"l2_const": ...}) and v1 files
    (no game at all) are seed nets."""
    path = tmp_path / "new.model"
    net = PolicyValueNet(6, 6, seed=8)
    net.save_model(path)
    with np.load(path) as npz:
        entries = {k: npz[k] for k in npz.files}
    game = json.loads(str(entries["game"]))
    game["net"] = {"l2_const": game["net"]["l2_const"]}
    old_v2 = dict(entries, game=np.array(json.dumps(game)))
    v1 = {k: v for k, v in entries.items() if k != "game"}
    v1["format"] = np.array("gomoku-zero policy-value net v1")
    for name, contents in (("old_v2", old_v2), ("v1", v1)):
        with open(tmp_path / name, "wb") as f:
            np.savez(f, **contents)
        for loaded in (PolicyValueNet.from_model_file(tmp_path / name),
                       NumpyNet.from_model_file(tmp_path / name)):
            assert loaded.config == NetConfig()
        assert state_bytes(PolicyValueNet.from_model_file(tmp_path / name)) == state_bytes(net)


# ---- the NumPy runtime ----

@pytest.mark.parametrize("board,config", [
    (BoardConfig(6, 6, 4), SMALL),
    (BoardConfig(7, 5, 4), NetConfig(architecture="resnet", blocks=1, filters=8)),
    (BoardConfig(6, 6, 4), NetConfig(architecture="resnet", blocks=3, filters=12))])
def test_numpy_runtime_gives_the_keras_models_priors_and_values(tmp_path, board, config):
    net = trained(board, config)
    path = tmp_path / "r.model"
    net.save_model(path)
    light = NumpyNet.from_model_file(path)
    assert light.config == config and light.board == board
    rng = np.random.default_rng(9)
    for batch in (1, 5, 40):  # the XLA path and the plain graph of PolicyValueNet.evaluate
        states = random_batch(rng, batch, board)[0]
        (priors, values), (want_priors, want_values) = light.evaluate(states), net.evaluate(states)
        assert priors.dtype == values.dtype == np.float32 and values.shape == (batch,)
        np.testing.assert_allclose(priors, want_priors, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(values, want_values, rtol=0, atol=TOLERANCE)
    log_probs, value = net.model(states, training=False)
    got_log_probs, got_value = light.forward(states)
    np.testing.assert_allclose(got_log_probs, log_probs.numpy(), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(got_value, value.numpy(), rtol=0, atol=TOLERANCE)


def test_numpy_runtime_names_a_missing_or_misshapen_resnet_weight(tmp_path):
    net = PolicyValueNet.for_game(BoardConfig(6, 6, 4), SMALL, seed=1)
    arrays = net.get_weights_and_optimizer()
    missing = {k: v for k, v in arrays.items() if k != "model/block2_pool_bn/moving_mean"}
    misshapen = dict(arrays, **{"model/policy_conv/kernel": np.zeros((1, 1, 9, 1), np.float32)})
    for name, broken, message in (
            ("missing", missing, "no weights model/block2_pool_bn/moving_mean"),
            ("misshapen", misshapen, r"model/policy_conv/kernel has shape \[1, 1, 9, 1\]")):
        write_model_file(tmp_path / name, net.board, net.config, broken)
        with pytest.raises(ModelFileError, match=message):
            NumpyNet.from_model_file(tmp_path / name)


# ---- export ----

@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")
def test_a_resnet_exports_serve_train_step_and_tflite(tmp_path):
    import tensorflow as tf
    board = BoardConfig(6, 6, 4)
    net = trained(board, steps=2)
    state = net.get_weights_and_optimizer()
    saved, tflite = export_all(net, tmp_path / "export")
    probe = random_batch(np.random.default_rng(10), 5, board)[0]
    log_probs, value = (t.numpy() for t in net.model(probe, training=False))

    loaded = tf.saved_model.load(saved)
    out = loaded.signatures[SERVE](states=tf.constant(probe))
    np.testing.assert_allclose(out["log_probs"].numpy(), log_probs, atol=1e-5)
    np.testing.assert_allclose(out["value"].numpy(), value, atol=1e-5)

    batch = random_batch(np.random.default_rng(11), 16, board)
    again = PolicyValueNet.for_game(board, SMALL)
    again.set_weights_and_optimizer(state)
    for _ in range(2):  # BN in batch mode, its moving statistics updated, in the graph too
        got = loaded.signatures[TRAIN_STEP](states=batch[0], mcts_probs=batch[1],
                                            winners=batch[2], lr=tf.constant(2e-3, tf.float32))
        loss, entropy = again.train_step(*batch, 2e-3)
        assert float(got["loss"]) == pytest.approx(loss, rel=1e-5)
        assert float(got["entropy"]) == pytest.approx(entropy, rel=1e-5)
    theirs = getattr(loaded, MODEL_VARIABLES)
    assert len(theirs) == len(again.model.variables)
    for mine, other in zip(again.model.variables, theirs):
        np.testing.assert_allclose(other.numpy(), mine.numpy(), atol=1e-5, err_msg=mine.path)

    if hasattr(tf.lite, "Interpreter"):
        runner = tf.lite.Interpreter(model_path=tflite).get_signature_runner(SERVE)
        out = runner(states=probe)
        np.testing.assert_allclose(out["log_probs"], log_probs, atol=1e-5)
        np.testing.assert_allclose(out["value"], value, atol=1e-5)
