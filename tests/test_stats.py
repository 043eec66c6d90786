"""The shared statistics recover a planted truth: overdispersion, its funnel limits and rank intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.analyse import stats

THETA = 0.0045  # about England's rate of child protection plans per child
UNITS = 150


def _authorities(rng, tau: float, units: int = UNITS):
    """Child populations from 10,000 to 300,000, true rates spread about THETA by ``tau``, binomial counts."""
    n = np.round(np.exp(rng.uniform(np.log(10_000), np.log(300_000), units)))
    p = np.clip(THETA + rng.normal(0, tau, units), 1e-5, 1)
    return n, p, rng.binomial(n.astype("int64"), p)


def _beyond(y, n, lo, hi) -> float:
    r = y / n
    return float(np.mean((r < lo) | (r > hi)))


def test_no_extra_binomial_variation_gives_no_tau_and_the_chance_count_beyond_the_limits():
    rng = np.random.default_rng(1)
    taus, beyond = [], []
    for _ in range(100):
        n, _, y = _authorities(rng, 0.0)
        od = stats.overdispersion(y, n, THETA)
        taus.append(od.tau2)
        beyond.append(_beyond(y, n, *stats.funnel_limits_overdispersed(od, n, 0.998)))
    # Winsorising shrinks phi below 1 under the null, so tau^2 is zero in (nearly) every set
    assert np.mean(np.array(taus) == 0) >= 0.95
    # 0.2% expected beyond 99.8% limits; over 15,000 authorities, within 0.1 points
    assert abs(np.mean(beyond) - 0.002) < 0.001


@pytest.mark.parametrize("tau", [0.0005, 0.001, 0.002])
def test_a_planted_tau_is_recovered_without_winsorising_and_attenuated_with_it(tau):
    rng = np.random.default_rng(2)
    raw, wins, beyond = [], [], []
    for _ in range(60):
        n, _, y = _authorities(rng, tau)
        od_raw = stats.overdispersion(y, n, THETA, winsor=0.0)
        raw.append(od_raw.tau)
        wins.append(stats.overdispersion(y, n, THETA).tau)
        beyond.append(_beyond(y, n, *stats.funnel_limits_overdispersed(od_raw, n, 0.998)))
    # the moment estimator is close to unbiased: the mean estimate within 10% of the planted tau
    assert np.mean(raw) == pytest.approx(tau, rel=0.10)
    # 10% Winsorising at each end trades bias for robustness: it recovers 55% to 85% of tau
    assert 0.55 * tau < np.mean(wins) < 0.85 * tau
    # with tau recovered, the limits hold all but about 0.2% (rates drawn from a normal, so 1% at most)
    assert np.mean(beyond) < 0.01


def test_overdispersion_is_robust_to_a_few_wild_authorities():
    rng = np.random.default_rng(3)
    n, _, y = _authorities(rng, 0.001)
    clean = stats.overdispersion(y, n, THETA)
    wild = y.copy()
    wild[:3] = (n[:3] * THETA * 4).astype("int64")  # three authorities at four times the rate
    assert stats.overdispersion(wild, n, THETA).tau == pytest.approx(clean.tau, rel=0.25)
    assert stats.overdispersion(wild, n, THETA, winsor=0.0).tau > 1.5 * clean.tau


def test_overdispersion_on_too_few_authorities_is_undefined_not_an_error():
    od = stats.overdispersion([1, 2], [100, 200], 0.01)
    assert np.isnan(od.phi) and od.units == 2


@pytest.mark.parametrize("tau", [0.001, 0.002])
def test_rank_intervals_cover_the_true_rank(tau):
    """A parametric bootstrap around each authority's own rate: nominal 95%, and known to cover a little
    less when authorities are close together; over 30 sets the coverage lies between 88% and 99%."""
    rng = np.random.default_rng(4)
    cover = []
    for i in range(30):
        n, p, y = _authorities(rng, tau)
        ri = stats.rank_intervals(y, n, 200, seed=i)
        true = pd.Series(p).rank(ascending=False).to_numpy()
        cover.append(np.mean((ri["lo"] <= true) & (true <= ri["hi"])))
        assert (ri["lo"] <= ri["rank"]).mean() > 0.97 and (ri["rank"] <= ri["hi"]).mean() > 0.97
    assert 0.88 <= np.mean(cover) <= 0.99


def test_rank_intervals_narrow_as_authorities_spread_apart():
    rng = np.random.default_rng(5)
    width = {}
    for tau in (0.0005, 0.002):
        n, _, y = _authorities(rng, tau)
        width[tau] = stats.distinguishable(stats.rank_intervals(y, n, 200, seed=1))["median_width"]
    assert width[0.002] < width[0.0005] / 2


def test_distinguishable_counts_the_authorities_confidently_in_each_quarter():
    ranks = pd.DataFrame(
        {"rank": [1, 2, 3, 4, 5, 6, 7, 8], "lo": [1, 1, 2, 1, 3, 5, 7, 7], "hi": [1, 3, 4, 6, 7, 8, 8, 8]}
    )
    d = stats.distinguishable(ranks)
    assert (d["top"], d["bottom"], d["middle"], d["quarter"]) == (1, 2, 5, 2)
    assert d["median_width"] == pytest.approx(2.0)


def test_no_draws_gives_the_rank_as_its_own_interval():
    ri = stats.rank_intervals([5, 10, 1], [1000, 1000, 1000], 0, seed=1)
    assert ri["rank"].tolist() == [2, 1, 3] and (ri["lo"] == ri["rank"]).all() and (ri["hi"] == ri["rank"]).all()


def test_the_same_seed_gives_the_same_intervals():
    rng = np.random.default_rng(6)
    n, _, y = _authorities(rng, 0.001)
    a, b = stats.rank_intervals(y, n, 100, seed=9), stats.rank_intervals(y, n, 100, seed=9)
    pd.testing.assert_frame_equal(a, b)
