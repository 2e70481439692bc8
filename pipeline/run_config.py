"""A run's configuration: one frozen dataclass per concern, nested as the YAML file nests them.

Sections: ``board`` (gomoku.BoardConfig), ``search`` (mcts.SearchConfig: self-play's search),
``net`` (net.NetConfig), ``training``, ``evaluation`` (which holds the SearchConfig the net plays
its matches with), ``run`` and ``distributed`` (self-play on Ray actors; off by default). Every
key is optional and defaults to the reference trainer's value.
Loading checks key names against the dataclasses and lets each dataclass check its own values
(gomoku.validation); any problem is a ``ConfigError`` whose one-line message names the key.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gomoku.board_config import BoardConfig
from gomoku.openings import OpeningsError, random_openings
from gomoku.validation import Bool, FieldError, Float, Fraction, InputError, Int, check_fields, shown
from mcts.search_config import MAX_PLAYOUTS, SearchConfig
from net.net_config import NetConfig, check_net_board

RUN_CONFIG_FILE = "config.yaml"  # the resolved config in a run directory
MAX_GAMES = 10**8
MAX_MATCH_GAMES = 1000
MAX_OPENING_STONES = 12
BUFFER_BYTES_PER_POINT = 5  # a position holds a uint8 [4, H, W] state and float32 [H*W] probs
MAX_BUFFER_BYTES = 8 << 30
# keys that moved: where they are now
MOVED_KEYS = {"net.board_width": "set by board.width", "net.board_height": "set by board.height",
              "evaluation.n_playout": "now evaluation.search.n_playout"}


class ConfigError(InputError):
    """A bad configuration: the message is one line naming the key."""


@dataclass(frozen=True)
class TrainingConfig:
    """Self-play and the KL-adaptive update (reference defaults).

    ``games_at_once`` games are played together (batched network calls); each finished game is one
    "batch" of the reference's log and earns ``updates_per_game`` updates, so the reference's ratio
    of one update per game holds whatever the number of games played at once. Updates start once
    the buffer holds more than ``batch_size`` positions. ``init_model`` (a model file's path, or
    empty) warm-starts a new run from that file's weights and optimizer state; it must hold a
    net of this run's game and architecture, and a resumed run goes on from its checkpoint.
    ``value_target_q`` in [0, 1] mixes the search into the value target: each position's target
    is ``(1 - w) * z + w * q``, ``z`` the game's result and ``q`` the search's root value there
    (``GameRecord.root_values``); 0, the reference, trains on the result alone.
    """

    learn_rate: float = 2e-3
    lr_multiplier: float = 1.0  # starting value; adapted by the KL rule within [0.1/1.5, 10*1.5]
    kl_targ: float = 0.02
    epochs: int = 5  # train steps per update at most
    batch_size: int = 512
    buffer_size: int = 10000
    game_batch_num: int = 1500  # self-play games in the whole run
    games_at_once: int = 1
    selfplay_threads: int = 1  # threads stepping parts of the games' trees (mcts.BatchedSearch)
    updates_per_game: float = 1.0
    init_model: str = ""
    value_target_q: float = 0.0

    def __post_init__(self):
        if not isinstance(self.init_model, str):
            raise FieldError("init_model", f"must be a model file's path (a string), got "
                                           f"{shown(self.init_model)}")
        check_fields(self, learn_rate=Float(high=1.0), lr_multiplier=Float(high=100.0),
                     kl_targ=Float(high=10.0), epochs=Int(1, 1000), batch_size=Int(1, 65536),
                     buffer_size=Int(1, 10**6), game_batch_num=Int(1, MAX_GAMES),
                     games_at_once=Int(1, 4096), selfplay_threads=Int(1, 64),
                     updates_per_game=Float(high=1000.0), value_target_q=Fraction())
        if self.batch_size > self.buffer_size:
            raise FieldError("batch_size", f"must be at most buffer_size ({self.buffer_size}), "
                                           f"got {self.batch_size}")


@dataclass(frozen=True)
class EvaluationConfig:
    """The periodic match of the current net against pure MCTS (reference defaults).

    ``search`` is the net's search in the match (no noise, a fresh tree every move, the most
    visited move); pure MCTS plays with its own ``pure_c_puct`` at ``pure_playout`` playouts,
    raised by ``pure_playout_step`` after a perfect score up to ``pure_playout_max``.
    ``openings`` K > 0 starts games ``2k`` and ``2k + 1`` from the ``k``-th of new random
    K-stone openings each match, so each is played with both colours (0: the reference's empty
    board). ``gate`` adds a match of the current net against the best one after it (AlphaGo
    Zero): the best is replaced at a score of at least 0.55, and best_policy.model follows it.
    """

    check_freq: int = 50  # batches (self-play games) between matches
    n_games: int = 10
    search: SearchConfig = field(default_factory=SearchConfig)
    pure_c_puct: float = 5.0
    pure_playout: int = 1000
    pure_playout_step: int = 1000
    pure_playout_max: int = 5000
    openings: int = 0  # stones of the random openings; 0: the empty board
    gate: bool = False

    def __post_init__(self):
        if not isinstance(self.search, SearchConfig):
            raise FieldError("search", f"must be a SearchConfig, got {type(self.search).__name__}")
        playouts = Int(1, MAX_PLAYOUTS)
        # a periodic match of at most MAX_MATCH_GAMES, from openings of a few stones: checking
        # that its openings exist (Config) then stays quick
        check_fields(self, check_freq=Int(1, MAX_GAMES), n_games=Int(1, MAX_MATCH_GAMES),
                     pure_c_puct=Float(high=1e6), pure_playout=playouts,
                     pure_playout_step=playouts, pure_playout_max=playouts,
                     openings=Int(0, MAX_OPENING_STONES), gate=Bool())
        if self.gate and not self.openings:
            raise FieldError("gate", "needs openings > 0: two nets searching without noise "
                                     "replay the same two games from the empty board")
        if self.pure_playout > self.pure_playout_max:
            raise FieldError("pure_playout", f"must be at most pure_playout_max "
                                             f"({self.pure_playout_max}), got {self.pure_playout}")


@dataclass(frozen=True)
class RunConfig:
    """Seeding, checkpoints and logging of a run."""

    seed: int = 0  # NumPy's legacy seeding (Keras) takes 32 bits
    checkpoint_every: int = 10  # batches between checkpoints (also at the end and on Ctrl-C)
    keep_checkpoints: int = 3
    deterministic_ops: bool = False  # tf.config.experimental.enable_op_determinism()
    verbose: bool = False  # one line per train step (epoch) with its loss
    keep_generation_every: int = 0  # batches between kept nets (generations.py); 0: none

    def __post_init__(self):
        check_fields(self, seed=Int(0, 2**32 - 1), checkpoint_every=Int(1, MAX_GAMES),
                     keep_checkpoints=Int(1, 1000), deterministic_ops=Bool(), verbose=Bool(),
                     keep_generation_every=Int(0, MAX_GAMES))


@dataclass(frozen=True)
class DistributedConfig:
    """Self-play on ``actors`` Ray actors (pipeline.distributed); 0 plays in the run's own process.

    ``address`` None starts a local Ray (as many CPUs as the machine, or as the actors ask);
    otherwise ``ray.init(address=...)`` joins a running cluster ("auto", "HOST:PORT",
    "ray://HOST:PORT"). The learner puts its weights in the object store every
    ``weights_every`` updates, each time a new generation; a game is stamped with the generation
    it started with and dropped when it is more than ``max_staleness`` generations old at the
    moment the learner takes it (0: auto, ``2 * (actors * games_at_once + queue) *
    updates_per_game / weights_every`` rounded up, twice what steady play gives). At most
    ``queue_size`` finished games wait for the learner (0: ``actors * games_at_once``): past that
    the actors get no new games to play and wait. Each actor reserves ``num_cpus`` / ``num_gpus``
    of its node and is restarted by Ray up to ``max_restarts`` times (-1: always) when it dies.
    """

    actors: int = 0
    address: str | None = None
    weights_every: int = 1
    max_staleness: int = 0
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    max_restarts: int = 3
    queue_size: int = 0

    def __post_init__(self):
        check_fields(self, actors=Int(0, 4096), weights_every=Int(1, 10**6),
                     max_staleness=Int(0, 10**9), num_cpus=Float(0.0, 1024.0, low_included=True),
                     num_gpus=Float(0.0, 64.0, low_included=True), max_restarts=Int(-1, 10**6),
                     queue_size=Int(0, 10**6))
        if self.address is not None and not (isinstance(self.address, str) and self.address):
            raise FieldError("address", f"must be a non-empty string or null, got {self.address!r}")

    def resolved(self, training: TrainingConfig) -> "DistributedConfig":
        """A copy with the automatic (0) queue_size and max_staleness worked out."""
        queue = self.queue_size or self.actors * training.games_at_once
        staleness = self.max_staleness or max(1, math.ceil(
            2 * (self.actors * training.games_at_once + queue) * training.updates_per_game
            / self.weights_every))
        return dataclasses.replace(self, queue_size=queue, max_staleness=staleness)


@dataclass(frozen=True)
class Config:
    board: BoardConfig = field(default_factory=BoardConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    net: NetConfig = field(default_factory=NetConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    run: RunConfig = field(default_factory=RunConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)

    def __post_init__(self):
        try:
            check_net_board(self.board)
        except FieldError as exc:
            raise exc.within("board") from None
        per_position = self.board.n_moves * BUFFER_BYTES_PER_POINT
        if self.training.buffer_size * per_position > MAX_BUFFER_BYTES:
            raise FieldError("training.buffer_size",
                             f"must be at most {MAX_BUFFER_BYTES // per_position} on a "
                             f"{self.board.label} board (memory), got {self.training.buffer_size}")
        e, b = self.evaluation, self.board
        if e.openings:
            try:  # the openings of a match must exist on the board
                random_openings(b.width, b.height, b.n_in_row, e.openings, -(-e.n_games // 2),
                                seed=0, rule=b.rule)
            except OpeningsError as exc:
                raise FieldError("evaluation.openings", f"does not fit the board: {exc}") from None

    def to_dict(self) -> dict:
        """Plain nested sections, as YAML holds them."""
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def replace(self, section: str, **changes) -> "Config":
        """A copy with some keys of one section changed (checked as when loading)."""
        try:
            part = dataclasses.replace(getattr(self, section), **changes)
        except FieldError as exc:
            raise ConfigError(str(exc.within(section))) from None
        try:
            return dataclasses.replace(self, **{section: part})
        except FieldError as exc:
            raise ConfigError(str(exc)) from None


def _build(cls: type, values, path: str):
    """An instance of the dataclass ``cls`` from a mapping; nested dataclass fields recurse."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        what = f"{path} must be a mapping" if path else "config must be a mapping of sections"
        raise ConfigError(f"{what}, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        dotted = f"{path}.{key}" if path else str(key)
        if key not in names:
            if not path:
                raise ConfigError(f"unknown key {key!r} (sections: {', '.join(names)})")
            moved = MOVED_KEYS.get(dotted)
            raise ConfigError(f"unknown key {dotted}" + (f" ({moved})" if moved else ""))
        tp = hints[key]
        kwargs[key] = _build(tp, value, dotted) if dataclasses.is_dataclass(tp) else value
    try:
        return cls(**kwargs)
    except FieldError as exc:
        raise ConfigError(str(exc.within(path) if path else exc)) from None


def from_dict(data) -> Config:
    """Build and check a Config from YAML-like nested sections; raises ConfigError."""
    return _build(Config, data, "")


def load(path) -> Config:
    """Read a YAML file (safe_load) into a checked Config; raises ConfigError."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {path} is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config {path} is not valid YAML{where}") from None
    except Exception as exc:  # PyYAML's constructors raise many types on bad text: ValueError
        # (a date 2001-02-30), AttributeError (!!timestamp 'x'), IndexError (!!int ''),
        # RecursionError (nesting past Python's recursion limit)
        detail = (str(exc).splitlines() or [""])[0][:200]
        raise ConfigError(f"config {path} is not valid YAML ({type(exc).__name__}: {detail})") \
            from None
    return from_dict(data)
