"""The rating ladder of a run: its generations against their neighbours and fixed anchors.

Entrants are the anchors (player specs such as ``pure:1000`` or ``random``, named by their spec)
and the run's generations (generations.py, named ``gen-<batch:08d>``, playing as
``model:generations/gen-<batch:08d>.model:PLAYOUTS`` from the run directory). Pairings: every
generation plays the one before it and every anchor (``pairings``); anchors do not play each
other. A pairing is a match (match.py) of ``games_per_pair`` games from random
``openings``-stone openings, each played with both colours, seeded from the ladder's seed and the
two names, so it is the same whenever it is played.

``RUN_DIR/ladder.json`` holds every pairing's results and is rewritten atomically after each
one, so a ladder stopped at any moment loses at most the pairing it was playing, and a later call
plays only the pairings it lacks (a new generation: its pairing with the one before and with each
anchor). It records each entrant's spec: an entrant whose spec changed (other playouts) is an
error rather than a silent mix. Ratings are fitted over all recorded pairings between the current
entrants with rating.fit_ratings (Davidson's Bradley-Terry, maximum likelihood under a weak
prior), the first anchor at 0 Elo, and written there too.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from gomoku import BoardConfig, InputError
from gomoku.openings import random_openings
from net.atomic_file import atomic_write_bytes

from . import match
from .generations import GENERATIONS_DIR, Generation
from .match_report import json_text
from .rating import Ratings, fit_ratings

LADDER_FILE = "ladder.json"
FORMAT_VERSION = 1


class LadderError(InputError):
    """A ladder that cannot go on as asked (one line naming why)."""


@dataclass(frozen=True)
class Entrant:
    """A ladder player: its name, its spec, and for a generation its games and seconds."""

    name: str
    spec: str
    batch: int | None = None
    seconds: float | None = None


def generation_entrant(generation: Generation, playouts: int) -> Entrant:
    spec = f"model:{GENERATIONS_DIR}/{generation.model.name}:{playouts}"
    return Entrant(generation.name, spec, generation.batch, generation.seconds)


def anchor_entrant(spec: str) -> Entrant:
    return Entrant(spec, spec)


def pairings(generations: list[Entrant], anchors: list[Entrant]) -> list[tuple[Entrant, Entrant]]:
    """Each generation (oldest first) with the one before it, then with every anchor."""
    pairs = []
    for i, g in enumerate(generations):
        if i:
            pairs.append((generations[i - 1], g))
        pairs.extend((g, anchor) for anchor in anchors)
    return pairs


def pairing_seed(seed: int, a: str, b: str) -> int:
    """The seed of the pairing of the entrants named ``a`` and ``b`` (in this order)."""
    words = [seed, zlib.crc32(a.encode()), zlib.crc32(b.encode())]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def _key(a: str, b: str) -> frozenset:
    return frozenset((a, b))


def load(path: Path, board: BoardConfig) -> dict:
    """The ladder file at ``path`` (a new one if there is none); LadderError if it is not a
    ladder of this board."""
    if not path.exists():
        return {"format": FORMAT_VERSION, "board": board.label, "entrants": {}, "pairings": [],
                "ratings": None}
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != FORMAT_VERSION or not isinstance(doc.get("pairings"), list):
            raise ValueError("not a ladder file of this version")
    except (OSError, ValueError, AttributeError) as exc:
        raise LadderError(f"{path}: cannot read the ladder ({exc})") from None
    if doc["board"] != board.label:
        raise LadderError(f"{path} is a ladder of {doc['board']}, this run plays {board.label}")
    return doc


def _save(path: Path, doc: dict) -> None:
    atomic_write_bytes(path, json_text(doc).encode())


@dataclass(frozen=True)
class LadderResult:
    played: list[tuple[str, str]]  # the pairings played by this call, in order
    ratings: Ratings
    doc: dict  # what ladder.json now holds


def _counts(counts: match.Counts) -> dict:
    return {"wins": counts.wins, "losses": counts.losses, "draws": counts.draws}


def run_ladder(run_dir, board: BoardConfig, generations: list[Entrant], anchors: list[Entrant],
               games_per_pair: int, openings: int, seed: int,
               make_player: Callable[[str], object], log: Callable[[str], None] = print
               ) -> LadderResult:
    """Play the pairings ``ladder.json`` lacks, then fit and record the ratings.

    ``make_player(spec)`` makes an entrant's player (players.parse_spec from the run directory);
    a player is made when its first pairing comes and closed after its last one.
    """
    if not anchors:
        raise LadderError("a ladder needs at least one anchor (its first is at 0 Elo)")
    if not generations:
        raise LadderError(f"no generations in {Path(run_dir) / GENERATIONS_DIR} "
                          f"(train with run.keep_generation_every > 0)")
    if games_per_pair < 2 or games_per_pair % 2:
        raise LadderError(f"games per pairing must be even and at least 2, got {games_per_pair}")
    path = Path(run_dir) / LADDER_FILE
    doc = load(path, board)
    entrants = generations + anchors
    for e in entrants:
        known = doc["entrants"].get(e.name)
        if known is not None and known["spec"] != e.spec:
            raise LadderError(f"{path} rated {e.name} as {known['spec']}, now it is {e.spec} "
                              f"(move {LADDER_FILE} away to start a new ladder)")
        doc["entrants"][e.name] = {"spec": e.spec, "batch": e.batch, "seconds": e.seconds}
    done = {_key(p["a"], p["b"]) for p in doc["pairings"]}
    todo = [(a, b) for a, b in pairings(generations, anchors) if _key(a.name, b.name) not in done]
    made, played = {}, []
    try:
        for k, (a, b) in enumerate(todo):
            for e in (a, b):
                if e.name not in made:
                    made[e.name] = make_player(e.spec)
            pair_seed = pairing_seed(seed, a.name, b.name)
            chosen = random_openings(board.width, board.height, board.n_in_row, openings,
                                     games_per_pair // 2, pair_seed, board.rule) \
                if openings else None
            result = match.play_games(made[a.name], made[b.name], board, games_per_pair, chosen,
                                      pair_seed, desc=f"{a.name} vs {b.name}")
            total = result.counts()
            doc["pairings"].append({
                "a": a.name, "b": b.name, "games": total.games, "a_wins": total.wins,
                "a_losses": total.losses, "draws": total.draws,
                "a_black": _counts(result.counts(a_black=True)),
                "a_white": _counts(result.counts(a_black=False)),
                "forfeits": [r.forfeit for r in result.records if r.forfeit],
                "openings": openings, "seed": pair_seed})
            _save(path, doc)
            played.append((a.name, b.name))
            log(f"{a.name} vs {b.name}: +{total.wins} -{total.losses} ={total.draws}, "
                f"score {total.score:.3f}")
            still = {e.name for pair in todo[k + 1:] for e in pair}
            for name in [n for n in made if n not in still]:
                made.pop(name).close()
    finally:
        for player in made.values():
            player.close()
    ratings = rate(doc, entrants, anchors[0].name)
    rows = []
    for r in ratings.players:
        known = doc["entrants"][r.player]
        rows.append({"player": r.player, "elo": r.elo, "stderr": r.stderr, "low": r.low,
                     "high": r.high, "games": r.games, "batch": known["batch"],
                     "seconds": known["seconds"]})
    doc["ratings"] = {"anchor": ratings.anchor, "confidence": ratings.confidence,
                      "draw_nu": ratings.draw_nu, "players": rows}
    _save(path, doc)
    return LadderResult(played, ratings, doc)


def rate(doc: dict, entrants: list[Entrant], anchor: str) -> Ratings:
    """Ratings of ``entrants`` from the recorded pairings between them, ``anchor`` at 0 Elo."""
    names = {e.name for e in entrants}
    rows = [(p["a"], p["b"], p["a_wins"], p["a_losses"], p["draws"]) for p in doc["pairings"]
            if p["a"] in names and p["b"] in names]
    return fit_ratings(rows, [e.name for e in entrants], anchor)
