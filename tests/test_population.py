"""One population series under every rate, the estimates as first published beside it, and deprivation for every
authority of both footprints: the rules on small tables the tests make, and the committed snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook import contract, params
from cscbook.analyse import measures
from cscbook.errors import UserError
from cscbook.harmonise import boundaries, deprivation, population
from tests.conftest import REAL_DATA, ROOT

SNAP = ROOT / "data" / "official"
#: Boundary changes a population may step across (the year the change took effect, as a year ending 31 March).
CHANGED = {(code, c.year + 1) for c in boundaries.CHANGES for code in c.old + c.new}


def _long(rows, vintage, measure="pop_0_17", level="la"):
    return pd.DataFrame(
        [
            {"la_code": c, "year": y, "value": v, "symbol": s, "level": level if c else "england", "measure": measure}
            for c, y, v, s in rows
        ]
    ).assign(vintage=vintage, file=f"{vintage}.csv", old_la_code=None, la_name=None)


def test_a_gap_in_the_latest_release_is_estimated_from_england_and_an_older_release():
    old = _long(
        [("A", 2013, 100, None), ("B", 2013, 300, None), ("C", 2013, 600, None), (None, 2013, 1000, None)], "2022"
    )
    new = _long(
        [("A", 2013, np.nan, "x"), ("B", 2013, np.nan, "x"), ("C", 2013, 580, None), (None, 2013, 1000, None)], "2025"
    )
    flags: list = []
    out = population._latest_release(pd.concat([old, new]), flags).set_index("la_code")["value"]
    assert out["C"] == 580  # the latest release wins where it has a number
    assert out["A"] == 105 and out["B"] == 315  # England less C (420), shared 1:3 as in the older release
    assert {(f[0], f[4]) for f in flags} == {("A", "Y-POP-GAP"), ("B", "Y-POP-GAP")}


def test_nomis_years_take_the_16_year_olds_of_the_year_before_and_reverse_a_split():
    bands = {"pop_0_4": 10, "pop_5_9": 20, "pop_10_14": 30, "pop_15": 5, "pop_16": 4}
    rows = []
    for year in (2010, 2011):  # years ending 31 March (mid-2009, mid-2010)
        for code in ("E06000061", "E06000062", "E06000002"):
            for m, v in bands.items():
                rows.append({"la_code": code, "year": year, "measure": m, "value": v + (year - 2010)})
    nomis = pd.DataFrame(rows).assign(vintage="Nomis MYE to mid-2010 (April 2021 authorities)")
    flags: list = []
    out = population.nomis_0_17(nomis, pd.DataFrame(), None, "2018", flags).set_index("la_code")
    # mid-2010: 0-16 of mid-2010 (74) and the 16-year-olds of mid-2009 (4); North and West Northamptonshire
    # (April 2021) are added back into Northamptonshire, the authority of 2010-11
    assert list(out["year"].unique()) == [2011]
    assert out.loc["E06000002", "value"] == 78 and out.loc["E10000021", "value"] == 156
    assert "E06000061" not in out.index
    assert ("E10000021", 2011, "pop_0_17", "aggregated", "G-NORTHANTS-2021") in flags
    assert ("E06000002", 2011, "pop_0_17", "derived", "Y-POP-NOMIS") in flags


def test_the_population_parameter_puts_the_published_series_under_every_rate():
    panel = pd.DataFrame({"la_code": ["A"], "year": [2018], "pop_0_17": [100.0], contract.POP_PUBLISHED: [125.0]})
    assert measures.with_population(panel, "consistent") is panel
    swapped = measures.with_population(panel, "as-published")
    assert swapped["pop_0_17"].iloc[0] == 125 and swapped[measures.CONSISTENT].iloc[0] == 100
    assert params.resolve(params.DemandParams, {"population": "as-published"}, "demand").population == "as-published"
    with pytest.raises(UserError, match="population"):
        params.resolve(params.DemandParams, {"population": "census"}, "demand")


def test_an_authority_formed_by_a_split_takes_its_districts_population_weighted_score():
    dist = _long([("D1", 2019, 0.2, None), ("D2", 2019, 0.1, None), ("E06000099", 2019, 0.3, None)], "IoD2019")
    dist = dist.assign(measure="idaci_score", level="district")
    weights = pd.DataFrame({"la_code": ["D1", "D2"], "measure": "weight_idaci", "value": [300.0, 100.0]})
    lookup = pd.DataFrame({"la_code": ["E10000099", "E10000099"], "district_code": ["D1", "D2"]})
    T = {"iod_district": dist, "iod_weights": weights, "ons_lookup": lookup}
    got = deprivation.from_districts(T, 2019, "idaci_score", ["E10000099", "E06000099", "E10000098"], {})
    assert got["E10000099"] == pytest.approx((0.2 * 300 + 0.1 * 100) / 400)
    assert got["E06000099"] == 0.3 and "E10000098" not in got.index  # a unitary is its own district; no districts: none


def test_a_deprivation_file_that_lacks_an_authority_is_named_with_it():
    panel = pd.DataFrame(
        {"la_code": ["A", "B"], "la_name": ["Aton", "Beeby"], "year": 2018, "idaci_score": [0.1, np.nan]}
    )
    T = {"iod": pd.DataFrame({"file": ["imd/iod2015.xlsx"]})}
    with pytest.raises(UserError, match=r"imd/iod2015.xlsx: IoD2015 gives no idaci_score for 1 authorities.*Beeby"):
        deprivation.check_coverage(panel, T, 2015)


def test_a_population_file_that_lacks_an_authority_is_named_with_it():
    panel = pd.DataFrame({"la_code": ["A", "B"], "year": 2013, "pop_0_17": [10.0, np.nan], "referrals": [1.0, 2.0]})
    T = {"population": _long([("A", 2013, 10, None)], "2025")}
    with pytest.raises(UserError, match=r"2025.csv: no 0-17 population for 1 authorities .* 2012-13: Beeby"):
        population.check_coverage(panel, T, {"A": "Aton", "B": "Beeby"})


# --- the committed snapshot -------------------------------------------------------------------------------


@pytest.mark.parametrize("geography", ["2018", "latest"])
def test_every_authority_has_population_and_deprivation_in_every_year(geography):
    p = pd.read_csv(SNAP / geography / "panel.csv")
    for col in ("pop_0_17", contract.POP_PUBLISHED, "idaci_score", "imd_score"):
        assert p[col].notna().all(), (geography, col, p.loc[p[col].isna(), ["la_code", "year"]].head().values)
    if geography == "latest":
        assert p[["idaci_score_2025", "imd_score_2025"]].notna().all().all()


@pytest.mark.parametrize("geography", ["2018", "latest"])
def test_no_authority_of_5000_children_steps_over_5_percent_but_across_a_boundary_change(geography):
    p = pd.read_csv(SNAP / geography / "panel.csv")
    w = p.pivot(index="la_code", columns="year", values="pop_0_17")
    w = w[w.max(axis=1) >= 5000]
    step = (w / w.shift(axis=1) - 1).abs().stack()
    big = {k for k, v in step.items() if v > 0.05}
    assert big <= CHANGED, sorted(big - CHANGED)


def test_the_published_estimates_give_the_naos_population_growth_and_the_consistent_series_less():
    """mid-2010 to mid-2017, summed over the authorities: the NAO's +5.2% is on the estimates of the time."""
    p = pd.read_csv(SNAP / "2018" / "panel.csv")
    _, _, published, n = measures.population_growth(p, contract.POP_PUBLISHED, 2011, 2018)
    _, _, consistent, _ = measures.population_growth(p, "pop_0_17", 2011, 2018)
    assert n == 152 and abs(published - 5.2) <= 0.2
    assert consistent < published - 1  # the 2021 Census found fewer children than the estimates carried


def test_the_two_footprints_count_the_same_children():
    a = pd.read_csv(SNAP / "2018" / "panel.csv").groupby("year")["pop_0_17"].sum()
    b = pd.read_csv(SNAP / "latest" / "panel.csv").groupby("year")["pop_0_17"].sum()
    both = a.index.intersection(b.index)
    assert (abs(a[both] / b[both] - 1) < 1e-4).all()


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/real-data is absent (real published files not available)")
@pytest.mark.slow
def test_districts_rebuild_a_published_county_score(real_ingested):
    """Cumbria's IMD score, rebuilt from its six districts with IoD2019's own weights, is its published score."""
    T = real_ingested.tables
    cumbria = "E10000006"
    published = deprivation.summary(T["iod"], 2019, "imd_score", {})[cumbria]
    lookup = pd.DataFrame(
        {
            "la_code": cumbria,
            "district_code": [d for c in ("E06000063", "E06000064") for d in boundaries.DISTRICTS_OF[c]],
        }
    )
    built = deprivation.from_districts({**T, "ons_lookup": lookup}, 2019, "imd_score", [cumbria], {})
    assert built[cumbria] == pytest.approx(published, abs=0.001)
