"""What a match reports: one JSON document and the table printed from it.

The document (``summary``) holds the players (``a``, ``b``: spec and label), the board, the seed
and openings used, the counts from A's side (``games``, ``a_wins``, ``a_losses``, ``draws``,
``score``), the Elo of A over B with its interval (``elo``, ``elo_low``, ``elo_high``,
``confidence``, ``elo_model``), the counts per colour of A (``a_black``, ``a_white``: games,
wins, losses, draws, score), the SPRT when asked for (``sprt``, else null) and every game
(``records``: ``game``, ``black`` "A" or "B", ``opening`` and ``moves`` as move numbers
``row * width + col``, ``winner`` "A", "B" or "draw", ``forfeit`` the reason or null). Numbers
that are not finite (the Elo of a match won or lost in every game, a score without games) are
null, as in metrics.jsonl; the score tells the sign.
"""
from __future__ import annotations

import json
import math
import re

from .match import A, MatchResult
from .rating import sprt

ELO_MODEL = ("trinomial: the mean game score is normal with the observed per-game variance, its "
             "interval mapped through the logistic Elo curve; exact (Clopper-Pearson) when every "
             "game had the same result")
_INT_LIST = re.compile(r"\[[-\d,\s]*\]")


def _counts(counts) -> dict:
    return {"games": counts.games, "wins": counts.wins, "losses": counts.losses,
            "draws": counts.draws, "score": counts.score}


def summary(result: MatchResult, a, b, board, seed: int, openings: str,
            confidence: float = 0.95, sprt_test: tuple | None = None) -> dict:
    """The match's document (see the module docstring), its numbers still floats (``json_text``
    writes it). ``sprt_test``: ``(elo0, elo1, alpha, beta)`` or None."""
    total = result.counts()
    elo = result.elo(confidence)
    test = None
    if sprt_test is not None:
        elo0, elo1, alpha, beta = sprt_test
        r = sprt(total.wins, total.losses, total.draws, elo0, elo1, alpha, beta)
        test = {"elo0": elo0, "elo1": elo1, "alpha": alpha, "beta": beta, "llr": r.llr,
                "lower": r.lower, "upper": r.upper, "verdict": r.verdict}
    return {
        "a": {"spec": a.spec, "label": a.label}, "b": {"spec": b.spec, "label": b.label},
        "board": board.label, "seed": seed, "openings": openings,
        "games": total.games, "a_wins": total.wins, "a_losses": total.losses,
        "draws": total.draws, "score": total.score,
        "elo": elo.elo, "elo_low": elo.elo_low, "elo_high": elo.elo_high,
        "confidence": confidence, "elo_model": ELO_MODEL,
        "a_black": _counts(result.counts(a_black=True)),
        "a_white": _counts(result.counts(a_black=False)),
        "sprt": test,
        "records": [{"game": i, "black": A if r.a_black else "B", "opening": list(r.opening),
                     "moves": list(r.moves), "winner": r.winner, "forfeit": r.forfeit}
                    for i, r in enumerate(result.records)],
    }


def json_text(doc: dict) -> str:
    """A document (of a match, or any JSON-like dict) as JSON, every number that is not finite
    written as null."""
    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    text = json.dumps(clean(doc), indent=1)
    # lists of integers (openings, moves) on one line each
    return _INT_LIST.sub(lambda m: re.sub(r"\s+", "", m.group(0)).replace(",", ", "), text) + "\n"


def table(doc: dict) -> list[str]:
    """The lines printed for a match document."""
    lines = [f"A: {doc['a']['label']}  [{doc['a']['spec']}]",
             f"B: {doc['b']['label']}  [{doc['b']['spec']}]",
             f"board {doc['board']}, {doc['games']} games, openings: {doc['openings']}, "
             f"seed {doc['seed']}", ""]
    for r in doc["records"]:
        if r["forfeit"]:
            lines.append(f"game {r['game']}: {r['forfeit']}")
    if lines[-1]:
        lines.append("")
    lines.append(f"{'':<12}{'games':>6}{'A wins':>8}{'A losses':>10}{'draws':>7}{'A score':>9}")
    rows = (("A as black", doc["a_black"]), ("A as white", doc["a_white"]),
            ("all", {"games": doc["games"], "wins": doc["a_wins"], "losses": doc["a_losses"],
                     "draws": doc["draws"], "score": doc["score"]}))
    for name, c in rows:
        score = f"{c['score']:.3f}" if c["games"] else "-"
        lines.append(f"{name:<12}{c['games']:>6}{c['wins']:>8}{c['losses']:>10}{c['draws']:>7}"
                     f"{score:>9}")
    lines += ["", f"Elo of A over B: {doc['elo']:+.0f} ({doc['confidence']:.0%} interval "
                  f"{doc['elo_low']:+.0f} to {doc['elo_high']:+.0f}; trinomial model, "
                  f"games taken as independent)"]
    t = doc["sprt"]
    if t is not None:
        lines.append(f"SPRT elo0={t['elo0']:g} elo1={t['elo1']:g} alpha={t['alpha']:g} "
                     f"beta={t['beta']:g}: llr {t['llr']:.3f} (bounds {t['lower']:.3f}, "
                     f"{t['upper']:.3f}): {t['verdict']}")
    return lines
