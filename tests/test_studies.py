"""The published-studies estimators recover planted truths; the page's JSON and the reference file."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.analyse import studies as st
from cscbook.chapters import studies as sd
from cscbook.snapshot import write as snapshot
from tests.test_nao_reasons import make_ctx

ROOT = Path(__file__).resolve().parents[1]
SPEND = [f"spend_{c}" for c in ("sure_start", "cla", "other_cfs", "safeguarding", "family_support", "young_people")]


def _panel(seed: int, n_la: int = 150, years: range = range(2011, 2021)) -> pd.DataFrame:
    """A panel of invented authorities with the columns the estimators read, before any planted outcome."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([range(n_la), years], names=["k", "year"]).to_frame(index=False)
    k = idx["k"].to_numpy()
    pop = rng.uniform(20_000, 200_000, n_la)[k]
    p = pd.DataFrame(
        {
            "la_code": [f"E{x:08d}" for x in k],
            "la_name": [f"Authority {x}" for x in k],
            "region": "Region",
            "year": idx["year"],
            "pop_0_17": pop,
        }
    )
    for c in SPEND:
        p[c] = pop * rng.lognormal(4.5, 0.3, n_la)[k] * rng.lognormal(0, 0.15, len(p))
    p["spend_youth_justice"] = pop * 20.0
    p["imd_score"] = rng.uniform(10, 40, n_la)[k]
    return p


def test_elasticity_recovers_a_planted_elasticity_with_authority_and_year_effects():
    p = _panel(1)
    rng = np.random.default_rng(2)
    k = pd.factorize(p["la_code"])[0]
    x = np.log(st.per_child(p, st.NON_STATUTORY))
    log_rate = 6 + rng.normal(0, 0.4, k.max() + 1)[k] + 0.05 * (p["year"] - 2011) - 0.12 * x
    p["cin_31mar"] = np.exp(log_rate + rng.normal(0, 0.03, len(p))) * p["pop_0_17"] / 10_000
    e = st.elasticity(p, "cin_31mar", st.NON_STATUTORY, 2011, 2015)
    assert e.value == pytest.approx(-0.12, abs=0.03) and e.low < -0.12 < e.high
    assert (e.first, e.last, e.authorities) == (2011, 2015, 150)
    lagged = st.elasticity(p, "cin_31mar", st.NON_STATUTORY, 2011, 2015, lag=True)
    assert lagged.first == 2012 and abs(lagged.value) < 0.05  # this year's spending drives it, not last year's


def test_care_entries_separate_between_and_within_deprivation():
    p = _panel(3)
    rng = np.random.default_rng(4)
    k = pd.factorize(p["la_code"])[0]
    base = rng.uniform(0.08, 0.35, k.max() + 1)
    step = rng.normal(0, 0.02, k.max() + 1)  # a revision of the index from 2020
    p["idaci_score"] = base[k] + np.where(p["year"] >= 2020, step[k], 0.0)
    pts = 100 * p["idaci_score"]
    mean = pts.groupby(p["la_code"]).transform("mean")
    per_100k = 100 + 10 * (mean - mean.mean()) + 5 * (pts - mean) + 3 * (p["year"] - 2016)
    p["cla_starts"] = (per_100k + rng.normal(0, 2, len(p))) * p["pop_0_17"] / 100_000
    out = st.care_entries_deprivation(p, 2016, 2020)
    assert out["between"].value == pytest.approx(10, abs=0.5)
    assert out["within"].value == pytest.approx(5, abs=1.0) and out["within"].low < 5 < out["within"].high
    fixed = st.care_entries_deprivation(p, 2016, 2019)  # no revision inside the window: no within estimate
    assert math.isnan(fixed["within"].value) and fixed["between"].value == pytest.approx(10, abs=0.5)


