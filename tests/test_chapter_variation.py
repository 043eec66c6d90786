"""The variation chapter: distributions, rank stability, funnel limits, the small authorities, and the notebook."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cscbook import contract, params
from cscbook.analyse import measures, stats
from cscbook.chapters.context import Context
from cscbook.chapters.variation import funnel as va_funnel
from cscbook.chapters.variation import stats as va_stats
from tests.conftest import run_chapter


def make_ctx(prep: contract.Prepared, region: str = "", highlight: str = "") -> Context:
    """A chapter context on a prepared data set, without reading or generating anything."""
    p = params.VariationParams(region=region, highlight=highlight)
    panel = prep.panel.copy()
    view = panel[panel["region"] == region].copy() if region else panel
    name = None
    if highlight:
        name = str(panel.loc[panel["la_code"] == highlight, "la_name"].iloc[0])
    return Context("variation", p, prep, panel, view, highlight or None, name)


def hand_panel() -> pd.DataFrame:
    """Five authorities in one year with round numbers: 10,000 children each."""
    n = 5
    df = pd.DataFrame(
        {
            "la_code": [f"T{i}" for i in range(n)],
            "la_name": ["A", "B", "C", "D", "E"],
            "region": ["London"] * n,
            "year": [2018] * n,
            "pop_0_17": [10_000.0] * n,
            "cin_episodes": [300.0, 500.0, 400.0, 700.0, 600.0],
            "cpp_31mar": [20.0, 60.0, 40.0, np.nan, 30.0],
            "cla_31mar": [50.0, 50.0, 50.0, 50.0, 90.0],
        }
    )
    for c in contract.SPEND:
        df[c] = 0.0
    df["spend_cla"] = [6e6, 8e6, 10e6, 12e6, 14e6]  # £600 to £1,400 per child
    return df


def test_distribution_min_quartiles_max_on_a_hand_made_panel():
    cs = va_stats.measures_frame(hand_panel())
    d = va_stats.distribution(cs)
    cin = d.loc[va_stats.MEASURES["cin_episode_rate"]]
    assert (
        cin["Minimum"],
        cin["Lower quartile"],
        cin["Median"],
        cin["Upper quartile"],
        cin["Maximum"],
    ) == pytest.approx((300, 400, 500, 600, 700))
    assert cin["Lowest"] == "A" and cin["Highest"] == "D"
    cpp = d.loc[va_stats.MEASURES["cpp_rate"]]  # one suppressed count: four authorities
    assert cpp["Authorities"] == 4
    assert cpp["Minimum"] == 20 and cpp["Maximum"] == 60
    assert cpp["Lower quartile"] == pytest.approx(np.percentile([20, 30, 40, 60], 25))
    assert cpp["Median"] == pytest.approx(35)
    spend = d.loc[va_stats.MEASURES["spend_pc"]]
    assert (spend["Minimum"], spend["Median"], spend["Maximum"]) == pytest.approx((600, 1000, 1400))
    assert spend["Highest / lowest"] == pytest.approx(1400 / 600)


def test_a_range_from_zero_is_said_in_words_not_as_a_ratio():
    cs = va_stats.measures_frame(hand_panel())
    cs.loc[cs.index[:2], "cla_rate"] = 0.0  # two of five: the 10th percentile is zero
    said = va_stats.ends_sentence(va_stats.distribution(cs), "cla_rate")
    assert "nan" not in said and "inf" not in said and "the 10th percentile is zero" in said
    cs.loc[cs.index[1], "cla_rate"] = 55.0  # one zero: the headline ratio is of the percentiles, not the ends
    said = va_stats.ends_sentence(va_stats.distribution(cs), "cla_rate")
    assert "a ratio of" in said and "the whole range: 0 in" in said
    assert "a ratio of 1.2 to 1" in va_stats.ends_sentence(
        va_stats.distribution(cs.assign(cla_rate=[50, 60, 55, 52, 58])), "cla_rate"
    )


def test_summarise_ignores_missing_and_handles_empty():
    s = va_stats.summarise(pd.Series([np.nan, 5.0, 1.0, 3.0]))
    assert s["Authorities"] == 3 and s["Minimum"] == 1 and s["Median"] == 3 and s["Maximum"] == 5
    assert va_stats.summarise(pd.Series([np.nan]))["Authorities"] == 0


def test_funnel_limits_contain_about_95_percent_when_every_authority_has_the_national_rate(england):
    last = england.panel[england.panel["year"] == 2018]
    n = last["pop_0_17"].to_numpy(dtype=float)
    theta = 45 / 10_000
    rng = np.random.default_rng(7)
    counts = rng.binomial(n.astype(int)[None, :], theta, size=(400, n.size))
    rates = counts / n
    lo95, hi95 = stats.funnel_limits(theta, n, 0.95)
    lo998, hi998 = stats.funnel_limits(theta, n, 0.998)
    inside95 = ((rates >= lo95) & (rates <= hi95)).mean()
    outside998 = ((rates < lo998) | (rates > hi998)).mean()
    assert 0.94 <= inside95 <= 0.96, inside95
    assert outside998 < 0.004, outside998
    assert np.all(np.diff(hi95[np.argsort(n)]) <= 1e-12)  # the funnel narrows as population grows


def test_funnel_on_a_panel_without_real_differences_finds_few_outliers(england):
    prep = contract.Prepared(england.panel.copy(), england.flags, england.meta, england.truth)
    p = prep.panel
    rng = np.random.default_rng(11)
    pop = p["pop_0_17"].to_numpy(dtype=float)
    p["cpp_31mar"] = pd.array(rng.binomial(pop.astype(int), 45 / 10_000).astype(float), dtype="Float64")
    s = va_funnel.funnel_summary(va_funnel.funnel(make_ctx(prep)))
    assert s["n"] == 152
    assert s["outside"] <= 3
    assert s["within95_share"] > 88
    assert "chance" in va_funnel.funnel_verdict(s) and "consistent" in va_funnel.funnel_verdict(s)


def test_funnel_on_synthetic_england_finds_more_outliers_than_chance(england):
    f = va_funnel.funnel(make_ctx(england))
    s = va_funnel.funnel_summary(f)
    assert s["outside"] > 10 * s["expected"]
    assert s["rate"] == pytest.approx(measures.national_rates(england.panel, ["cpp_31mar"]).loc[2018, "cpp_31mar"])
    outside = f[f["position"].str.contains("99.8")]
    assert ((outside["rate"] > outside["hi_998"]) | (outside["rate"] < outside["lo_998"])).all()


def _planted(england, tau: float, seed: int = 11):
    """Synthetic England with its last-year plans redrawn: binomial on England's rate plus a normal spread
    ``tau`` (per child) between authorities; returns the context and each authority's true rate."""
    prep = contract.Prepared(england.panel.copy(), england.flags, england.meta, england.truth)
    p = prep.panel
    rng = np.random.default_rng(seed)
    pop = p["pop_0_17"].to_numpy(dtype=float)
    true = np.clip(45 / 10_000 + rng.normal(0, tau, len(p)), 1e-5, 1)
    p["cpp_31mar"] = pd.array(rng.binomial(pop.astype(int), true).astype(float), dtype="Float64")
    return make_ctx(prep), pd.Series(true, index=p.index)


