"""Every row of a 'How this compares with the NAO' table that fails or is n/a says why, and the
demand chapter compares the NAO's England growth with the England rows as published."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook import contract, params
from cscbook.analyse import measures
from cscbook.chapters import context as chapter_context
from cscbook.chapters import demand as dm
from cscbook.chapters import demand_nao as dn
from cscbook.chapters import preventative as pv
from cscbook.chapters.context import Context
from cscbook.chapters.decomposition import fit as dc_fit
from cscbook.chapters.decomposition import tables as dc_tables
from cscbook.chapters.ofsted import stats as of_stats
from cscbook.chapters.preventative import nao as pv_nao
from cscbook.chapters.variation import stats as va_stats

COUNTS = ["referrals", "s47_enquiries", "cpp_31mar", "cin_31mar", "cla_31mar", "cla_16plus", "pop_0_17"]


def make_ctx(chapter: str, prep: contract.Prepared, **values) -> Context:
    """A chapter context on a prepared data set, without reading or generating anything: by default on the NAO's
    period and the 2018 footprint, which the test data sets (synthetic England, the 2018 snapshot) are on."""
    values = {"geography": "2018", "years": "2011-2018", **values}
    p = params.resolve(params.CHAPTER_MODELS[chapter], values, where=f"chapter {chapter!r}")
    return chapter_context.in_years(chapter, p, prep, p.year_range)


def nao_table(chapter: str, ctx: Context) -> pd.DataFrame:
    """The chapter's comparison table, computed as its notebook does."""
    if chapter == "demand":
        rows = dn.nao_rows(ctx, dm.tables(ctx))
    elif chapter == "variation":
        rows = va_stats.nao_rows(ctx, va_stats.distribution(va_stats.cross_section(ctx)))
    elif chapter == "ofsted":
        rows = of_stats.nao_rows(ctx, of_stats.good_range(of_stats.judgement_frame(ctx)))
    elif chapter == "preventative":
        res = pv.results(ctx)
        rows = pv_nao.nao_rows(ctx, res.shares, res.centres)
    else:
        rows = dc_tables.nao_rows(ctx, dc_fit.fit(ctx))
    return measures.compare(rows)


def assert_reasons(df: pd.DataFrame) -> None:
    bad = df[df["Result"].isin(["fail", "n/a"]) & (df["Note"].str.strip() == "")]
    assert bad.empty, bad[["Measure", "Result"]].to_string()


# --- a small hand-made panel with England rows ------------------------------------------------------------


def small_prepared() -> contract.Prepared:
    """Four authorities, 2011-2018. Authority D makes no s47 or CIN return in 2011 (flagged missing) and
    no population can be derived for it; England rows add DfE's estimate for it. No CLA 16+ in 2018."""
    rows = []
    for i, code in enumerate(["A", "B", "C", "D"]):
        for y in range(2011, 2019):
            t = y - 2011
            rows.append(
                {
                    "la_code": code,
                    "la_name": f"Authority {code}",
                    "region": "London",
                    "year": y,
                    "pop_0_17": 10_000.0 * (i + 1) * (1 + 0.01 * t),
                    "referrals": 500.0 * (i + 1) * (1 + 0.01 * t),
                    "s47_enquiries": 100.0 * (i + 1) * (1 + 0.1 * t),
                    "icpcs": 50.0 * (i + 1),
                    "cpp_31mar": 40.0 * (i + 1) * (1 + 0.03 * t),
                    "cin_31mar": 300.0 * (i + 1) * (1 + 0.003 * t),
                    "cin_episodes": 600.0 * (i + 1),
                    "cla_31mar": 60.0 * (i + 1) * (1 + 0.02 * t),
                    "cla_16plus": np.nan if y == 2018 else 15.0 * (i + 1) * (1 + 0.05 * t),
                }
            )
    panel = contract.order_panel(pd.DataFrame(rows))
    d2011 = (panel["la_code"] == "D") & (panel["year"] == 2011)
    panel.loc[d2011, ["s47_enquiries", "cin_31mar", "pop_0_17"]] = np.nan
    flags = pd.DataFrame(
        [
            ("D", 2011, "s47_enquiries", "missing", "S-MISSING"),
            ("D", 2011, "cin_31mar", "missing", "S-MISSING"),
            ("D", 2011, "pop_0_17", "missing", "S-MISSING"),
            *[(c, 2011, "pop_0_17", "derived", "Y-POP") for c in "ABC"],
            *[(c, 2018, "cla_16plus", "missing", "S-MISSING") for c in "ABCD"],
        ],
        columns=contract.FLAG_COLUMNS,
    )
    full = pd.DataFrame(rows).groupby("year")[COUNTS].sum(min_count=1)
    england = full.reset_index()
    england.loc[england["year"] == 2011, "pop_0_17"] = np.nan  # as published: no England population before 2013
    meta = {"source": "official", "rules": {"S-CLA": "cla_16plus from SFR only."}}
    return contract.Prepared(panel=panel, flags=flags, meta=meta, england=england)


