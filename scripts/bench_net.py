"""Speed of net.PolicyValueNet: inference positions/s and training samples/s.

Inference, per board and batch size, five ways of running the same weights, timed in interleaved
rounds so they share the machine's load (the machine is shared: ratios within one run are what
counts; each figure is the median over rounds):
  evaluate     PolicyValueNet.evaluate, the search's path (XLA for small batches, graph above)
  bare         a bare tf.function of the same math on tf.Variables (tf.nn ops, no Keras)
  tf_function  tf.function(model(x)) called the public way
  xla          the same with jit_compile=True, called the public way
  eager        model(x) without tf.function (small batches only: it is slow)
Training at batch 512, per board:
  train_step   PolicyValueNet.train_step (Keras model + Keras Adam in one tf.function)
  bare         a bare tf.function of the same loss with tf.raw_ops.ResourceApplyAdam
  train_xla    PolicyValueNet.train_math under jit_compile=True
Breakdown (where the time goes): the cost of calling an empty tf.function (dispatch floor), the
forward pass alone at the training batch, and forward plus gradients without the Adam update.
Ratios, all between figures of this run: per batch, evaluate over bare, over tf_function (the
plain graph call) and over eager (the plain Keras call), and xla over tf_function; per board,
train_step over bare and train_xla over train_step.

    python scripts/bench_net.py [--quick] [--boards 6,8,15] [--batches 1,8,32,128,512]
                                [--rounds 5] [--seconds 0.3] [--train-batch 512]
Prints one JSON document, then tables.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

EAGER_MAX_BATCH = 32


def parse_list(text: str, name: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v]
    except ValueError:
        raise SystemExit(f"--{name}: expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise SystemExit(f"--{name}: expected positive integers, got {text!r}")
    return values


def random_batch(rng, n: int, size: int):
    states = np.zeros((n, 4, size, size), np.float32)
    stones = rng.random((n, size, size))
    states[:, 0] = stones < 0.15
    states[:, 1] = stones > 0.85
    states[:, 3] = (np.arange(n) % 2)[:, None, None]
    probs = rng.random((n, size * size)).astype(np.float32) ** 4
    probs /= probs.sum(axis=1, keepdims=True)
    winners = rng.choice([-1.0, 1.0], n).astype(np.float32)
    return states, probs, winners


def time_per_call(fn, seconds: float) -> tuple[float, float]:
    """(wall, process CPU) seconds per call of fn(), over at least `seconds` after a warm-up.

    Process CPU time counts every thread of this process; on a shared machine it grows much
    less than wall time when other processes take the cores.
    """
    fn()
    calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / calls, (time.process_time() - cpu_start) / calls


def interleaved(candidates: dict, rounds: int, seconds: float) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per call of each candidate, measured round-robin."""
    samples = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            samples[name].append(time_per_call(fn, seconds))
    return {name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
            for name, values in samples.items()}


def forward_flops_per_sample(size: int) -> int:
    """Multiply-adds x 2 of one forward pass (convolutions and dense layers; biases ignored)."""
    points = size * size
    convs = [(3, 4, 32), (3, 32, 64), (3, 64, 128), (1, 128, 4), (1, 128, 2)]
    dense = [(4 * points, points), (2 * points, 64), (64, 1)]
    return 2 * (sum(points * k * k * cin * cout for k, cin, cout in convs)
                + sum(fan_in * fan_out for fan_in, fan_out in dense))