def test_overdispersed_limits_on_synthetic_england_with_no_and_with_a_planted_spread(england):
    ctx, _ = _planted(england, 0.0)
    s = va_funnel.funnel_summary(va_funnel.funnel(ctx))
    assert s["tau"] == 0 and s["od_outside"] <= 3
    assert "no more than chance" in va_funnel.overdispersion_sentence(s)
    tau = 10 / 10_000  # a between-authority standard deviation of 10 plans per 10,000
    ctx, _ = _planted(england, tau)
    s = va_funnel.funnel_summary(va_funnel.funnel(ctx))
    # Winsorised at 10% each end, tau is recovered at 55% to 85% (tests/test_stats.py measures why)
    assert 0.55 * 10 < s["tau"] < 0.85 * 10
    assert s["outside"] > 20 and s["od_outside"] <= 8
    assert f"{s['od_outside']} of 152" in va_funnel.overdispersion_sentence(s)


def test_rank_intervals_on_synthetic_england_cover_the_planted_ranks(england):
    ctx, true = _planted(england, 10 / 10_000, seed=12)
    f = va_funnel.funnel(ctx)
    last = ctx.view["year"] == ctx.last
    truth = true[last & ctx.view["cpp_31mar"].notna()].rank(ascending=False).to_numpy()
    covered = np.mean((f["rank_lo"].to_numpy() <= truth) & (truth <= f["rank_hi"].to_numpy()))
    assert covered >= 0.85
    assert "cannot be placed with confidence" in va_funnel.rank_sentence(ctx, f)


