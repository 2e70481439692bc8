"""PolicyValueNet: the reference trainer's interface over a Keras 3 model.

Interface invariants:
- A state is float32 [4, H, W] as `gomoku.Board.current_state()` returns it; a move is
  `row * width + col`, the index into the H*W policy.
- `evaluate`, `policy_value` and `policy_value_fn` never change the weights.
- `train_step` returns (loss, entropy) of the weights *before* its Adam step.
- All compiled functions have a None batch dimension and fixed dtypes: one trace each,
  whatever batch sizes arrive (the XLA fast path compiles once per power-of-two bucket).
"""
from __future__ import annotations

import math
import os

import keras
import numpy as np
import tensorflow as tf

from gomoku.board_config import BoardConfig
from gomoku.validation import is_int, is_number

from net import loss as losses
from net.model import build_model
from net.model_file import ModelFileError, read_model_file, write_model_file
from net.net_config import NetConfig, check_net_board, state_shape

# Adam as TF1's tf.train.AdamOptimizer had it (Keras' default epsilon is 1e-7).
ADAM_EPSILON = 1e-8
# Learning rate the optimizer is built with; train_step overwrites it on every call.
INITIAL_LEARNING_RATE = 2e-3
# evaluate() runs batches of up to this many board points (B * H * W) through the XLA
# function, padded to a power-of-two batch; larger batches run the plain graph (XLA wins on
# per-call overhead only for small batches: scripts/bench_net.py measures both).
XLA_MAX_POINTS = 1024
MODEL_PREFIX = "model/"
OPTIMIZER_PREFIX = "optimizer/"


def _fast_caller(concrete):
    """Return tensor -> flat list of output tensors for a ConcreteFunction.

    Calls the compiled function without the public argument binding, which costs more than a
    small batch's compute (the `evaluate` and `xla` paths of scripts/bench_net.py); falls back
    to the public call on a TensorFlow without that internal entry point.
    """
    atomic = getattr(concrete, "_inference_function", None)
    if atomic is None or not hasattr(atomic, "call_flat"):
        return lambda x: tf.nest.flatten(concrete(x))
    captures = tuple(concrete.captured_inputs)
    return lambda x: atomic.call_flat(x, *captures)


