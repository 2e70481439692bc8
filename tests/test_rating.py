"""Elo of one match, its SPRT and the Davidson ladder fit: hand computations and simulations."""
import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pipeline.rating import (RatingError, elo_from_score, fit_ratings, match_elo, score_from_elo,
                             sprt)

NAT = 400.0 / math.log(10.0)  # Elo per natural-log unit of strength


def davidson(elo_i, elo_j, nu):
    """P(i wins), P(j wins), P(draw) under Davidson's model."""
    weights = np.array([10 ** (elo_i / 400), 10 ** (elo_j / 400),
                        nu * math.sqrt(10 ** (elo_i / 400) * 10 ** (elo_j / 400))])
    return weights / weights.sum()


TRUE_ELO = {"p0": 0.0, "p1": 150.0, "p2": -100.0, "p3": 300.0, "p4": -250.0, "p5": 50.0}
TRUE_NU = 0.6


def round_robin(games, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i, j in combinations(TRUE_ELO, 2):
        wins_i, wins_j, draws = rng.multinomial(games, davidson(TRUE_ELO[i], TRUE_ELO[j], TRUE_NU))
        rows.append((i, j, int(wins_i), int(wins_j), int(draws)))
    return rows


def one_line_error(call, *args, match, **kwargs):
    with pytest.raises(RatingError, match=match) as info:
        call(*args, **kwargs)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


# -- one match ------------------------------------------------------------------------------------
def test_elo_from_score():
    assert elo_from_score(0.75) == pytest.approx(190.85, abs=0.01)  # 400 log10(3)
    assert round(elo_from_score(0.75)) == 191
    assert elo_from_score(0.5) == 0.0
    assert elo_from_score(0.25) == pytest.approx(-elo_from_score(0.75))
    assert elo_from_score(1.0) == math.inf and elo_from_score(0.0) == -math.inf
    assert score_from_elo(elo_from_score(0.6)) == pytest.approx(0.6)
    assert score_from_elo(-2000.0) == pytest.approx(1 / (1 + 10 ** 5))
    for bad in (1.5, -0.1, float("nan")):
        one_line_error(elo_from_score, bad, match="a score must lie in")


def test_match_elo_by_hand():
    # 30 wins, 10 losses, 10 draws: s = 35/50 = 0.7; per-game variance
    # (30 * 0.3^2 + 10 * 0.2^2 + 10 * 0.7^2) / 50 = 0.16; s.e. sqrt(0.16 / 50) = 0.056569
    # 95%: 0.7 -/+ 1.959964 * 0.056569 = 0.589128 .. 0.810872
    est = match_elo(30, 10, 10)
    assert (est.games, est.score) == (50, pytest.approx(0.7))
    assert est.elo == pytest.approx(400 * math.log10(0.7 / 0.3))
    assert est.elo_low == pytest.approx(400 * math.log10(0.589128 / 0.410872), abs=0.01)
    assert est.elo_high == pytest.approx(400 * math.log10(0.810872 / 0.189128), abs=0.01)
    rounded = (round(est.elo_low, 1), round(est.elo, 1), round(est.elo_high, 1))
    assert rounded == (62.6, 147.2, 252.9)
    wider = match_elo(30, 10, 10, confidence=0.99)
    assert wider.elo_low < est.elo_low and wider.elo_high > est.elo_high


def test_match_elo_is_antisymmetric():
    a, b = match_elo(12, 7, 5), match_elo(7, 12, 5)
    assert a.elo == pytest.approx(-b.elo)
    assert (a.elo_low, a.elo_high) == pytest.approx((-b.elo_high, -b.elo_low))


def test_match_elo_without_variance_uses_the_exact_bound():
    q = 0.025 ** (1 / 10)  # 10 of 10 games alike happen with chance 2.5% when that result has q
    wins, losses, draws = match_elo(10, 0, 0), match_elo(0, 10, 0), match_elo(0, 0, 10)
    assert wins.elo == math.inf and wins.elo_high == math.inf
    assert wins.elo_low == pytest.approx(400 * math.log10(q / (1 - q)))
    assert round(wins.elo_low, 1) == 140.2
    assert (losses.elo, losses.elo_low, losses.elo_high) == (-math.inf, -math.inf,
                                                             pytest.approx(-wins.elo_low))
    assert draws.elo == 0.0
    assert draws.elo_high == pytest.approx(elo_from_score(1 - q / 2)) == -draws.elo_low
    assert match_elo(100, 0, 0).elo_low > wins.elo_low  # more games, a tighter bound
    for n in range(1, 41):  # the open end stays infinite whatever the rounding of q
        assert match_elo(n, 0, 0).elo_high == math.inf
        assert match_elo(0, n, 0).elo_low == -math.inf


def test_match_elo_interval_past_a_score_of_one_is_unbounded():
    est = match_elo(99, 1, 0)  # 0.99 + 1.96 * sqrt(0.0099 / 100) > 1
    assert math.isfinite(est.elo) and math.isfinite(est.elo_low) and est.elo_high == math.inf


@pytest.mark.parametrize("args,message", [
    ((0, 0, 0), "no games"),
    ((-1, 3, 2), "wins must be a non-negative integer"),
    ((3, 2.0, 2), "losses must be a non-negative integer"),
    ((3, 2, True), "draws must be a non-negative integer"),
    ((3, 2, 1, 1.0), "confidence must lie strictly between 0 and 1"),
])
def test_match_elo_bad_input(args, message):
    one_line_error(match_elo, *args, match=message)


# -- SPRT -----------------------------------------------------------------------------------------
def best_loglik(wins, losses, draws, score):
    """The trinomial log-likelihood maximised over the draw rate by a fine grid search."""
    u = np.linspace(1e-12, 2 * min(score, 1 - score) - 1e-12, 400_001)  # P(draw)
    with np.errstate(divide="ignore"):
        ll = (wins * np.log(score - u / 2) + draws * np.log(u)
              + losses * np.log(1 - score - u / 2))
    return ll.max()


def test_sprt_by_hand():
    # 60 wins, 40 losses, 100 draws; H0 0 Elo: s0 = 0.5, H1 20 Elo: s1 = 1 / (1 + 10^-0.05)
    # = 0.528751. Under H0 the best trinomial is w, d, l = 0.25, 0.5, 0.25; under H1 the draw
    # rate u solves 200 u^2 - 298.84996 u + 99.66944 = 0: u = 0.502490, so 0.277506, 0.502490,
    # 0.220004. llr = 60 ln(0.277506 / 0.25) + 100 ln(0.50249 / 0.5) + 40 ln(0.220004 / 0.25)
    s1 = score_from_elo(20)
    assert s1 == pytest.approx(0.528751, abs=1e-6)
    by_hand = 60 * math.log(0.277506 / 0.25) + 100 * math.log(0.50249 / 0.5) \
        + 40 * math.log(0.220004 / 0.25)
    result = sprt(60, 40, 100, elo0=0, elo1=20)
    assert result.llr == pytest.approx(by_hand, abs=1e-4)
    searched = best_loglik(60, 40, 100, s1) - best_loglik(60, 40, 100, 0.5)
    assert result.llr == pytest.approx(searched, abs=1e-6)
    assert result.lower == pytest.approx(math.log(0.05 / 0.95))
    assert result.upper == pytest.approx(math.log(0.95 / 0.05))
    assert result.verdict == "continue"
    assert sprt(120, 80, 200, 0, 20).llr == pytest.approx(2 * by_hand, abs=1e-3)  # 3.29
    assert sprt(120, 80, 200, 0, 20).verdict == "H1"
    assert sprt(80, 120, 200, 0, 20).verdict == "H0"
    for counts in [(80, 120, 200), (7, 3, 0), (0, 4, 9), (13, 2, 5)]:
        for elo0, elo1 in [(0, 20), (-30, 10), (100, 200)]:
            expected = (best_loglik(*counts, score_from_elo(elo1))
                        - best_loglik(*counts, score_from_elo(elo0)))
            assert sprt(*counts, elo0, elo1).llr == pytest.approx(expected, abs=1e-6)
    strict = sprt(60, 40, 100, 0, 20, alpha=0.01, beta=0.2)
    assert strict.lower == pytest.approx(math.log(0.2 / 0.99))
    assert strict.upper == pytest.approx(math.log(0.8 / 0.01))


def test_sprt_agrees_with_the_normal_approximation_near_the_hypotheses():
    # 520 wins, 480 losses, 1000 draws: s = 0.51 near s0 = 0.5 and s1 = 0.507195 (5 Elo)
    var = (520 * 0.49 ** 2 + 1000 * 0.01 ** 2 + 480 * 0.51 ** 2) / 2000
    s0, s1 = 0.5, score_from_elo(5)
    normal = 2000 * (s1 - s0) * (2 * 0.51 - s0 - s1) / (2 * var)
    assert sprt(520, 480, 1000, 0, 5).llr == pytest.approx(normal, rel=2e-3)


def test_sprt_without_variance():
    s1 = score_from_elo(50)
    assert sprt(0, 0, 0, 0, 50).llr == 0.0 and sprt(0, 0, 0, 0, 50).verdict == "continue"
    one_win = sprt(1, 0, 0, 0, 50)
    assert one_win.llr == pytest.approx(math.log(s1 / 0.5)) and one_win.verdict == "continue"
    assert sprt(30, 0, 0, 0, 50).verdict == "H1"  # 30 log(1.143) = 4.0
    assert sprt(0, 30, 0, 0, 50).llr == pytest.approx(30 * math.log((1 - s1) / 0.5))
    assert sprt(0, 30, 0, 0, 50).verdict == "H0"
    # draws only favour the hypothesis nearer equal strength: min(s1, 1 - s1) / 0.5 < 1
    assert sprt(0, 0, 60, 0, 20).llr == pytest.approx(60 * math.log((1 - score_from_elo(20)) / 0.5))
    assert sprt(0, 0, 60, 0, 20).verdict == "H0"


def sprt_verdicts(true_elo, runs, seed, elo0=0.0, elo1=50.0, nu=0.5, max_games=5000):
    """Verdicts of SPRTs checked after every game of simulated Davidson matches."""
    rng = np.random.default_rng(seed)
    p = davidson(true_elo, 0.0, nu)
    verdicts = []
    for _ in range(runs):
        results = rng.choice(3, size=max_games, p=p)
        counts = [0, 0, 0]  # wins, losses, draws
        verdict = "continue"
        for r in results:
            counts[r] += 1
            verdict = sprt(*counts, elo0, elo1).verdict
            if verdict != "continue":
                break
        verdicts.append(verdict)
    return verdicts


def test_sprt_accepts_h1_for_a_clearly_stronger_player():
    verdicts = sprt_verdicts(150.0, runs=200, seed=11)
    assert verdicts.count("H1") >= 0.95 * len(verdicts)


def test_sprt_accepts_h0_for_equal_players():
    verdicts = sprt_verdicts(0.0, runs=200, seed=12)
    assert verdicts.count("H0") >= 0.9 * len(verdicts)
    assert verdicts.count("H1") <= 0.1 * len(verdicts)  # alpha is 0.05


@pytest.mark.parametrize("args,message", [
    ((5, 5, 5, 10, 10), "finite elo0 < elo1"),
    ((5, 5, 5, 10, 0), "finite elo0 < elo1"),
    ((5, 5, 5, 0, math.inf), "finite elo0 < elo1"),
    ((5, 5, 5, 0, 10, 0.0), "alpha and beta must lie in"),
    ((5, 5, 5, 0, 10, 0.6, 0.5), "alpha \\+ beta < 1"),
    ((5, -5, 5, 0, 10), "losses must be a non-negative integer"),
])
def test_sprt_bad_input(args, message):
    one_line_error(sprt, *args, match=message)


# -- the ladder fit -------------------------------------------------------------------------------
def test_two_players_match_the_closed_form():
    # Davidson with two players: theta difference log(w / l), nu = d / sqrt(w l); the weak
    # prior moves them slightly
    ratings = fit_ratings([("a", "b", 30, 10, 20)], ["a", "b"], anchor="b")
    assert ratings["a"].elo == pytest.approx(400 * math.log10(3), abs=2.0)
    assert ratings.draw_nu == pytest.approx(20 / math.sqrt(300), abs=0.01)
    assert ratings["a"].games == ratings["b"].games == 60
    assert ratings["a"].low < ratings["a"].elo < ratings["a"].high
    assert ratings["a"].high - ratings["a"].low == pytest.approx(2 * 1.959964 * ratings["a"].stderr)


def test_a_simulated_population_is_recovered_within_its_intervals():
    ratings = fit_ratings(round_robin(100, seed=0), list(TRUE_ELO), anchor="p0")
    for player, elo in TRUE_ELO.items():
        rating = ratings[player]
        assert rating.low <= elo <= rating.high, (player, elo, rating)
        assert rating.games == 500
    assert ratings["p0"].stderr == 0.0
    assert all(10 < ratings[p].stderr < 60 for p in TRUE_ELO if p != "p0")
    assert ratings.draw_nu == pytest.approx(TRUE_NU, rel=0.15)


def test_standard_errors_are_calibrated():
    """Over many seeded populations, (fit - truth) / stderr has a mean square near 1."""
    z2, inside = [], []
    for seed in range(25):
        ratings = fit_ratings(round_robin(60, seed=100 + seed), list(TRUE_ELO), anchor="p0")
        for player, elo in TRUE_ELO.items():
            if player != "p0":
                z2.append(((ratings[player].elo - elo) / ratings[player].stderr) ** 2)
                inside.append(ratings[player].low <= elo <= ratings[player].high)
    assert 0.7 < np.mean(z2) < 1.4
    assert np.mean(inside) >= 0.88


def test_symmetric_results_give_equal_ratings():
    cycle = [("a", "b", 6, 4, 2), ("b", "c", 6, 4, 2), ("c", "a", 6, 4, 2)]
    ratings = fit_ratings(cycle, ["a", "b", "c"], anchor="a")
    assert ratings["b"].elo == pytest.approx(0.0, abs=1e-6)
    assert ratings["c"].elo == pytest.approx(0.0, abs=1e-6)
    assert ratings["b"].stderr == pytest.approx(ratings["c"].stderr)
    chain = [("a", "b", 7, 3, 2), ("b", "c", 7, 3, 2)]
    ratings = fit_ratings(chain, ["a", "b", "c"], anchor="b")
    assert ratings["a"].elo > 50 and ratings["a"].elo == pytest.approx(-ratings["c"].elo)
    assert ratings["a"].stderr == pytest.approx(ratings["c"].stderr)


def test_the_anchor_stays_put_and_shifts_everyone():
    rows = round_robin(20, seed=5)
    base = fit_ratings(rows, list(TRUE_ELO), anchor="p2")
    shifted = fit_ratings(rows, list(TRUE_ELO), anchor="p2", anchor_elo=1500.0)
    assert shifted["p2"].elo == 1500.0 and shifted["p2"].stderr == 0.0
    assert (shifted["p2"].low, shifted["p2"].high) == (1500.0, 1500.0)
    for p in TRUE_ELO:
        assert shifted[p].elo == pytest.approx(base[p].elo + 1500.0, abs=1e-6)
        assert shifted[p].stderr == pytest.approx(base[p].stderr)


counts = st.integers(min_value=0, max_value=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts), min_size=2, max_size=2))
def test_row_order_and_orientation_do_not_matter(pairs):
    (w1, l1, d1), (w2, l2, d2) = pairs
    if w1 + l1 + d1 == 0 or w2 + l2 + d2 == 0:
        return  # c or a would not be connected to b
    rows = [("a", "b", w1, l1, d1), ("b", "c", w2, l2, d2)]
    flipped = [("c", "b", l2, w2, d2), ("b", "a", l1, w1, d1), ("a", "c", 0, 0, 0)]
    one = fit_ratings(rows, ["a", "b", "c"], anchor="b")
    other = fit_ratings(flipped, ["c", "a", "b"], anchor="b")
    for p in "abc":
        assert one[p].elo == pytest.approx(other[p].elo, abs=1e-4)
        assert one[p].stderr == pytest.approx(other[p].stderr, rel=1e-4)
        assert math.isfinite(one[p].elo) and math.isfinite(one[p].stderr)