def test_ofsted_odds_recover_planted_odds_ratios():
    p = _panel(5, n_la=150, years=range(2011, 2021))
    rng = np.random.default_rng(6)
    prev = st.per_child(p, st.PREVENTATIVE) / 100
    decile = pd.qcut(p.groupby("la_code")["imd_score"].mean().rank(method="first"), 10, labels=False) + 1
    d = p["la_code"].map(decile)
    logit = -0.5 + np.log(1.69) * (prev - prev.mean()) + np.log(0.84) * (d - 5.5)
    good = rng.random(len(p)) < 1 / (1 + np.exp(-logit))
    p["ofsted_overall"] = np.where(good, "Good", "Requires improvement")
    p["ofsted_framework"] = "ILACS"
    p["ofsted_date"] = [f"{y - 1}-10-01" for y in p["year"]]  # one new judgement in every year
    out = st.ofsted_odds(p, 2010, 2019)
    e, dep = out["preventative"], out["deprivation"]
    assert e.rows == 1500 and e.low < 1.69 < e.high and e.value == pytest.approx(1.69, rel=0.25)
    assert dep.low < 0.84 < dep.high and dep.value == pytest.approx(0.84, rel=0.1)


def test_inspections_are_counted_once_each():
    p = _panel(7, n_la=2, years=range(2011, 2015))
    p["ofsted_overall"] = ["Good", "Good", "Inadequate", "Inadequate", "Good", "Good", "Good", "Good"]
    p["ofsted_framework"] = ["SIF", "SIF", "SIF", "SIF", "SLAC", "SLAC", "SLAC", "SLAC"]
    p["ofsted_date"] = ["2010-05-01", "2010-05-01", "2012-06-01", "2012-06-01"] + ["2009-01-01"] * 4
    ins = st.inspections(p)
    assert len(ins) == 3
    assert ins.loc[ins["ofsted_date"] == "2012-06-01", "year"].item() == 2013  # the first 31 March after it


def test_gradient_pools_each_decile_and_takes_the_ratio_of_its_ends():
    p = _panel(8, n_la=100, years=range(2015, 2016))
    rank = pd.Series(np.arange(100), index=p.index)
    p["idaci_score"] = 0.1 + rank / 1000
    p["cpp_31mar"] = (20 + 5 * (rank // 10)) * p["pop_0_17"] / 10_000
    g = st.gradient(p, 2015, "cpp_31mar")
    assert list(g["authorities"]) == [10] * 10
    assert np.allclose(g["rate"], 20 + 5 * np.arange(10))
    assert st.gradient_ratio(g) == pytest.approx(65 / 20)


def test_every_published_figure_has_a_source_and_a_citation():
    ref = sd.published()
    bib = (ROOT / "book" / "references.bib").read_text()
    for key, r in ref.iterrows():
        assert re.search(r"https?://", r["source"]), key
        assert re.search(r"@\w+\{" + re.escape(r["cite"]) + ",", bib), key
    assert ref.loc["bennett2022_care_entries", ["value", "low", "high"]].tolist() == [5, 2, 8]


@pytest.mark.slow  # the whole page on synthetic England, which the built book also executes
def test_the_page_json_on_synthetic_england_has_null_where_the_data_lack_a_series(england, tmp_path, monkeypatch):
    ctx = make_ctx("studies", england)
    res = sd.results(ctx)
    monkeypatch.chdir(tmp_path)
    out = json.loads(sd.write_json(ctx, res).read_text())
    assert out["bennett2022"]["study"]["within"] is None  # synthetic England has no care entries
    assert "no counts of children starting" in sd.bennett_sentence(res)
    est = {(r["spending"], r["lagged"], r["window"]): r["elasticity"] for r in out["webb2021"]}
    assert est[("non_statutory", True, "study")]["first"] == 2012
    assert set(out["cwip"]) == {"2015", "2018"} and len(out["cwip"]["2015"]["cpp_31mar"]["rates"]) == 10
    assert len(sd.comparison_table(res)) == len(sd.published())


@pytest.mark.slow  # every study fitted on the snapshot; the default book runs the same fits
def test_on_the_official_snapshot_the_page_uses_todays_authorities_over_every_year():
    prep = snapshot.read("latest")
    ctx = make_ctx("studies", prep, years=f"{prep.panel['year'].min()}-{prep.panel['year'].max()}")
    res = sd.results(ctx)
    assert res.last == int(prep.panel["year"].max())
    # one IoD edition in every year: no authority's score moves, so there is no within estimate, and the page says so
    assert math.isnan(res.bennett["study"]["within"].value) and not math.isnan(res.bennett["study"]["between"].value)
    assert "editions are separate measures" in sd.bennett_sentence(res)
    assert res.ofsted["study"]["preventative"].rows > 300