def _as_float_array(name: str, value, shape: tuple) -> np.ndarray:
    """value as a C-contiguous float32 array of `shape` (None = any batch size)."""
    array = np.asarray(value)
    if array.dtype.kind != "f":
        raise ValueError(f"{name} must hold floats, got dtype {array.dtype}")
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        want = "[" + ", ".join("N" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{name} must have shape {want}, got {list(array.shape)}")
    return np.ascontiguousarray(array, dtype=np.float32)


class PolicyValueNet:
    """The TF1 policy-value net of the reference trainer, on TF2 / Keras 3.

    `model` takes float32 [N, 4, H, W] and returns (log_probs [N, H*W], value [N, 1]).
    `seed` fixes the initial weights (None: random). `board` is the game the net plays, which
    its model file records; without it a net records five in a row (Board()'s and Gomocup's
    rule, or the board's side if that is shorter). A restored v2 file brings its own game.
    `architecture`, `blocks` and `filters` are NetConfig's (default: the seed net); a file holds
    the net it was saved from, so restoring one of another architecture is a ModelFileError
    (``from_model_file`` builds the file's own).
    """

    def __init__(self, board_width: int, board_height: int, model_file=None,
                 l2_const: float = 1e-4, seed: int | None = None, *,
                 board: BoardConfig | None = None, architecture: str = NetConfig.architecture,
                 blocks: int = NetConfig.blocks, filters: int = NetConfig.filters):
        if board is None:
            sides = (board_width, board_height)
            board = BoardConfig(*sides, min(5, *sides) if all(map(is_int, sides)) else 5)
        if (board.width, board.height) != (board_width, board_height):
            raise ValueError(f"board {board.label} does not match the net's "
                             f"{board_width}x{board_height}")
        check_net_board(board)
        self.board = board
        self.config = NetConfig(l2_const, architecture, blocks, filters)
        self.board_width = board.width
        self.board_height = board.height
        self.l2_const = self.config.l2_const
        self._state_shape = state_shape(board)
        self.model = build_model(board, seed=seed, config=self.config)
        self.optimizer = keras.optimizers.Adam(learning_rate=INITIAL_LEARNING_RATE,
                                               epsilon=ADAM_EPSILON)
        self.optimizer.build(self.model.trainable_variables)
        self._penalised = losses.penalised_weights(self.model.trainable_variables)
        self._model_vars = {MODEL_PREFIX + v.path: v for v in self.model.weights}
        # optimizer paths start with its auto-numbered name ("adam", "adam_1", ...): drop it
        self._optimizer_vars = {OPTIMIZER_PREFIX + v.path.split("/", 1)[-1]: v
                                for v in self.optimizer.variables}
        if (len(self._model_vars) != len(self.model.weights)
                or len(self._optimizer_vars) != len(self.optimizer.variables)):
            raise RuntimeError("variable paths are not unique; cannot name them in a model file")
        self._compile()
        if model_file is not None:
            self.restore_model(model_file)

    # ---- the math, shared by the compiled functions and by net.export ----

    def infer(self, states):
        """float32 [N, 4, H, W] -> (log_probs [N, H*W], value [N, 1]); graph-safe."""
        log_probs, value = self.model(states, training=False)
        return log_probs, value

    def train_math(self, states, mcts_probs, winners, lr):
        """One Adam step at learning rate `lr`; returns (loss, entropy) before the step."""
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            log_probs, value = self.model(states, training=True)
            loss = losses.total_loss(log_probs, value, mcts_probs, winners,
                                     self._penalised, self.l2_const)
        entropy = losses.policy_entropy(log_probs)
        grads = tape.gradient(loss, variables)
        self.optimizer.learning_rate.assign(lr)
        self.optimizer.apply(grads, variables)
        return loss, entropy

    def signatures(self):
        """TensorSpecs of (states, mcts_probs, winners, lr), batch dimension None."""
        n = self.board.n_moves
        return (tf.TensorSpec([None, *self._state_shape], tf.float32, name="states"),
                tf.TensorSpec([None, n], tf.float32, name="mcts_probs"),
                tf.TensorSpec([None], tf.float32, name="winners"),
                tf.TensorSpec([], tf.float32, name="lr"))

    def _compile(self) -> None:
        states_spec = self.signatures()[0]

        def probs_values(states):
            log_probs, value = self.infer(states)
            return tf.exp(log_probs), value[:, 0]

        # autograph off: no Python control flow depends on tensors here
        graph_fn = tf.function(probs_values, input_signature=[states_spec], autograph=False)
        xla_fn = tf.function(probs_values, input_signature=[states_spec], jit_compile=True,
                             autograph=False)
        self._evaluate_graph = _fast_caller(graph_fn.get_concrete_function())
        self._evaluate_xla = _fast_caller(xla_fn.get_concrete_function())
        self._xla_max_batch = XLA_MAX_POINTS // self.board.n_moves
        self._train_fn = tf.function(self.train_math, input_signature=list(self.signatures()),
                                     autograph=False)

    # ---- inference ----

    def evaluate(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """states float32 [B, 4, H, W] -> (priors float32 [B, H*W], values float32 [B]).

        The search's fast path: priors are probabilities (rows sum to 1); values are in
        [-1, 1] from the view of the player to move.
        """
        if not (type(states) is np.ndarray and states.dtype == np.float32
                and states.shape[1:] == self._state_shape and states.flags.c_contiguous):
            states = _as_float_array("states", states, (None, *self._state_shape))
        batch = states.shape[0]
        if 0 < batch <= self._xla_max_batch:
            bucket = 1 << (batch - 1).bit_length()  # pad to a power of two: few XLA compiles
            if bucket != batch:
                padded = np.zeros((bucket, *states.shape[1:]), np.float32)
                padded[:batch] = states
                states = padded
            priors, values = self._evaluate_xla(tf.constant(states))
            return priors.numpy()[:batch], values.numpy()[:batch]
        priors, values = self._evaluate_graph(tf.constant(states))
        return priors.numpy(), values.numpy()

    def policy_value(self, state_batch) -> tuple[np.ndarray, np.ndarray]:
        """state_batch [N, 4, H, W] -> (probs [N, H*W], values [N, 1]), as the reference."""
        states = _as_float_array("state_batch", state_batch, (None, *self._state_shape))
        probs, values = self.evaluate(states)
        return probs, values[:, None]

    def policy_value_fn(self, board):
        """board -> (iterable of (move, prob) over board.availables, value as a float)."""
        if (board.width, board.height) != (self.board_width, self.board_height):
            raise ValueError(f"board is {board.width}x{board.height} but the net is "
                             f"{self.board_width}x{self.board_height}")
        legal = np.fromiter(board.availables, dtype=np.int64)
        state = np.ascontiguousarray(board.current_state(), dtype=np.float32)[None]
        probs, values = self.evaluate(state)
        return zip(legal.tolist(), probs[0, legal].tolist()), float(values[0])

    # ---- training ----

    def train_step(self, state_batch, mcts_probs, winner_batch, lr) -> tuple[float, float]:
        """One Adam step; returns (loss, entropy) computed on the weights before it."""
        states = _as_float_array("state_batch", state_batch, (None, *self._state_shape))
        batch = states.shape[0]
        probs = _as_float_array("mcts_probs", mcts_probs, (batch, self.board.n_moves))
        winners = _as_float_array("winner_batch", winner_batch, (batch,))
        if batch == 0:
            raise ValueError("state_batch is empty")
        if not is_number(lr) or not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
        loss, entropy = self._train_fn(states, probs, winners, np.float32(lr))
        return float(loss), float(entropy)

    # ---- state: weights and optimizer ----

    def get_weights_and_optimizer(self) -> dict[str, np.ndarray]:
        """Copies of every model and optimizer variable, keyed 'model/<path>', 'optimizer/<path>'."""
        return {key: np.array(v.numpy()) for key, v in
                (*self._model_vars.items(), *self._optimizer_vars.items())}

    def set_weights_and_optimizer(self, arrays: dict[str, np.ndarray]) -> None:
        """Inverse of get_weights_and_optimizer; all keys must match, shapes and dtypes too."""
        variables = {**self._model_vars, **self._optimizer_vars}
        missing = sorted(set(variables) - set(arrays))
        extra = sorted(set(arrays) - set(variables))
        if missing or extra:
            raise ValueError(f"weights do not fit this net: missing {missing[:3]}, "
                             f"unexpected {extra[:3]}")
        for key, var in variables.items():
            value = np.asarray(arrays[key])
            if value.shape != tuple(var.shape) or value.dtype != np.dtype(var.dtype):
                raise ValueError(f"{key} has shape {list(value.shape)} dtype {value.dtype}, "
                                 f"expected {list(var.shape)} {var.dtype}")
        for key, var in variables.items():
            var.assign(arrays[key])

    def save_model(self, model_path) -> None:
        """Write the game, the net's config, weights and optimizer state to one file, atomically."""
        write_model_file(model_path, self.board, self.config, self.get_weights_and_optimizer())

    def restore_model(self, model_path) -> None:
        """Load a file written by save_model; ModelFileError (a ValueError) if it does not fit.

        A file that records its game (v2) makes it this net's game.
        """
        saved = read_model_file(model_path)
        width, height = saved.board_size
        if saved.board_size != (self.board_width, self.board_height):
            raise ModelFileError(f"{os.fspath(model_path)} holds a {width}x{height} net "
                                 f"but this net is {self.board_width}x{self.board_height}")
        held = (saved.net or NetConfig()).label  # a v1 file holds a seed net
        if held != self.config.label:
            raise ModelFileError(f"{os.fspath(model_path)} holds a {held} net but this net is "
                                 f"{self.config.label} (PolicyValueNet.from_model_file builds "
                                 f"the file's own)")
        try:
            self.set_weights_and_optimizer(saved.arrays)
        except ValueError as exc:
            raise ModelFileError(f"{os.fspath(model_path)}: {exc}") from None
        if saved.board is not None:
            self.board = saved.board

    @classmethod
    def for_game(cls, board: BoardConfig, config: NetConfig | None = None,
                 seed: int | None = None) -> "PolicyValueNet":
        """A new net for the game ``board``."""
        config = NetConfig() if config is None else config
        return cls(board.width, board.height, seed=seed, board=board, **config.to_dict())

    @classmethod
    def from_model_file(cls, model_path) -> "PolicyValueNet":
        """The net saved in ``model_path``, with the game and config (architecture included)
        it records (a v1 file: its board size, five in a row, the default config: seed)."""
        saved = read_model_file(model_path)
        width, height = saved.board_size
        config = saved.net or NetConfig()
        return cls(width, height, model_file=model_path, board=saved.board, **config.to_dict())
