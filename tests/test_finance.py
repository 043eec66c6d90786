"""MHCLG's finance returns: the readers on project-written files in the published layouts (invented values), the
harmonising rules, and the committed snapshot against the figures the NAO quotes and the folder's check figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.harmonise import finance as hfin
from cscbook.ingest import finance as fin
from cscbook.ingest import parse_file

ROOT = Path(__file__).resolve().parents[1]
SNAP = ROOT / "data" / "official"
RA_LINES = ["Sure start children's centres and early years", "Children looked after",
            "Other children and family services", "Family support services", "Youth justice",
            "Safeguarding children and young people's services", "Asylum seekers", "Services for young people",
            "Total children's social care"]  # fmt: skip


def grid_to_xlsx(rows: list[list], path: Path, sheet: str) -> Path:
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows])
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame([["Front page"]]).to_excel(xw, sheet_name="Front Page", header=False, index=False)
        frame.to_excel(xw, sheet_name=sheet, header=False, index=False)
    return path


def ra_rows(year: str = "2017-18") -> list[list]:
    """A Revenue Account budget sheet as published from 2017-18: title, measure, line numbers, header, authorities
    (a shire district among them), the ENGLAND row, then class totals that must not be read."""
    head = ["E-code", "ONS Code", "Local authority", None, "Class", "Early years"] + RA_LINES + ["Adult total"]
    rows = [
        [f"Revenue Account Budget (RA) {year}: Revenue Account data"],
        ["Net current expenditure (£ thousand)"],
        [None] * 5 + list(range(4, 15)),
        [],
        [None] * 5 + ["Education Services", "Children's Social Care"] + [None] * 8 + ["Adult Social Care"],
        [None] * 5 + [110, 310, 313, 315, 322, 323, 325, 326, 327, 330, 410],
        head,
    ]
    lines = [10, 100, 5, 20, 3, 40, 2, 6]  # each authority's lines, £ thousand; the total is their sum
    for code, ons, name, cls, k in [("E0101", "E06000022", "Northmoor UA", "UA", 1), ("E4601", "E08000025",
                                    "Southmere", "MD", 2), ("E2231", "E07000105", "Littleton BC", "SD", 1)]:  # fmt: skip
        vals = [v * k for v in lines]
        rows.append([code, ons, name, None, cls, 999] + vals + [sum(vals), 5000])
    eng = [v * 3 + 1 for v in lines]
    rows.append([None, None, "ENGLAND", None, None, 2997] + eng + [sum(eng), 15000])
    rows.append([None, None, "LONDON BOROUGHS", None, "L", 1] + [1] * 9 + [1])
    return rows


def test_a_budget_sheet_gives_every_line_of_the_social_care_authorities_and_englands_row(tmp_path):
    path = grid_to_xlsx(ra_rows(), tmp_path / "RA_2017-18.xlsx", "RA LA Data 2017-18")
    parsed = parse_file(path)
    assert parsed.source == "finance" and parsed.vintage.endswith("(RA) 2017-18")
    t = parsed.tables["finance"]
    la = t[t["level"] == "la"]
    assert set(la["ecode"]) == {"E0101", "E4601"}  # the shire district is left out
    assert set(la["year"]) == {2018} and set(la["measure"]) == {f"ra_{x}_net" for x in
        ["sure_start", "cla", "other_families", "family_support", "youth_justice", "safeguarding", "asylum",
         "young_people", "total"]}  # fmt: skip
    north = la[la["ecode"] == "E0101"].set_index("measure")["value"]
    assert north["ra_cla_net"] == 100_000 and north["ra_total_net"] == 186_000  # £ thousand to pounds
    eng = t[t["level"] == "england"].set_index("measure")["value"]
    assert eng["ra_total_net"] == (186 * 3 + 8) * 1000  # the ENGLAND row, not the class totals after it


def ro3_rows() -> list[list]:
    """An RO3 sheet as published from 2015-16: line names over blocks of seven measures, children looked after
    with an 'of which' part and a memorandum line that are inside other lines already."""
    measures = ["Employees (C1)", "Running Expenses (C2)", "Total Expenditure (C3 = C1 + C2)",
                "Sales, Fees and Charges (C4)", "Other Income (C5)", "Total Income (C6 = C4 + C5)",
                "Net Current Expenditure (C7 = C3 - C6)"]  # fmt: skip
    lines = ["Children's social care - Children Looked After", "Children Looked After - of which: fostering",
             "TOTAL CHILDREN SOCIAL CARE", "Supporting people ancillary expenditure included within total children's social care"]  # fmt: skip
    names = [None] * 5
    for ln in lines:
        names += [ln] + [None] * 6
    rows = [["Revenue Outturn (RO) 2016-17: Social Care and Public Health (RO3) data"], ["Net current expenditure"],
            [], [], names, [], ["E-code", "ONS Code", "Local authority", None, "Class"] + measures * len(lines)]  # fmt: skip

    def block(gross, income):
        return [gross - 1, 1, gross, income, 0, income, gross - income]

    rows.append(["E0102", "E06000023", "Westby", None, "UA"] + block(50, 5) + block(30, 3) + block(80, 8)
                + block(2, 0))  # fmt: skip
    rows.append(["E4001", "E06000053", "Isles", None, "UA"] + ["\u2026"] * 28)  # not available, flagged
    rows.append([None, None, "ENGLAND", None, None] + block(500, 50) + block(300, 30) + block(800, 80) + block(20, 0))
    return rows


def test_an_outturn_sheet_reads_gross_income_and_net_and_never_counts_a_part_twice(tmp_path):
    path = grid_to_xlsx(ro3_rows(), tmp_path / "RO3.xlsx", "RO3 LA Data 2016-17")
    t = parse_file(path).tables["finance"]
    west = t[t["ecode"] == "E0102"].set_index("measure")["value"] / 1000
    assert dict(west) == {"ro3_cla_gross": 50, "ro3_cla_income": 5, "ro3_cla_net": 45, "ro3_total_gross": 80,
                          "ro3_total_income": 8, "ro3_total_net": 72}  # fmt: skip
    isles = t[t["ecode"] == "E4001"]
    assert isles["value"].isna().all() and set(isles["symbol"]) == {"not available (\u2026)"}


def test_a_mac_roman_csv_export_is_read_with_its_apostrophes(tmp_path):
    rows = ra_rows("2023-24")
    rows[0] = ["Worksheet 2: Revenue Account Budget (RA) 2023-24: Revenue Account data"]
    rows[7][2] = "Northmoor\u2019s Borough"
    rows[8][6:15] = ["...", *rows[8][7:15]]  # a return not received
    text = "\n".join(",".join("" if v is None else f'"{v}"' for v in r) for r in rows) + "\n"
    path = tmp_path / "RA_2023-24.csv"
    path.write_bytes(text.encode("mac_roman"))
    t = parse_file(path).tables["finance"]
    assert "Northmoor\u2019s Borough" in set(t["la_name"])
    miss = t[(t["ecode"] == "E4601") & (t["measure"] == "ra_sure_start_net")].iloc[0]
    assert np.isnan(miss["value"]) and miss["symbol"] == "return not received (...)"


def test_codes_come_from_the_latest_file_and_early_totals_are_sums_of_lines():
    rows = pd.DataFrame(
        [
            # (la_code, ecode, year, measure, value)
            (None, "E2721", 2011, "ro3_strategy_net", 1.0),
            (None, "E2721", 2011, "ro3_other_families_net", 9.0),
            ("E10000022", "E2721", 2016, "ro3_total_net", 20.0),  # a misprinted ONS code
            ("E10000023", "E2721", 2020, "ro3_total_net", 30.0),
            ("E10000023", "E2721", 2022, "rsx_total_net", 40.0),
            ("E10000023", "E2721", 2022, "ro3_cla_net", 12.0),
        ],
        columns=["la_code", "ecode", "year", "measure", "value"],
    ).assign(level="la")
    coded = hfin.with_codes(rows, {})
    assert set(coded["la_code"]) == {"E10000023"}
    got = hfin.choose(coded, ["la_code", "year"]).set_index(["measure", "year"])["value"]
    assert got[("outturn_csc", 2011)] == 10.0 and got[("outturn_csc", 2016)] == 20.0
    assert got[("outturn_csc", 2022)] == 40.0 and got[("outturn_cla", 2022)] == 12.0  # RSX where RO3 is absent


def test_lines_that_do_not_add_up_to_their_total_are_flagged():
    rows = pd.DataFrame(
        [
            ("E1", 2018, "ro3_cla_net", 50_000.0),
            ("E1", 2018, "ro3_safeguarding_net", 40_000.0),
            ("E1", 2018, "ro3_total_net", 95_000.0),
            ("E2", 2018, "ro3_cla_net", 50_000.0),
            ("E2", 2018, "ro3_total_net", 50_500.0),
        ],  # fmt: skip
        columns=["la_code", "year", "measure", "value"],
    )
    flags: list = []
    hfin.check_lines(rows, flags)
    assert flags == [("E1", 2018, "outturn_csc", "suspect", "F-LINES")]  # E2's gap is rounding


def test_a_total_not_received_is_taken_from_the_later_summary_and_a_gap_keeps_its_reason():
    """F-LATER: an RO3 total not received in time takes the later RSX release's total, flagged revised. F-RETURN:
    a cell no return fills stays missing with the publisher's reason. A sum of lines never stands in for an
    empty total."""
    late = "not received in time ([x])"
    rows = pd.DataFrame(
        [
            ("A", 2024, "ro3_total_net", np.nan, late),
            ("A", 2024, "rsx_total_net", 70.0, None),
            ("B", 2024, "ro3_total_net", np.nan, late),
            ("B", 2024, "rsx_total_net", np.nan, late),
            ("B", 2024, "ro3_asylum_net", 3.0, None),  # a line present beside an empty total
            ("B", 2024, "ro3_other_families_net", 4.0, None),
            ("C", 2024, "ro3_total_net", 90.0, None),
            ("C", 2024, "rsx_total_net", 91.0, None),  # RO3 wins where it has the total
        ],
        columns=["la_code", "year", "measure", "value", "symbol"],
    )
    flags: list = []
    got = hfin.choose(rows, ["la_code", "year"], flags).set_index(["measure", "la_code"])["value"]
    assert got[("outturn_csc", "A")] == 70.0 and got[("outturn_csc", "C")] == 90.0
    assert ("outturn_csc", "B") not in got.index
    assert ("A", 2024, "outturn_csc", "revised", "F-LATER") in flags
    assert ("B", 2024, "outturn_csc", "missing", "F-RETURN", late) in flags
    assert not [f for f in flags if f[0] == "C"]


def test_englands_lines_take_the_budget_and_the_outturn_row_by_row():
    rows = pd.DataFrame(
        [
            (2018, "ra_cla_net", 30.0),
            (2018, "ra_total_net", 80.0),
            (2018, "ro3_cla_net", 35.0),
            (2018, "ro3_total_net", 88.0),
            (2018, "ro3_cla_gross", 99.0),  # gross is not a line of this table
            (2022, "ra_total_net", 100.0),
            (2022, "rsx_total_net", 110.0),  # no RO3 that year: the summary's total
            (2024, "ro3_total_net", 140.0),
            (2024, "rsx_total_net", 146.0),  # RO3 kept where it exists
        ],
        columns=["year", "measure", "value"],
    ).assign(level="england")
    t = hfin.england_lines(rows).set_index(["year", "line"])
    assert list(t.columns) == ["line_name", "budget", "outturn", "outturn_source"]
    assert t.loc[(2018, "cla"), ["budget", "outturn"]].tolist() == [30.0, 35.0]
    assert t.loc[(2022, "total"), ["budget", "outturn", "outturn_source"]].tolist() == [100.0, 110.0, "RSX"]
    assert np.isnan(t.loc[(2024, "total"), "budget"]) and t.loc[(2024, "total"), "outturn"] == 140.0
    assert list(t.loc[2018].index) == ["cla", "total"]  # the chapter's order: the total last


# --- the committed snapshot -----------------------------------------------------------------------------------


def england() -> pd.DataFrame:
    return pd.read_csv(SNAP / "latest" / "england.csv").set_index("year")


def test_the_budgets_the_nao_quotes_are_in_englands_rows():
    """RA England rows: £8.0bn budgeted in 2017-18 and £8.6bn in 2018-19; the looked-after budget rose by £350m,
    9.1% (the NAO's figures, exactly as the folder's check figures give them)."""
    e = england()
    assert e.loc[2018, "budget_csc"] == pytest.approx(8_027_600_700, abs=1_000)
    assert e.loc[2019, "budget_csc"] == pytest.approx(8_570_040_000, abs=1_000)
    rise = e.loc[2019, "budget_cla"] - e.loc[2018, "budget_cla"]
    assert rise == pytest.approx(350_188_000, abs=1_000) and rise / e.loc[2018, "budget_cla"] == pytest.approx(
        0.0913, abs=5e-4
    )
    assert e.loc[2018, "outturn_csc"] == pytest.approx(8_833_736_300, abs=1_000)  # RO3 net current expenditure


def test_outturn_above_budget_in_2017_18_authority_by_authority():
    """RO3 against RA on the 152 authorities of 2017-18: 133 over budget by £851.8m together (the folder's check
    figure; the NAO's 91% and £872m are not reproduced by the revised outturn)."""
    p = pd.read_csv(SNAP / "2018" / "panel.csv")
    y = p[p["year"] == 2018].dropna(subset=["budget_csc", "outturn_csc"])
    over = y["outturn_csc"] - y["budget_csc"]
    assert len(y) == 152 and (over > 0).sum() == 133
    assert over[over > 0].sum() == pytest.approx(851_832_400, abs=1_000)


def test_the_finance_inputs_and_rules_are_in_the_snapshots_meta():
    meta = json.loads((SNAP / "latest" / "meta.json").read_text())
    read = [k for k, v in meta["inputs"].items() if v["source"] == "finance"]
    assert len(read) == 32 and not [k for k in meta["not_read"] if k.startswith("mhclg-la-finance/")]
    assert {"F-CODES", "F-BUDGET", "F-OUTTURN", "F-LINES"} <= set(meta["rules"])


def test_product_titles():
    assert fin.product_of("Revenue Account Budget (RA): 2010-11 data") == "ra"
    assert fin.product_of("Revenue Outturn Summary (R03): 2009-10 data") == "ro3"
    assert fin.product_of("Worksheet 2: Revenue Outturn (RO) 2024-25: Service Expenditure Summary (RSX)") == "rsx"
    assert fin.product_of("Revenue Outturn (RO) 2017-18: Highways (RO2) data") is None


def test_a_split_authority_counts_once_before_its_split():
    """Successors whose figures are their predecessor's shared out count as the one authority they then were."""
    from cscbook import contract
    from cscbook.chapters.budgets.tables import as_they_were

    flags = pd.DataFrame(
        [("N1", 2020, "*", "apportioned", "G-SPLIT"), ("N2", 2020, "*", "apportioned", "G-SPLIT")],
        columns=["la_code", "year", "column", "flag", "rule"],
    )
    g = pd.DataFrame(
        {
            "la_code": ["N1", "N2", "A"],
            "year": [2020] * 3,
            "budget_csc": [60.0, 40.0, 10.0],
            "outturn_csc": [66.0, 44.0, 9.0],
        }  # fmt: skip
    )
    units = as_they_were(g, contract.apportioned_rows(flags))
    assert units.to_dict("index") == {"A": {"budget_csc": 10.0, "outturn_csc": 9.0},
                                      "G-SPLIT": {"budget_csc": 100.0, "outturn_csc": 110.0}}  # fmt: skip


def test_englands_lines_add_up_to_englands_totals_in_the_snapshot():
    """finance_lines.csv: the total line is england.csv's total, and from 2014-15 the lines add up to it."""
    lines = pd.read_csv(SNAP / "latest" / "finance_lines.csv")
    e = england()
    tot = lines[lines["line"] == "total"].set_index("year")
    budget = e["budget_csc"].reindex(tot.index)
    assert np.allclose(tot["budget"].dropna(), budget[tot["budget"].notna()], rtol=1e-9)
    assert np.allclose(tot["outturn"], e["outturn_csc"].reindex(tot.index), rtol=1e-9)
    later = (
        lines[(lines["year"] >= 2015) & (lines["line"] != "total")]
        .groupby("year")[["budget", "outturn"]]
        .sum(min_count=1)
    )
    for col in ("budget", "outturn"):
        both = later[col].dropna().index.intersection(tot[col].dropna().index)
        both = [y for y in both if set(lines.loc[lines["year"] == y, "line"]) != {"total"}]
        assert len(both) >= 6
        assert np.allclose(later.loc[both, col], tot.loc[both, col], rtol=2e-3), col
    assert 2024 not in set(lines.loc[lines["budget"].notna(), "year"])  # no England row in RA 2023-24


def test_the_authorities_add_up_to_englands_row_in_every_year_all_returned():
    """England's rows include shire districts' and other bodies' small amounts: in a year every authority made
    its return, the authorities' sum is within 0.1% of England's row, for the budget and the outturn."""
    p = pd.read_csv(SNAP / "2018" / "panel.csv")
    e = pd.read_csv(SNAP / "2018" / "england.csv").set_index("year")
    checked = 0
    for col in ("budget_csc", "outturn_csc", "budget_cla", "outturn_cla"):
        for year, g in p.groupby("year"):
            if g[col].isna().any() or pd.isna(e[col].get(year)):
                continue
            assert g[col].sum() == pytest.approx(e.loc[year, col], rel=1e-3), (col, year)
            checked += 1
    assert checked >= 25
