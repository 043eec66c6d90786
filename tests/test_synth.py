"""Synthetic England: determinism, calibration to the published figures, and its known truth."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from cscbook import contract, reference
from cscbook.acquire import synth
from cscbook.analyse import measures
from tests.conftest import REAL_DATA


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-m", "cscbook", "synth", "--seed", "7", "--years", "2011-2018", "--out", str(out)],
            check=True,
            capture_output=True,
        )
        outs.append(out)
    files = sorted(p.name for p in outs[0].iterdir() if not p.name.startswith("."))
    assert files == ["flags.csv", "meta.json", "panel.csv", "panel.parquet", "truth.json"]
    assert (outs[0] / ".cscbook").is_file()  # the marker that lets a later run replace the folder
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


def test_different_seeds_differ():
    a = synth.generate(seed=1).panel
    b = synth.generate(seed=2).panel
    assert not a["cpp_31mar"].equals(b["cpp_31mar"])


def test_authorities_are_fictional_and_regions_have_real_counts(england):
    las = england.panel.drop_duplicates("la_code")
    assert len(las) == 152
    assert las.groupby("region").size().to_dict() == synth.REGION_COUNTS
    assert las["la_code"].str.match(r"^X[A-Z]{2}\d{6}$").all()  # no real ONS code starts with X
    assert las["la_name"].is_unique
    small = england.panel[england.panel["la_code"].isin(england.truth["tiny_authorities"])]
    assert small.groupby("la_code")["pop_0_17"].max().max() < 2000


def test_names_are_not_real_authority_names(england):
    lookup = REAL_DATA / "dfe-csc-dashboard" / "lookups" / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
    if not lookup.exists():
        pytest.skip("../shared/real-data is absent: no list of real names to compare with")
    real = pd.read_csv(lookup, encoding="utf-8-sig")
    names = set()
    for col in real.columns:
        if col.upper().endswith("NM"):
            names |= {str(x).strip().lower() for x in real[col]}
    ours = {n.lower() for n in england.panel["la_name"].unique()}
    assert not ours & names


def _national(england):
    return measures.national(england.panel, list(measures.SERIES) + ["pop_0_17"])


@pytest.mark.parametrize(
    "col,key",
    [
        ("referrals", "referrals_2018"),
        ("cpp_31mar", "cpp_2018"),
        ("cin_31mar", "cin_2018"),
        ("cla_31mar", "cla_2018"),
        ("pop_0_17", "pop_2018"),
    ],
)
def test_national_totals_within_one_percent(england, col, key):
    assert _national(england).loc[2018, col] == pytest.approx(reference.value(key), rel=0.01)


@pytest.mark.parametrize(
    "col,key",
    [
        ("referrals", "referrals_growth"),
        ("s47_enquiries", "s47_growth"),
        ("cpp_31mar", "cpp_growth"),
        ("cin_31mar", "cin_growth"),
        ("cla_31mar", "cla_growth"),
        ("cla_16plus", "cla16_growth"),
        ("pop_0_17", "pop_growth"),
    ],
)
def test_growth_within_one_point(england, col, key):
    assert measures.growth(_national(england), col, 2011, 2018) == pytest.approx(reference.value(key), abs=1.0)


def test_ranges_within_ten_percent(england):
    y = england.panel[england.panel["year"] == 2018]
    checks = {
        "cin_episode_rate": measures.rate(y, "cin_episodes"),
        "cpp_rate": measures.rate(y, "cpp_31mar"),
        "spend_pc": measures.spend_per_child(y),
    }
    for name, s in checks.items():
        assert s.min() == pytest.approx(reference.value(f"{name}_min"), rel=0.10), name
        assert s.max() == pytest.approx(reference.value(f"{name}_max"), rel=0.10), name
    good = measures.spend_per_child(y)[y["ofsted_overall"] == "Good"]
    assert good.min() == pytest.approx(reference.value("good_spend_min"), rel=0.10)
    assert good.max() == pytest.approx(reference.value("good_spend_max"), rel=0.10)


def test_total_spend_and_preventative_share(england):
    p = england.panel
    total = measures.spend_total(p[p["year"] == 2018]).sum()
    assert total == pytest.approx(reference.value("spend_total_2018"), rel=0.01)
    prev = ["sure_start", "family_support", "young_people", "other_cfs"]
    for year, key in [(2011, "prev_share_2011"), (2017, "prev_share_2017")]:
        q = p[p["year"] == year]
        share = measures.spend_total(q, prev).sum() / measures.spend_total(q).sum() * 100
        assert share == pytest.approx(reference.value(key), abs=1.0)


def test_childrens_centres_fall_by_about_500(england):
    c = england.panel.groupby("year")["childrens_centres"].sum()
    assert c[2018] - c[2011] == pytest.approx(reference.value("centres_change"), rel=0.10)


def test_realised_shares_equal_targets(england):
    realised = england.truth["cpp_model"]["shares"]
    for k, target in synth.TRUE_SHARES.items():
        assert realised[k] == pytest.approx(target, abs=0.005), k
    assert sum(realised.values()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.slow
def test_two_way_fixed_effects_recover_true_spending_and_vacancy_effects(england):
    """Within authorities and years, OLS recovers the true coefficients of the time-varying parts."""
    p = england.panel.dropna(subset=["cpp_31mar"]).copy()
    p["y"] = np.log(measures.rate(p, "cpp_31mar"))
    p["ls"] = np.log(measures.spend_per_child(p))
    fit = smf.ols("y ~ ls + sw_vacancy_rate + C(la_code) + C(year)", data=p).fit()
    truth = england.truth["cpp_model"]["coefficients"]
    for name, term in [("log_spend_per_child", "ls"), ("sw_vacancy_rate", "sw_vacancy_rate")]:
        lo, hi = fit.conf_int().loc[term]
        assert lo <= truth[name] <= hi, (name, truth[name], lo, hi)


def test_deprivation_is_independent_of_the_authority_effect(england):
    p = england.panel.dropna(subset=["cpp_31mar"])
    la = p.groupby("la_code").agg(idaci=("idaci_score", "first"))
    p = p.assign(y=np.log(measures.rate(p, "cpp_31mar")))
    # the authority mean of the outcome net of deprivation is uncorrelated with deprivation
    b = england.truth["cpp_model"]["coefficients"]["idaci_score"]
    resid = p.assign(r=p["y"] - b * p["idaci_score"]).groupby("la_code")["r"].mean()
    r = np.corrcoef(la.loc[resid.index, "idaci"], resid)[0, 1]
    assert abs(r) < 0.2


def test_small_counts_are_suppressed_not_zero(england):
    p = england.panel
    assert (p[contract.COUNTS] == 0).sum().sum() == 0
    tiny = p[p["la_code"].isin(england.truth["tiny_authorities"])]
    assert tiny["cpp_31mar"].isna().all()
    flagged = england.flags[england.flags["column"] == "cpp_31mar"]
    assert set(tiny["la_code"]) <= set(flagged["la_code"])


def test_extends_forward_to_new_years():
    prep = synth.generate(seed=2019, years=(2011, 2025))
    assert sorted(prep.panel["year"].unique()) == list(range(2011, 2026))
    nat = measures.national(prep.panel, ["cpp_31mar"])
    assert nat.loc[2018, "cpp_31mar"] == pytest.approx(reference.value("cpp_2018"), rel=0.01)
    assert sum(prep.truth["cpp_model"]["shares"].values()) == pytest.approx(1.0)


def test_budgets_have_a_known_relation_to_demand_that_the_chapter_finds(england):
    """The overspend (% of budget) is made from the change in the looked-after rate and noise alone: the budgets
    chapter's test finds that factor, positive with an interval above zero, and its mean is the truth's."""
    from cscbook.chapters import budgets
    from cscbook.chapters import context as chapter

    truth = england.truth["overspend"]
    p = england.panel
    pct = 100 * (p["outturn_csc"] / p["budget_csc"] - 1)
    assert pct.mean() == pytest.approx(truth["mean_pct"], abs=0.5)
    assert (p["outturn_csc_gross"] > p["outturn_csc"]).all() and (p["budget_cla"] < p["budget_csc"]).all()
    ctx = chapter.load("budgets", {"data": "synthetic", "seed": 2019})
    assoc = budgets.associations(budgets.authority_table(ctx, 2018))
    row = assoc.loc[budgets.FACTORS["cla_rate_change"]]
    assert row["95% CI low"] > 0.3
    words = budgets.truth_words(ctx, assoc)
    assert "finds it" in words and str(truth["per_sd_of_cla_rate_change"])[0] in words