class BareNet:
    """The TF1 graph written with tf.nn ops on tf.Variables copied from a PolicyValueNet."""

    def __init__(self, net, tf):
        self.tf = tf
        self.size = net.board_width
        self.l2_const = net.l2_const
        self.vars = {v.path: tf.Variable(v.numpy()) for v in net.model.trainable_variables}
        self.names = list(self.vars)
        self.m = {k: tf.Variable(tf.zeros_like(v)) for k, v in self.vars.items()}
        self.v = {k: tf.Variable(tf.zeros_like(v)) for k, v in self.vars.items()}
        self.step = tf.Variable(0.0)
        states, probs, winners, lr = net.signatures()
        self.infer = tf.function(self._probs_values, input_signature=[states], autograph=False)
        self.train = tf.function(self._train, input_signature=[states, probs, winners, lr],
                                 autograph=False)

    def _conv(self, x, name):
        tf = self.tf
        return tf.nn.relu(tf.nn.conv2d(x, self.vars[f"{name}/kernel"], 1, "SAME")
                          + self.vars[f"{name}/bias"])

    def _dense(self, x, name):
        return x @ self.vars[f"{name}/kernel"] + self.vars[f"{name}/bias"]

    def forward(self, states):
        tf, n = self.tf, self.size * self.size
        x = tf.transpose(states, [0, 2, 3, 1])
        for name in ("conv1", "conv2", "conv3"):
            x = self._conv(x, name)
        p = tf.reshape(self._conv(x, "action_conv"), [-1, 4 * n])
        log_probs = tf.nn.log_softmax(self._dense(p, "action_fc"))
        v = tf.reshape(self._conv(x, "evaluation_conv"), [-1, 2 * n])
        v = tf.nn.relu(self._dense(v, "evaluation_fc1"))
        return log_probs, tf.tanh(self._dense(v, "evaluation_fc2"))

    def _probs_values(self, states):
        log_probs, value = self.forward(states)
        return self.tf.exp(log_probs), value[:, 0]

    def _train(self, states, probs, winners, lr):
        tf = self.tf
        variables = [self.vars[k] for k in self.names]
        with tf.GradientTape() as tape:
            log_probs, value = self.forward(states)
            loss = (tf.reduce_mean(tf.square(winners - value[:, 0]))
                    - tf.reduce_mean(tf.reduce_sum(probs * log_probs, 1))
                    + self.l2_const * tf.add_n([tf.nn.l2_loss(self.vars[k])
                                                for k in self.names if "bias" not in k]))
        entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probs) * log_probs, 1))
        grads = tape.gradient(loss, variables)
        self.step.assign_add(1.0)
        beta1_power, beta2_power = tf.pow(0.9, self.step), tf.pow(0.999, self.step)
        for name, grad in zip(self.names, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=self.vars[name].handle, m=self.m[name].handle, v=self.v[name].handle,
                beta1_power=beta1_power, beta2_power=beta2_power, lr=lr, beta1=0.9,
                beta2=0.999, epsilon=1e-8, grad=grad)
        return loss, entropy


def bench_board(size: int, args, tf, PolicyValueNet) -> dict:
    from net import loss as losses
    rng = np.random.default_rng(size)
    net = PolicyValueNet(size, size, seed=size)
    bare = BareNet(net, tf)
    spec = net.signatures()[0]
    model_fn = tf.function(lambda x: net.model(x, training=False), input_signature=[spec],
                           autograph=False)
    model_xla = tf.function(lambda x: net.model(x, training=False), input_signature=[spec],
                            jit_compile=True, autograph=False)
    inference = {}
    for batch in args.batches:
        states = random_batch(rng, batch, size)[0]
        candidates = {
            "evaluate": lambda: net.evaluate(states),
            "bare": lambda: [t.numpy() for t in bare.infer(states)],
            "tf_function": lambda: [t.numpy() for t in model_fn(states)],
            "xla": lambda: [t.numpy() for t in model_xla(states)],
        }
        if batch <= EAGER_MAX_BATCH:
            candidates["eager"] = lambda: [t.numpy() for t in net.model(states, training=False)]
        seconds = interleaved(candidates, args.rounds, args.seconds)
        inference[batch] = {name: batch / wall for name, (wall, _) in seconds.items()}
        inference[batch]["evaluate_ms_per_call"] = 1e3 * seconds["evaluate"][0]
        rates = dict(inference[batch])
        inference[batch]["ratios"] = {
            "evaluate_over_bare": rates["evaluate"] / rates["bare"],
            "evaluate_over_tf_function": rates["evaluate"] / rates["tf_function"],
            "xla_over_tf_function": rates["xla"] / rates["tf_function"],
        }
        if "eager" in rates:
            inference[batch]["ratios"]["evaluate_over_eager"] = rates["evaluate"] / rates["eager"]
        inference[batch]["cpu_ms_per_call"] = {name: 1e3 * cpu
                                               for name, (_, cpu) in seconds.items()}

    states, probs, winners = random_batch(rng, args.train_batch, size)
    lr = np.float32(2e-3)
    train_xla = tf.function(net.train_math, input_signature=list(net.signatures()),
                            jit_compile=True, autograph=False)
    forward = tf.function(lambda x: net.model(x, training=True), input_signature=[spec],
                          autograph=False)
    variables = net.model.trainable_variables
    penalised = losses.penalised_weights(variables)

    @tf.function(input_signature=list(net.signatures()[:3]), autograph=False)
    def gradients_only(s, p, z):
        with tf.GradientTape() as tape:
            log_probs, value = net.model(s, training=True)
            loss = losses.total_loss(log_probs, value, p, z, penalised, net.l2_const)
        return tape.gradient(loss, variables)

    train_candidates = {
        "train_step": lambda: net.train_step(states, probs, winners, 2e-3),
        "bare": lambda: [float(t) for t in bare.train(states, probs, winners, lr)],
        "train_xla": lambda: [float(t) for t in train_xla(states, probs, winners, lr)],
        "forward_only": lambda: [t.numpy() for t in forward(states)],
        "forward_and_gradients": lambda: [g.numpy() for g in gradients_only(states, probs,
                                                                            winners)],
    }
    train_seconds = interleaved(train_candidates, args.rounds, max(args.seconds, 0.5))
    training = {name: args.train_batch / wall for name, (wall, _) in train_seconds.items()}
    training["ms_per_step"] = {name: 1e3 * wall for name, (wall, _) in train_seconds.items()}
    training["cpu_ms_per_step"] = {name: 1e3 * cpu for name, (_, cpu) in train_seconds.items()}
    training["ratios"] = {"train_step_over_bare": training["train_step"] / training["bare"],
                          "train_xla_over_train_step": training["train_xla"]
                          / training["train_step"]}
    # a training step costs about three forward passes (forward, input and weight gradients)
    step_flops = 3 * forward_flops_per_sample(size) * args.train_batch
    training["train_step_gflops_per_s"] = step_flops / train_seconds["train_step"][0] / 1e9
    training["train_step_gflops_per_cpu_s"] = step_flops / train_seconds["train_step"][1] / 1e9
    return {"forward_mflops_per_sample": forward_flops_per_sample(size) / 1e6,
            "inference_positions_per_s": inference, "train_samples_per_s": training}


