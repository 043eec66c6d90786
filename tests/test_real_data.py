"""The official files in ../shared/real-data: ingest, harmonise, and check against the England rows they publish."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-data"
# Harmonising every published file takes a worker about 15 s, so these run in make test-slow; make test keeps
# one real ingest (the snapshot test, which compares it with the committed panel).
pytestmark = [
    pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-data is absent (real published files not available)"),
    pytest.mark.slow,
]

COUNTS = ["referrals", "s47_enquiries", "cpp_31mar", "cin_31mar", "cla_31mar"]

#: LA sums fall short of DfE's England figures where authorities did not return data ('..'): DfE's England
#: totals include estimates for them. (year, column): reason.
NON_RETURNS = {
    (2011, "s47_enquiries"): "Hackney, Havering, Newham, Waltham Forest, Luton, Isle of Wight non-returns 2010-11",
    (2011, "cin_31mar"): "same non-returns, 2010-11",
    (2011, "cpp_31mar"): "same non-returns, 2010-11",
    (2012, "referrals"): "Havering and Newham non-returns 2011-12",
    (2012, "s47_enquiries"): "Havering and Newham non-returns 2011-12",
    (2012, "cpp_31mar"): "Havering and Newham non-returns 2011-12",
    (2012, "cin_31mar"): "Havering and Newham non-returns 2011-12",
    (2013, "referrals"): "Norfolk '..' in EES 2013; Oldham, Durham non-returns",
    (2013, "s47_enquiries"): "Oldham, Durham and Norfolk non-returns 2012-13",
    (2013, "cpp_31mar"): "Oldham, Durham and Norfolk non-returns 2012-13",
    (2013, "cin_31mar"): "Oldham, Durham and Norfolk non-returns 2012-13",
}

#: SFR vs EES in 2012-13..2016-17: EES re-published earlier years with revisions. (measure, year): reason.
REVISIONS = {
    ("referrals", 2013): "EES 2022 shows Norfolk 2013 referrals as '..' and revises other authorities",
    ("referrals", 2014): "EES marks Cornwall 2014 referrals '..'; SFR has Southampton/Cornwall gaps",
    ("referrals", 2015): "South Tyneside 2015 referrals '..' in EES",
}


@pytest.fixture(scope="module")
def prepared(real_ingested, real_prepared):
    return real_ingested, real_prepared


def test_every_year_has_150_authorities(prepared):
    _, p = prepared
    n = p.panel.groupby("year")["la_code"].nunique()
    for y in range(2011, 2019):
        assert n[y] >= 150
    defl = "ONS GDP implied deflator (YBGB), financial years, 2024-25 = 1 (2024-25 prices)"
    assert p.meta["source"] == "official" and p.meta["deflator"] == defl


def test_authorities_sum_to_published_england(prepared):
    _, p = prepared
    eng = p.england.set_index("year")
    sums = p.panel.groupby("year")[COUNTS].sum(min_count=1)
    bad = []
    for y in range(2011, 2019):
        for c in COUNTS:
            gap = sums.at[y, c] / eng.at[y, c] - 1
            allowed = 0.035 if (y, c) in NON_RETURNS else 0.01
            if abs(gap) > allowed:
                bad.append((y, c, round(gap, 4)))
    assert not bad


def test_sfr_and_ees_agree_in_overlap(prepared):
    _, p = prepared
    o = p.extra["sfr_ees_overlap"]
    o = o[o["measure"].isin(COUNTS) & o["value_sfr"].notna() & o["value_ees"].notna()]
    tot = o.groupby(["measure", "year"])[["value_sfr", "value_ees"]].sum()
    gap = (tot["value_ees"] / tot["value_sfr"] - 1).abs()
    unexplained = [k for k, g in gap.items() if g > 0.01 and k not in REVISIONS]
    assert not unexplained


def test_s251_birmingham_matches_lait(prepared):
    _, p = prepared
    b = p.panel.set_index(["la_code", "year"])
    assert b.at[("E08000025", 2017), "spend_sure_start"] == pytest.approx(24181477, abs=1)
    assert b.at[("E08000025", 2018), "spend_total_excl_cera"] == pytest.approx(222046831, abs=1)


def test_inventory_recognises_every_source(prepared):
    r, _ = prepared
    assert {"cin", "cla", "population", "s251", "iod", "ofsted", "workforce", "deflator", "lait"} <= set(
        r.inventory["source"].dropna()
    )
    assert not r.inventory["path"].str.endswith(".md").any()


def test_vacancy_rates_start_in_2016_17_from_lait(prepared):
    """The September 2016 census (2016-17) comes from LAIT, flagged; later years from the workforce files."""
    _, prep = prepared
    p, flags = prep.panel, prep.flags
    counts = p.groupby("year")["sw_vacancy_rate"].count()
    assert counts.get(2016, 0) == 0
    assert counts[2017] >= 140 and counts[2018] >= 150
    lait = flags[(flags["column"] == "sw_vacancy_rate") & (flags["rule"] == "W-LAIT")]
    assert set(lait["year"]) == {2017}
    assert len(lait) == counts[2017]


@pytest.mark.slow
@pytest.mark.book
def test_book_builds_on_real_data(tmp_path, ingest_cache):
    """The whole book on the real files: no synthetic banner, sources cited, every chapter rendered."""
    from cscbook.build import stage
    from cscbook.build.pipeline import build

    # profiles of the two smallest authorities and a large one: suppressed and zero counts, tiny populations;
    # and Camden, which DfE lists as the City of London's first statistical neighbour
    odd = "E09000001,Isles of Scilly,E06000052,Camden"
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "ingest").symlink_to(ingest_cache)  # files the session has parsed already
    res = build({"data": str(REAL.resolve())}, build_dir=tmp_path, profiles=odd)
    profile_pages = {p.stem: p.read_text() for p in (res.html / "book" / "profiles").glob("E*.html")}
    assert set(profile_pages) == {"E09000001", "E06000053", "E06000052", "E09000007"}
    assert "very small counts" in profile_pages["E06000053"] and "very small counts" not in profile_pages["E06000052"]
    assert 'href="E09000007.html"' in profile_pages["E09000001"]  # a built neighbour is linked
    assert "DfE’s statistical neighbours, 2025" in profile_pages["E09000001"]  # DfE's own list, with its bands
    assert "Not close" in profile_pages["E09000001"]
    pages = {p.name: p.read_text() for p in (res.html / "book").glob("*.html")}
    assert {"demand.html", "variation.html", "ofsted.html", "preventative.html", "decomposition.html"} <= set(pages)
    for name, text in pages.items():
        assert "Synthetic data" not in text, name
        if name.removesuffix(".html") not in stage.REFERENCE_PAGES:  # pages about the book, not its data
            assert "Open Government Licence" in text, name
    demand = (tmp_path / "executed" / "demand" / "demand_nao_comparison.csv").read_text()
    assert "Growth in child protection plans" in demand
    inputs = res.record["data"]["inputs"]  # the run record names every input file with its sha256
    assert len(inputs) >= 45 and all(len(h) == 64 for h in inputs.values())
    # Downloads: today's authorities first, then the NAO's footprint, each with its data log and the codebook
    page = pages["downloads.html"]
    assert page.index("panel-latest.csv") < page.index("panel-2018.csv") and "codebook.csv" in page
    latest = pd.read_csv(next(res.html.glob("_downloads/*/panel-latest.csv")), dtype={"la_code": str})
    old = pd.read_csv(next(res.html.glob("_downloads/*/panel-2018.csv")), dtype={"la_code": str})
    assert latest["year"].max() > old["year"].max() >= 2018  # the latest footprint reaches the latest year
    assert "E06000063" in set(latest["la_code"]) and "E06000063" not in set(old["la_code"])  # Cumberland
    book = pd.read_csv(next(res.html.glob("_downloads/*/codebook.csv")))
    assert set(book["column"]) >= set(latest.columns) - {"la_name"}


def test_latest_geography_gives_todays_authorities(prepared):
    from cscbook.harmonise import TO_LATEST, harmonise
    from cscbook.validate import validate_prepared

    result, _ = prepared
    latest = harmonise(result, geography="latest")
    validate_prepared(latest)
    p = latest.panel
    codes = set(p["la_code"])
    assert not codes & set(TO_LATEST)  # no predecessor code survives
    assert {n for targets in TO_LATEST.values() for n, _ in targets} <= codes
    assert (p.groupby("year")["la_code"].nunique().loc[2011:2018] == len(codes)).all()
    # Northamptonshire's 2017-18 plans are shared between its successors, none lost
    north, west = (
        p[(p["la_code"] == c) & (p["year"] == 2018)]["cpp_31mar"].iloc[0] for c in ("E06000061", "E06000062")
    )
    _, old = prepared
    whole = old.panel[(old.panel["la_code"] == "E10000021") & (old.panel["year"] == 2018)]["cpp_31mar"].iloc[0]
    assert north + west == pytest.approx(whole)
