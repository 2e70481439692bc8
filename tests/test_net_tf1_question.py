"""The user's question, measured: why the Keras port of the TF1 net reported ~0.07 instead of 4+.

Every figure in docs/tf1-to-tf2.md comes from this file: run
`pytest tests/test_net_tf1_question.py -s` to print them as one JSON line.

The question's model is rebuilt here as it was written: `kernel_regularizer=L2(beta)` on every
kernel, flattening with `Reshape((-1, k))`, and the TF1 loss lines applied to what that gives.
It carries the weights of a fresh net.PolicyValueNet, so both formulations see the same net
and the same 15x15 batch.
"""
import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from net import PolicyValueNet
from net import loss as losses

SIZE, N, BETA = 15, 128, 1e-4
MOVES = SIZE * SIZE
TRAIN_STEPS = 5  # a few Adam steps, as at the start of a training run


def question_model():
    """The question's Keras model: L2(beta) everywhere, Reshape((-1, k)) to flatten."""
    layers = keras.layers

    def conv(filters, size, name):
        return layers.Conv2D(filters, size, padding="same", activation="relu", name=name,
                             kernel_regularizer=keras.regularizers.L2(BETA))

    states = keras.Input((4, SIZE, SIZE))
    x = layers.Permute((2, 3, 1))(states)
    x = conv(128, 3, "conv3")(conv(64, 3, "conv2")(conv(32, 3, "conv1")(x)))
    p = layers.Reshape((-1, 4 * MOVES))(conv(4, 1, "action_conv")(x))
    p = layers.Dense(MOVES, activation=tf.nn.log_softmax, name="action_fc",
                     kernel_regularizer=keras.regularizers.L2(BETA))(p)
    v = layers.Reshape((-1, 2 * MOVES))(conv(2, 1, "evaluation_conv")(x))
    v = layers.Dense(64, activation="relu", name="evaluation_fc1",
                     kernel_regularizer=keras.regularizers.L2(BETA))(v)
    v = layers.Dense(1, activation="tanh", name="evaluation_fc2",
                     kernel_regularizer=keras.regularizers.L2(BETA))(v)
    return keras.Model(states, [p, v])


def tf1_policy_line(mcts_probs, log_probs):
    """TF1: -reduce_mean(reduce_sum(mcts_probs * action_fc, 1))."""
    return -tf.reduce_mean(tf.reduce_sum(mcts_probs * log_probs, 1))


def question_loss(model, states, probs3, winners3):
    """The loss as the port computed it on [N, 1, n] and [N, 1, 1] outputs.

    Labels are given the outputs' shapes; the policy line sums over axis 1, now of length 1;
    `[0]`, used to drop the extra axis, takes the first sample for the value.
    """
    log_p, v = model(states)
    policy = tf1_policy_line(probs3, log_p)
    value = tf.reduce_mean(tf.square(winners3[0] - v[0]))
    return policy + value + tf.add_n(model.losses)


