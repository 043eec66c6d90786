"""Each chapter's finding carried past 2017-18 on today's authorities: gaps stay gaps with their rule, the
change of spending source is marked and computed both ways, and synthetic England says it stops earlier."""

from __future__ import annotations

import numpy as np
import pytest

from cscbook.chapters import since
from cscbook.snapshot import write as snapshot
from tests.test_nao_reasons import make_ctx


@pytest.fixture(scope="module")
def official():
    return snapshot.read("2018")


def test_demand_keeps_each_series_on_one_basis_and_names_its_gaps(official):
    s = since.demand(make_ctx("demand", official))
    t = s.table
    assert s.last == "2024-25" and set(t["Basis"]) <= {
        "England rows as published",
        "sums over authorities (the England rows stop earlier)",
    }
    ep = t.loc[since.LABELS["cin_episodes"]]
    assert ep["Last year"] == "2024-25"  # DfE's 2025 b1 file carries episodes to 2024-25
    assert "Children in need during the year: no value" not in s.text
    later = since.later_context(make_ctx("demand", official))
    rates, _, _ = since.demand_rates(later, 2025)
    assert (rates["cin_episodes"] > 0).all()
    rose = (t["Change since 2017-18 (%)"] > 0).sum()
    assert f"demand rose on {rose} of the {len(t)} measures" in s.text


def test_the_preventative_share_is_computed_both_ways_where_table_a1_and_lait_overlap(official):
    ctx = make_ctx("preventative", official)
    s = since.preventative(ctx)
    both = s.table[["Table A1 (%)", "LAIT (%)"]].dropna()
    assert list(both.index) == ["2016-17", "2017-18", "2018-19"]
    assert np.allclose(both["Table A1 (%)"], both["LAIT (%)"], atol=0.05)
    assert "the change of source does not move the line" in s.text
    assert s.table[f"Definition {ctx.p.definition} (%)"].notna().sum() == 15  # 2010-11 to 2024-25


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_spread_and_ofsted_reach_the_last_year(official):
    v = since.variation(make_ctx("variation", official))
    assert v.table.loc["Spending per child", "Last year"] == "2024-25"
    assert (
        "section 251 Table A1 to 2018-19 and from LAIT's outturn lines after" in v.text
    )  # the change of source, in words
    o = since.ofsted(make_ctx("ofsted", official))
    assert list(o.table.index)[0] == "2017-18" and list(o.table.index)[-1] == "2024-25"
    assert (o.table["Authorities"] > 140).all()
    assert (o.table["95% CI low"] <= o.table["Spearman rho"]).all()


def test_synthetic_england_says_the_later_years_need_the_official_statistics(england):
    for chapter, fn in (("demand", since.demand), ("variation", since.variation), ("ofsted", since.ofsted)):
        s = fn(make_ctx(chapter, england))
        assert s.table == since.ABSENT and s.last == since.NO_LATER
