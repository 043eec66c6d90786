"""Plausibility rules flag doubtful published cells (suspect) and never drop or change them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.harmonise import plausibility


def _panel(rows):
    p = pd.DataFrame(rows)
    for c in contract.COUNTS + contract.SPEND:
        if c not in p:
            p[c] = np.nan
    return p


def _rules(flags):
    return {(f[0], f[1], f[2], f[4]) for f in flags if f[3] == "suspect"}


def test_a_one_year_collapse_that_returns_is_flagged_and_kept():
    counts = {2013: 1387.0, 2014: 118.0, 2015: 1298.0, 2016: 1300.0}
    steady = {2013: 500.0, 2014: 900.0, 2015: 880.0, 2016: 890.0}  # a jump that stays: not a spike
    small = {2013: 10.0, 2014: 30.0, 2015: 11.0, 2016: 10.0}  # too few to tell
    rows = [
        {"la_code": c, "year": y, "pop_0_17": 2e5, "icpcs": v}
        for c, d in (("A", counts), ("B", steady), ("C", small))
        for y, v in d.items()
    ]
    p = _panel(rows)
    flags: list = []
    plausibility.check(p, flags)
    assert _rules(flags) == {("A", 2014, "icpcs", "P-SPIKE")}
    assert p.loc[(p["la_code"] == "A") & (p["year"] == 2014), "icpcs"].item() == 118  # kept as published
    assert [f[5] for f in flags] == ["1,387, 118, 1,298 in three years"]


def test_a_spending_line_carried_forward_to_the_pound_is_flagged():
    rows = [
        {"la_code": "A", "year": 2021, "pop_0_17": 5e4, "spend_cla": 39_806_117.0, "spend_youth_justice": 0.0},
        {"la_code": "A", "year": 2022, "pop_0_17": 5e4, "spend_cla": 39_806_117.0, "spend_youth_justice": 0.0},
        {"la_code": "A", "year": 2023, "pop_0_17": 5e4, "spend_cla": 40_000_000.0, "spend_youth_justice": 0.0},
    ]
    flags: list = []
    plausibility.check(_panel(rows), flags)
    assert _rules(flags) == {("A", 2022, "spend_cla", "P-SAME-SPEND")}  # zero lines repeat without meaning


def test_a_zero_a_later_release_calls_not_applicable_is_flagged_in_a_small_authority_only():
    p = _panel([{"la_code": "S", "year": 2021, "pop_0_17": 300.0}, {"la_code": "L", "year": 2021, "pop_0_17": 9e4}])
    flags = [
        ("S", 2021, "cla_31mar", "revised", "R-RELEASE", "EES 2022: 0; EES 2025: z"),
        ("L", 2021, "cla_31mar", "revised", "R-RELEASE", "EES 2022: 0; EES 2025: z"),
        ("S", 2021, "cla_starts", "revised", "R-RELEASE", "EES 2022: 3; EES 2025: z"),
    ]
    plausibility.check(p, flags)
    assert _rules(flags) == {("S", 2021, "cla_31mar", "P-ZERO-NA")}


def test_a_declared_break_is_flagged_in_its_first_year_and_listed_for_the_chapters():
    from cscbook.harmonise import breaks

    b = breaks.BREAKS[0]
    p = _panel([{"la_code": c, "year": y, "pop_0_17": 1e4, b.column: 10.0} for c in "AB" for y in (b.year - 1, b.year)])
    flags: list = []
    found = breaks.mark(p, flags)
    assert [x["rule"] for x in found] == [b.rule] and {(f[0], f[1], f[3]) for f in flags} == {
        ("A", b.year, "break"),
        ("B", b.year, "break"),
    }
    assert breaks.mark(p[p["year"] < b.year], []) == []  # no values on the new basis: no break to declare


def test_the_preventative_chapter_never_states_a_change_across_a_break():
    from cscbook.analyse import measures
    from cscbook.chapters.preventative import spending
    from cscbook.snapshot import write as snapshot

    prep = snapshot.read("2018")
    breaks = measures.breaks_within(prep.meta, 2011, 2018)
    assert set(breaks) == {"spend_other_cfs"}
    nominal = spending.spend_by_category(prep.panel)
    real = spending.spend_by_category(prep.panel, real=True)
    ch = spending.category_changes(nominal, real, 2011, 2018, breaks)
    other = spending.CATEGORY_LABELS["other_cfs"]
    assert ch.loc[other, ["Nominal change (%)", "Real change (%)"]].isna().all() and "2012-13" in ch.loc[other, "Note"]
    assert ch["Real change (%)"].idxmin() != other
    assert measures.breaks_within(prep.meta, 2013, 2018) == {}  # years all on the new basis
    words = spending.break_sentence(nominal, breaks)
    assert f"£{nominal.loc[2012, other]:,.0f} million in 2011-12" in words and "reclassification" in words
