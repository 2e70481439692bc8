"""A run's configuration: one frozen dataclass per concern, composed from YAML.

Sections: ``board`` (gomoku.BoardConfig), ``search`` (mcts.SearchConfig), ``net`` (net.NetConfig,
whose board size comes from ``board``), ``training``, ``evaluation`` and ``run`` (here). Every key
is optional and defaults to the reference trainer's value. Loading checks each key's name and type
before building the dataclasses, whose own checks reject impossible values, then checks the
relations between sections; any problem is a ``ConfigError`` (a ValueError) whose one-line message
names the key. The ``net`` section is built last: importing ``net`` imports TensorFlow, which is
slow and writes to stderr, so a mistake elsewhere is reported before that happens.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml

from gomoku import BoardConfig
from mcts.search_config import SearchConfig

if typing.TYPE_CHECKING:
    from net import NetConfig


RUN_CONFIG_FILE = "config.yaml"  # the resolved config in a run directory


class ConfigError(ValueError):
    """A bad configuration: the message is one line naming the key."""


def _check_positive_int(section: str, obj, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{section}.{name} must be a positive integer, got {value!r}")


def _check_positive_float(section: str, obj, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (isinstance(value, float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{section}.{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class TrainingConfig:
    """Self-play and the KL-adaptive update (reference defaults).

    ``games_at_once`` games are played together (batched network calls); each finished game is one
    "batch" of the reference's log and earns ``updates_per_game`` updates, so the reference's ratio
    of one update per game holds whatever the number of games played at once. Updates start once
    the buffer holds more than ``batch_size`` positions.
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

    def __post_init__(self):
        _check_positive_float("training", self, "learn_rate", "lr_multiplier", "kl_targ",
                              "updates_per_game")
        _check_positive_int("training", self, "epochs", "batch_size", "buffer_size",
                            "game_batch_num", "games_at_once", "selfplay_threads")
        if self.batch_size > self.buffer_size:
            raise ValueError(f"training.batch_size={self.batch_size} is above "
                             f"training.buffer_size={self.buffer_size}")


@dataclass(frozen=True)
class EvaluationConfig:
    """The periodic match of the current net against pure MCTS (reference defaults)."""

    check_freq: int = 50  # batches (self-play games) between matches
    n_games: int = 10
    n_playout: int = 400  # the net player's playouts (no noise, most-visited move)
    pure_playout: int = 1000  # pure MCTS level at the start
    pure_playout_step: int = 1000  # added after a perfect score ...
    pure_playout_max: int = 5000  # ... up to this level

    def __post_init__(self):
        _check_positive_int("evaluation", self, "check_freq", "n_games", "n_playout",
                            "pure_playout", "pure_playout_step", "pure_playout_max")
        if self.pure_playout > self.pure_playout_max:
            raise ValueError(f"evaluation.pure_playout={self.pure_playout} is above "
                             f"evaluation.pure_playout_max={self.pure_playout_max}")


@dataclass(frozen=True)
class RunConfig:
    """Seeding, checkpoints and logging of a run."""

    seed: int = 0
    checkpoint_every: int = 10  # batches between checkpoints (also at the end and on Ctrl-C)
    keep_checkpoints: int = 3
    deterministic_ops: bool = False  # tf.config.experimental.enable_op_determinism()
    verbose: bool = False  # one line per train step (epoch) with its loss

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"run.seed must be an integer >= 0, got {self.seed!r}")
        _check_positive_int("run", self, "checkpoint_every", "keep_checkpoints")


@dataclass(frozen=True)
class Config:
    board: BoardConfig
    search: SearchConfig
    net: NetConfig
    training: TrainingConfig
    evaluation: EvaluationConfig
    run: RunConfig

    def to_dict(self) -> dict:
        """Plain YAML-able sections; ``net``'s board size is left out (it follows ``board``)."""
        out = {name: dataclasses.asdict(getattr(self, name)) for name in SECTION_ORDER}
        for key in DERIVED_NET_KEYS:
            out["net"].pop(key)
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def replace(self, section: str, **changes) -> "Config":
        """A copy with some keys of one section changed (checked as when loading)."""
        merged = self.to_dict()
        merged[section].update(changes)
        return from_dict(merged)


def _net_config_class() -> type:
    from net import NetConfig
    return NetConfig


# section -> its dataclass, or a function importing it; in the order they are built
SECTIONS: dict = {
    "board": BoardConfig,
    "search": SearchConfig,
    "training": TrainingConfig,
    "evaluation": EvaluationConfig,
    "run": RunConfig,
    "net": _net_config_class,
}
DERIVED_NET_KEYS = ("board_width", "board_height")


SECTION_ORDER = ("board", "search", "net", "training", "evaluation", "run")  # as written out


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(key: str, value, tp):
    """Check ``value`` against the annotation ``tp``; ints are accepted where floats are."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(key, value, option)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{key}: bad value {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        return value
    raise ConfigError(f"{key} must be {_type_name(tp)}, got {type(value).__name__} {value!r}")


def _build(section: str, cls: type, values: dict, extra: dict | None = None):
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names or (section == "net" and key in DERIVED_NET_KEYS):
            hint = " (set by board.width/board.height)" if key in DERIVED_NET_KEYS else ""
            raise ConfigError(f"unknown key {section}.{key}{hint}")
        kwargs[key] = _coerce(f"{section}.{key}", value, hints[key])
    kwargs.update(extra or {})
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        message = message.replace(f"{cls.__name__}.", f"{section}.")
        if message.split(" ")[0] in names:  # "n_playout must be ..." -> "search.n_playout ..."
            message = f"{section}.{message}"
        elif not message.startswith(f"{section}."):
            message = f"{section}: {message}"
        raise ConfigError(message) from None


def from_dict(data) -> Config:
    """Build and check a Config from YAML-like sections; raises ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config must be a mapping of sections, got {type(data).__name__}")
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"unknown key {section!r} (sections: {', '.join(SECTIONS)})")
        if values is not None and not isinstance(values, dict):
            raise ConfigError(f"{section} must be a mapping, got {type(values).__name__}")
    parts = {}
    for section, cls in SECTIONS.items():
        values = data.get(section) or {}
        extra = None
        if section == "net":
            cls = cls()
            board = parts["board"]
            extra = {"board_width": board.width, "board_height": board.height}
        parts[section] = _build(section, cls, values, extra)
    return Config(**parts)


def load(path) -> Config:
    """Read a YAML file (safe_load) into a checked Config; raises ConfigError."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config {path} is not valid YAML{where}") from None
    return from_dict(data)