def dispatch_floor_ms(tf, rounds: int, seconds: float) -> float:
    """Milliseconds per call of a tf.function that does nothing but return its input + 0."""
    empty = tf.function(lambda x: x + 0.0, autograph=False,
                        input_signature=[tf.TensorSpec([None, 4, 8, 8], tf.float32)])
    x = np.zeros((1, 4, 8, 8), np.float32)
    return 1e3 * interleaved({"empty": lambda: empty(x).numpy()}, rounds, seconds)["empty"][0]


def print_tables(result: dict) -> None:
    print("\ninference, positions/s (median of rounds)")
    names = ["evaluate", "bare", "tf_function", "xla", "eager"]
    ratios = [("evaluate_over_bare", "eval/bare"), ("evaluate_over_tf_function", "eval/graph"),
              ("evaluate_over_eager", "eval/eager"), ("xla_over_tf_function", "xla/graph")]
    print(f"{'board':>6} {'batch':>6} " + " ".join(f"{n:>12}" for n in names)
          + "".join(f" {h:>10}" for _, h in ratios) + f" {'ms/call':>8}")
    for board, data in result["boards"].items():
        for batch, row in data["inference_positions_per_s"].items():
            cells = " ".join(f"{row[n]:12.0f}" if n in row else f"{'-':>12}" for n in names)
            cells += "".join(f" {row['ratios'][k]:10.2f}" if k in row["ratios"] else f" {'-':>10}"
                             for k, _ in ratios)
            print(f"{board:>6} {batch:>6} {cells} {row['evaluate_ms_per_call']:8.3f}")
    print(f"\ntraining at batch {result['train_batch']}, samples/s (median of rounds)")
    names = ["train_step", "bare", "train_xla", "forward_only", "forward_and_gradients"]
    print(f"{'board':>6} " + " ".join(f"{n:>22}" for n in names) + f" {'step/bare':>10}"
          f" {'xla/step':>10} {'GFLOP/s':>8} {'cpu ms':>7}")
    for board, data in result["boards"].items():
        row = data["train_samples_per_s"]
        print(f"{board:>6} " + " ".join(f"{row[n]:22.0f}" for n in names)
              + f" {row['ratios']['train_step_over_bare']:10.2f}"
              + f" {row['ratios']['train_xla_over_train_step']:10.2f}"
              + f" {row['train_step_gflops_per_s']:8.1f} {row['cpu_ms_per_step']['train_step']:7.1f}")
    print(f"\nempty tf.function call (dispatch floor): {result['dispatch_floor_ms']:.3f} ms; "
          f"load average at the end: {result['load_average_end']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boards", default="6,8,15", help="square board sizes")
    parser.add_argument("--batches", default="1,8,32,128,512", help="inference batch sizes")
    parser.add_argument("--train-batch", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--seconds", type=float, default=0.3, help="time per measurement")
    parser.add_argument("--quick", action="store_true", help="one round of 0.1 s (a smoke run)")
    args = parser.parse_args(argv)
    args.boards = parse_list(args.boards, "boards")
    args.batches = parse_list(args.batches, "batches")
    if args.train_batch < 1 or args.rounds < 1 or args.seconds <= 0:
        raise SystemExit("--train-batch and --rounds must be positive, --seconds > 0")
    if args.quick:
        args.rounds, args.seconds = 1, 0.1

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from net import PolicyValueNet
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "tensorflow": tf.__version__},
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "train_batch": args.train_batch, "rounds": args.rounds, "seconds": args.seconds,
        "dispatch_floor_ms": dispatch_floor_ms(tf, args.rounds, args.seconds),
        "boards": {f"{s}x{s}": bench_board(s, args, tf, PolicyValueNet) for s in args.boards},
    }
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))
    print_tables(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