def test_demand_uses_england_rows_when_present():
    prep = small_prepared()
    ctx = make_ctx("demand", prep)
    t = dm.tables(ctx)
    rows = {r["key"]: r for r in dn.nao_rows(ctx, t)}
    eng = prep.england.set_index("year")
    for col in ("s47_enquiries", "cin_31mar", "referrals"):
        want = (eng.loc[2018, col] / eng.loc[2011, col] - 1) * 100
        row = rows[dn.NAO_GROWTH[col]]
        assert row["ours"] == pytest.approx(want)
        assert "England rows" in row["reason"]
        la_sum = measures.growth(t["counts"], col, 2011, 2018)
        assert f"{la_sum:+.1f}%" in row["reason"]
    # the authority that made no s47 return in 2010-11 is named
    assert "Authority D" in rows["s47_growth"]["reason"]
    # no England population for 2010-11: the sum over authorities, with the back-derivation explained
    pop = rows["pop_growth"]
    assert pop["ours"] == pytest.approx(measures.population_growth(ctx.view, "pop_0_17", 2011, 2018)[2])
    assert "Y-POP" in pop["reason"] and "Authority D" in pop["reason"]
    # no CLA 16+ in 2017-18: n/a with the rule and the growth to the last year with a figure
    cla16 = rows["cla16_growth"]
    assert cla16["ours"] is None and "S-CLA" in cla16["reason"] and "2016-17" in cla16["reason"]
    assert_reasons(measures.compare(list(rows.values())))


def test_demand_without_england_rows_is_unchanged():
    prep = small_prepared()
    prep.england = None
    ctx = make_ctx("demand", prep)
    t = dm.tables(ctx)
    for r in dn.nao_rows(ctx, t):
        col = next(c for c, k in dn.NAO_GROWTH.items() if k == r["key"])
        g = measures.growth(t["counts"], col, 2011, 2018)
        assert "reason" not in r
        assert (r["ours"] == pytest.approx(g)) if np.isfinite(g) else np.isnan(r["ours"])


def test_demand_on_synthetic_england_passes_with_empty_notes(england):
    ctx = make_ctx("demand", england)
    df = nao_table("demand", ctx)
    assert (df["Result"] == "pass").all()
    assert (df["Note"] == "").all()


# --- the other chapters: synthetic England made to miss the NAO ------------------------------------------