def test_undefeated_and_winless_players_get_finite_ratings():
    rows = [("top", "mid", 10, 0, 0), ("mid", "low", 10, 0, 0), ("mid", "other", 5, 5, 0)]
    ratings = fit_ratings(rows, ["top", "mid", "low", "other"], anchor="mid")
    assert 300 < ratings["top"].elo < 2000 and math.isfinite(ratings["top"].stderr)
    assert ratings["low"].elo == pytest.approx(-ratings["top"].elo)
    assert ratings["top"].low < 300  # 10 games cannot pin it down
    assert 0 < ratings.draw_nu < 0.5  # no draws at all: the prior keeps nu small but positive


def test_players_without_games_against_each_other():
    ratings = fit_ratings([], ["solo"], anchor="solo", anchor_elo=1200.0)
    assert ratings["solo"].elo == 1200.0 and ratings["solo"].games == 0
    with pytest.raises(KeyError):
        ratings["nobody"]


@pytest.mark.parametrize("rows,players,anchor,message", [
    ([("a", "x", 1, 1, 1)], ["a", "b"], "a", "result row 0: unknown player 'x'"),
    ([("a", "b", 1, -1, 1)], ["a", "b"], "a", "result row 0: wins_j must be a non-negative"),
    ([("a", "b", 1, 1, 0.5)], ["a", "b"], "a", "result row 0: draws must be a non-negative"),
    ([("a", "b", 1, 1)], ["a", "b"], "a", "result row 0: expected \\(i, j, wins_i, wins_j"),
    ([("a", "a", 1, 1, 1)], ["a", "b"], "a", "result row 0: player 'a' plays itself"),
    ([("a", "b", 1, 1, 1)], ["a", "b", "a"], "a", "player 'a' is listed twice"),
    ([("a", "b", 1, 1, 1)], ["a", "b"], "z", "anchor 'z' is not one of the players"),
    ([("a", "b", 1, 1, 1), ("c", "d", 2, 0, 0)], ["a", "b", "c", "d"], "a",
     "no games connect 'c', 'd' to the anchor 'a'"),
    ([("a", "b", 1, 1, 1), ("b", "c", 0, 0, 0)], ["a", "b", "c"], "a",
     "no games connect 'c' to the anchor"),
])
def test_fit_ratings_bad_input(rows, players, anchor, message):
    one_line_error(fit_ratings, rows, players, anchor, match=message)