@pytest.fixture(scope="module")
def figures():
    rng = np.random.default_rng(2024)
    states = (rng.random((N, 4, SIZE, SIZE)) < 0.15).astype(np.float32)
    probs = np.eye(MOVES, dtype=np.float32)[rng.integers(0, MOVES, N)]
    winners = rng.choice([-1.0, 1.0], N).astype(np.float32)
    net = PolicyValueNet(SIZE, SIZE, l2_const=BETA, seed=2024)
    model = question_model()
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(net.model.get_layer(layer.name).get_weights())

    def tf1_loss_of(weights_from):
        """The TF1 loss of `weights_from`'s weights on the batch (weights unchanged)."""
        check = PolicyValueNet(SIZE, SIZE, l2_const=BETA)
        for layer in weights_from.layers:
            if layer.weights:
                check.model.get_layer(layer.name).set_weights(layer.get_weights())
        return check.train_step(states, probs, winners, 0.0)[0]

    log_p, v = model(states)
    tf1_policy = float(-np.mean(np.sum(probs * net.model(states)[0].numpy(), axis=1)))
    probs3, winners3 = probs[:, None, :], winners[:, None, None]
    out = {
        "board": f"{SIZE}x{SIZE}", "batch": N, "l2_const": BETA,
        "share_of_wins": float(np.mean(winners > 0)),
        "tf1_loss": tf1_loss_of(model),
        "tf1_policy_loss": tf1_policy,
        "ln_moves": math.log(MOVES),
        "output_shapes": [list(log_p.shape), list(v.shape)],
        "l2_tf1": float(losses.l2_penalty(losses.penalised_weights(net.model.trainable_variables),
                                          BETA)),
        "l2_keras": float(tf.add_n(model.losses)),
        "policy_line_on_reshaped": float(tf1_policy_line(probs3, log_p)),
        "value_one_sample": float(tf.reduce_mean(tf.square(winners3[0] - v[0]))),
        "value_all_samples": float(np.mean((winners - v.numpy()[:, 0, 0]) ** 2)),
        "question_loss_fresh": float(question_loss(model, states, probs3, winners3)),
    }
    # Keras adds the regularizers itself when it computes the loss (fit, evaluate, compute_loss)
    model.compile(loss=[lambda y, p: tf1_policy_line(y, p), "mean_squared_error"],
                  metrics=[["accuracy"], ["accuracy"]])
    y = [probs3, winners3]
    out["keras_compute_loss"] = float(model.compute_loss(states, y, model(states)))
    out["keras_output_losses"] = out["policy_line_on_reshaped"] + out["value_all_samples"]
    reported = model.evaluate(states, y, verbose=0, return_dict=True)
    out["keras_accuracy"] = {k: float(a) for k, a in reported.items() if "accuracy" in k}

    # train on the question's loss, then read both losses of the same weights on the same batch
    optimizer = keras.optimizers.Adam(2e-3)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = question_loss(model, states, probs3, winners3)
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    for _ in range(TRAIN_STEPS):
        step()
    out["train_steps"] = TRAIN_STEPS
    out["question_loss_trained"] = float(question_loss(model, states, probs3, winners3))
    out["tf1_loss_trained"] = tf1_loss_of(model)
    print("\nTF1 question figures:", json.dumps(out))
    return out


def test_reshape_adds_a_length_one_axis(figures):
    assert figures["output_shapes"] == [[N, 1, MOVES], [N, 1, 1]]


def test_keras_l2_is_twice_the_tf1_penalty(figures):
    assert figures["l2_keras"] == pytest.approx(2 * figures["l2_tf1"], rel=1e-5)


def test_keras_adds_the_regularizer_losses_to_the_loss(figures):
    assert figures["keras_compute_loss"] == pytest.approx(
        figures["keras_output_losses"] + figures["l2_keras"], rel=1e-5)


def test_the_policy_line_on_reshaped_outputs_divides_the_loss_by_the_moves(figures):
    assert figures["policy_line_on_reshaped"] == pytest.approx(
        figures["tf1_policy_loss"] / MOVES, rel=1e-4)
    assert figures["tf1_policy_loss"] == pytest.approx(figures["ln_moves"], abs=0.05)


def test_the_question_loss_reads_tiny_while_the_tf1_loss_is_above_4(figures):
    assert figures["tf1_loss"] > 4.0
    assert figures["tf1_loss_trained"] > 4.0
    assert figures["question_loss_trained"] < 0.1
    assert figures["question_loss_trained"] < figures["tf1_loss_trained"] / 40


def test_accuracy_says_nothing_about_a_policy_value_net(figures):
    # Keras picks binary accuracy for the one-unit value head: prediction > 0.5 against a label of
    # 0 or 1. Labels here are -1 or +1, so a -1 never counts as right, however good the net.
    accuracy = figures["keras_accuracy"]
    value_accuracy = [a for name, a in accuracy.items() if name.startswith("evaluation_fc2")]
    assert len(value_accuracy) == 1
    assert value_accuracy[0] <= figures["share_of_wins"]