def test_spearman_stability_is_one_when_ranks_do_not_change_and_near_zero_when_they_are_shuffled():
    rng = np.random.default_rng(3)
    base = rng.lognormal(3.8, 0.4, 150)
    years = range(2011, 2019)
    steady = pd.DataFrame({y: base * 1.03 ** (y - 2011) * (1 + 1e-6 * rng.random(150)) for y in years})
    s = stats.spearman_stability(steady)
    assert len(s) == 8 and s.index[-1].startswith("First to last")
    assert (s > 0.999).all()
    shuffled = pd.DataFrame({y: rng.permutation(base) for y in years})
    assert stats.spearman_stability(shuffled).abs().max() < 0.3


def test_rank_stability_on_synthetic_england(england):
    stab = va_stats.rank_stability(make_ctx(england))
    assert list(stab.columns) == list(va_stats.MEASURES.values())
    assert stab.shape[0] == 8
    assert (stab.to_numpy() > 0).all() and (stab.to_numpy() <= 1).all()


def test_small_authorities_are_named_and_their_suppressed_counts_drop_out(england):
    ctx = make_ctx(england)
    cs = va_stats.cross_section(ctx)
    tiny = va_stats.tiny_table(ctx, cs)
    assert len(tiny) == 2
    assert all("child protection plan rate" in s for s in tiny["Suppressed"])
    dist = va_stats.distribution(cs)
    assert dist.loc[va_stats.MEASURES["cpp_rate"], "Authorities"] == 152 - 2
    assert set(england.truth["tiny_authorities"]).isdisjoint(set(va_funnel.funnel(ctx)["la_code"]))
    assert tiny["Spending rank (1 = highest)"].min() == 1  # unsuppressed spending keeps them in
    assert "suppressed" in va_stats.tiny_sentence(ctx, cs, tiny)


def test_nao_ranges_pass_on_synthetic_and_are_na_for_a_region(england):
    ctx = make_ctx(england)
    rows = va_stats.nao_rows(ctx, va_stats.distribution(va_stats.cross_section(ctx)))
    df = measures.compare(rows)
    assert len(df) == 6 and (df["Result"] == "pass").all()
    ctx_r = make_ctx(england, region="London")
    df_r = measures.compare(va_stats.nao_rows(ctx_r, va_stats.distribution(va_stats.cross_section(ctx_r))))
    assert (df_r["Result"] == "n/a").all() and df_r["Note"].str.contains("London").all()


def test_region_filter_applies_to_distribution_and_funnel(england):
    ctx = make_ctx(england, region="North East")
    cs = va_stats.cross_section(ctx)
    assert set(cs["region"]) == {"North East"} and len(cs) == 12
    f = va_funnel.funnel(ctx)
    assert len(f) == 12
    # the funnel's centre stays England's rate
    assert f.attrs["theta"] == pytest.approx(va_funnel.funnel(make_ctx(england)).attrs["theta"])


def test_notebook_executed_on_synthetic_data(built_book):
    out = built_book / "executed" / "variation"
    for name in ("distribution", "small_authorities", "rank_stability", "funnel", "funnel_outliers", "nao_comparison"):
        assert (out / f"variation_{name}.csv").exists(), name
    nao = pd.read_csv(out / "variation_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "pass").all()
    assert "alt=" in (out / "variation.ipynb").read_text()
    data = json.loads((out / "variation.json").read_text())
    funnel = pd.read_csv(out / "variation_funnel.csv")
    beyond = funnel["Position allowing for overdispersion"].str.contains("99.8").sum()
    assert data["funnel"]["beyond_998_overdispersed"]["total"] == beyond
    assert data["funnel"]["beyond_998_binomial"]["total"] == funnel["Position"].str.contains("99.8").sum()
    assert data["funnel"]["phi"] > 1 and data["funnel"]["tau_per_10000"] > 0
    ranks = pd.DataFrame(data["ranks"]["authorities"])
    assert len(ranks) == len(funnel) and (ranks["rank_lo"] <= ranks["rank_hi"]).all()
    assert data["ranks"]["n_boot"] == 20  # the shared synthetic build's replicates


@pytest.mark.slow
def test_notebook_executes_with_highlight_and_region(tmp_path, england, panel_dir):
    last = england.panel[(england.panel["year"] == 2018) & (england.panel["region"] == "North West")]
    name = str(last["la_name"].iloc[3])
    nb = run_chapter("variation", tmp_path, panel_dir, highlight=name, region="North West")
    text = nb.read_text()
    cs = pd.read_csv(nb.parent / "variation_funnel.csv")
    assert set(cs["Code"].str[:3]) == {"XNW"}
    nao = pd.read_csv(nb.parent / "variation_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "n/a").all()
    assert "North West region" in text
    assert text.count(name) >= 5  # named in the prose and in the figures' alt text