@pytest.fixture(scope="module")
def official_like(england) -> contract.Prepared:
    """Synthetic England relabelled as official data, with every range and share pushed off the NAO's
    figures, no children's centres and vacancy rates only in the last year."""
    panel = england.panel.copy()
    for c in contract.SPEND:
        panel[c] = panel[c] * 0.6
    panel["spend_sure_start"] = panel["spend_sure_start"] * 3
    panel["cpp_31mar"] = (panel["cpp_31mar"] * 1.5).round()
    panel["childrens_centres"] = np.nan
    panel.loc[panel["year"] < panel["year"].max(), "sw_vacancy_rate"] = np.nan
    flags = pd.concat(
        [
            england.flags,
            pd.DataFrame([("*", 0, "childrens_centres", "missing", "S-NOSOURCE")], columns=contract.FLAG_COLUMNS),
        ]
    )
    meta = {**england.meta, "source": "official", "rules": {"S-NOSOURCE": "No source provides this column."}}
    return contract.Prepared(panel=panel, flags=flags, meta=meta)


@pytest.mark.parametrize(
    "chapter", ["variation", "ofsted", "preventative", pytest.param("decomposition", marks=pytest.mark.slow)]
)
def test_failing_rows_say_why(official_like, chapter):
    values = {"n_boot": 0} if chapter == "decomposition" else {}
    df = nao_table(chapter, make_ctx(chapter, official_like, **values))
    assert df["Result"].isin(["fail", "n/a"]).any(), df
    assert_reasons(df)


@pytest.mark.slow
def test_decomposition_note_names_the_reproduction_model_and_the_vacancy_years(official_like):
    """On official-like data each row scores the first declared specification (the NAO's own description) and
    names the closest one as exploratory; each failing row names the main model's years and the two-year model
    with vacancies."""
    ctx = make_ctx("decomposition", official_like, n_boot=0)
    df = nao_table("decomposition", ctx)
    failing = df[df["Result"] == "fail"]
    assert len(failing)
    assert failing["Note"].str.contains("scored on the NAO's own description: ").all()
    assert failing["Note"].str.contains(r"the closest of [0-9]+ declared specifications \(exploratory").all()
    assert failing["Note"].str.contains("the chapter's main model").all()
    assert failing["Note"].str.contains(r"leaves out vacancy rates, which the data have only from").all()
    assert failing["Note"].str.contains(r"with them \(").all()


# --- the real data, when they are here --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["demand", "variation", "ofsted", "preventative", "decomposition"])
def test_real_data_rows_say_why(real_prepared, chapter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values = {"n_boot": 0} if chapter == "decomposition" else {}
    assert_reasons(nao_table(chapter, make_ctx(chapter, real_prepared, **values)))


@pytest.mark.slow
def test_real_demand_uses_england_rows(real_prepared):
    ctx = make_ctx("demand", real_prepared)
    rows = {r["key"]: r for r in dn.nao_rows(ctx, dm.tables(ctx))}
    eng = real_prepared.england.set_index("year")
    want = (eng.loc[2018, "s47_enquiries"] / eng.loc[2011, "s47_enquiries"] - 1) * 100
    assert rows["s47_growth"]["ours"] == pytest.approx(want)
    assert "England rows" in rows["s47_growth"]["reason"]


def test_the_home_pages_growth_comes_from_englands_rows_where_the_data_carry_them():
    """Section 47 enquiries lack an authority in 2010-11: the sum over authorities overstates the growth, DfE's
    England rows (as the NAO counted) do not. Without England rows it is the sum."""
    prep = small_prepared()
    ctx = make_ctx("demand", prep)
    growth = dm.growth_table(ctx, dm.tables(ctx))
    head, basis = dm.headline_growth(ctx, growth)
    eng = prep.england.set_index("year")
    for col in dm.HEADLINE:
        assert head[col] == pytest.approx((eng.loc[2018, col] / eng.loc[2011, col] - 1) * 100), col
    assert basis == "England rows as DfE publishes them"
    la_sum = growth.loc[measures.SERIES["s47_enquiries"], "Growth in count (%)"]
    assert la_sum > head["s47_enquiries"] + 1  # the authority missing in 2010-11 inflates the sum
    prep.england = None
    head, basis = dm.headline_growth(make_ctx("demand", prep), growth)
    assert head["s47_enquiries"] == la_sum and basis == "the sum over authorities"
