"""Two releases of one figure: the later wins and the revision is logged with both values; DfE's 'z' and 'u'
are its word on a cell, never a zero; a later gap for another reason takes the earlier number, flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.harmonise.sources import latest_releases, release_year


def _rows(vintage, cells):
    return pd.DataFrame(
        [{"la_code": c, "year": y, "measure": "cla_31mar", "value": v, "symbol": s} for c, y, v, s in cells]
    ).assign(vintage=vintage, level="la")


def test_release_years_are_publication_years():
    assert release_year("EES 2025") == 2025 and release_year("SFR 2016-17") == 2017 and release_year("SFR 2019") == 2019


def test_the_later_release_wins_and_each_change_is_logged():
    old = _rows("EES 2022", [("A", 2021, 40, None), ("B", 2021, 0, None), ("C", 2021, 12, None), ("D", 2021, 7, None)])
    new = _rows(
        "EES 2025", [("A", 2021, 42, None), ("B", 2021, np.nan, "z"), ("C", 2021, np.nan, "x"), ("D", 2021, 7, None)]
    )
    flags: list = []
    out = latest_releases(pd.concat([old, new]), "cla_31mar", flags).set_index("la_code")["value"]
    assert out["A"] == 42  # revised
    assert np.isnan(out["B"])  # not applicable: missing, never the earlier zero
    assert out["C"] == 12  # not available in the later release: the earlier number, flagged
    assert out["D"] == 7
    got = {(f[0], f[3], f[4], f[5]) for f in flags}
    assert got == {
        ("A", "revised", "R-RELEASE", "EES 2022: 40; EES 2025: 42"),
        ("B", "revised", "R-RELEASE", "EES 2022: 0; EES 2025: z"),
        ("C", "imputed", "R-EARLIER", "EES 2025: x; EES 2022: 12"),
    }


def test_a_release_order_does_not_depend_on_the_order_files_are_read():
    old = _rows("SFR 2014", [("A", 2014, 207, None)])
    new = _rows("SFR 2018", [("A", 2014, 201, None)])
    a = latest_releases(pd.concat([new, old]), "cla_31mar", [])
    b = latest_releases(pd.concat([old, new]), "cla_31mar", [])
    assert a["value"].tolist() == b["value"].tolist() == [201]


# --- the committed snapshot -------------------------------------------------------------------------------

SNAP = Path(__file__).resolve().parents[1] / "data" / "official"


def test_on_the_snapshot_every_revised_cell_holds_the_later_release():
    panel = pd.read_csv(SNAP / "2018" / "panel.csv").set_index(["la_code", "year"])
    flags = pd.read_csv(SNAP / "2018" / "flags.csv", keep_default_na=False)
    moved = set(flags.loc[flags["column"] == "*", "la_code"])  # cells a boundary step summed or recoded
    rev = flags[(flags["rule"] == "R-RELEASE") & ~flags["la_code"].isin(moved)]
    assert len(rev) > 100
    checked = 0
    for r in rev.itertuples():
        later = r.detail.split("; ")[1].rsplit(": ", 1)[1]
        if (r.la_code, r.year) not in panel.index:
            continue
        value = panel.at[(r.la_code, r.year), r.column]
        if later in ("z", "u"):
            assert np.isnan(value), r
        else:
            assert value == float(later.replace(",", "")), r
        checked += 1
    assert checked > 100


def test_children_in_need_during_the_year_reach_the_latest_year_from_dfes_release():
    p = pd.read_csv(SNAP / "latest" / "panel.csv")
    flags = pd.read_csv(SNAP / "latest" / "flags.csv", keep_default_na=False)
    last = int(p["year"].max())
    assert p.loc[p["year"] == last, "cin_episodes"].notna().sum() >= 150
    assert not len(flags[(flags["column"] == "cin_episodes") & flags["rule"].str.startswith("L-LAIT")])
