"""Readers on invented files in the published layouts: symbols, separators, mislabels, joint rows, s251 lines."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook.errors import UserError
from cscbook.ingest import ingest_folder, parse_file
from tests.fixtures import official


def _v(t, code, measure, year=None):
    r = t[(t["la_code"] == code) & (t["measure"] == measure)]
    if year is not None:
        r = r[r["year"] == year]
    return r.iloc[0]


def test_sfr_cin_symbols_commas_mislabel(tmp_path):
    p = parse_file(official.sfr_cin(tmp_path))
    t = p.tables["cin"]
    assert p.vintage == "SFR 2014-15"
    assert _v(t, "E06000901", "cin_episodes")["value"] == 1000  # "1,000"
    assert _v(t, "E06000902", "referrals")["symbol"] == "x"
    assert str(_v(t, "E06000903", "referrals")["value"]) == "nan"  # '..' is missing, never zero
    assert _v(t, "E06000901", "cin_rate")["value"] == 300.0  # CINAt310314RatePer10K read as 2015
    assert any("mislabelled" in n for n in p.notes)


def test_ees_2025_renamed_and_cla_z_rows(tmp_path):
    t = parse_file(official.ees_c1_2025(tmp_path)).tables["cin"]
    assert _v(t, "E06000902", "referrals", 2016)["value"] == 1001
    c = parse_file(official.ees_cla(tmp_path))
    assert "E06000904" not in set(c.tables["cla"]["la_code"])
    assert c.notes and "'z'" in c.notes[0]


def test_ees_2025_b1_without_rates(tmp_path):
    t = parse_file(official.ees_b1_2025(tmp_path)).tables["cin"]
    assert set(t["measure"]) == {"cin_31mar", "cin_episodes"}  # no rate column to read
    assert _v(t, "E06000901", "cin_episodes", 2025)["value"] == 700
    assert _v(t, "E06000903", "cin_31mar", 2025)["symbol"] == "c"  # suppressed, missing, never zero


def test_ees_layout_moved_again_is_refused_in_one_line(tmp_path):
    with pytest.raises(UserError) as e:
        parse_file(official.ees_b1_2025(tmp_path, drop="Anypoint_episodes"))
    msg = str(e.value)
    assert "b1.csv" in msg and "Anypoint_episodes" in msg and "\n" not in msg


def test_ees_cla_2022_label_in_population_count_with_starts(tmp_path):
    t = parse_file(official.ees_cla_2022(tmp_path)).tables["cla"]
    assert _v(t, "E06000902", "cla_31mar", 2022)["value"] == 101
    assert _v(t, "E06000902", "cla_starts", 2022)["value"] == 41  # ceasing rows are not read
    assert len(t[t["measure"] == "cla_starts"]) == 3


def test_ees_cla_2025_successors_side_by_side(tmp_path):
    p = parse_file(official.ees_cla_2025_successors(tmp_path))
    t = p.tables["cla"]
    got = {(r.la_code, r.year, r.measure): r.value for r in t[t["measure"] != "cla_pop_0_17"].itertuples()}
    assert got == {
        ("E10000901", 2023, "cla_31mar"): 500,
        ("E10000901", 2023, "cla_starts"): 200,
        ("E06000909", 2024, "cla_31mar"): 501,
        ("E06000909", 2024, "cla_starts"): 201,
    }  # the 'z' rows of the authority that did not exist are dropped
    assert "'z'" in p.notes[0]


def test_ons_deflator_financial_years(tmp_path):
    f = tmp_path / "ybgb.csv"
    head = ['"Title","GDP deflator"', '"CDID","YBGB"', '"Source dataset ID","UKEA"', '"Important notes",']
    quarters = [f'"{y} Q{q}","{100 + 4 * (y - 2023) + q}"' for y in (2023, 2024) for q in (1, 2, 3, 4)]
    f.write_text("\n".join(head + ['"2023","102.5"'] + quarters + ['"2025 Q1","109"']) + "\n")
    p = parse_file(f)
    d = p.tables["deflator"].set_index("year")["value"]
    assert p.source == "deflator" and p.vintage == "ONS YBGB to 2025"
    assert d[2024] == pytest.approx((102 + 103 + 104 + 105) / 4)  # 2023 Q2-Q4 and 2024 Q1
    assert d[2025] == pytest.approx((106 + 107 + 108 + 109) / 4)
    assert 2023 not in d.index  # 2022 Q2-Q4 are not in the file: incomplete year left out


def test_lait_long_table(tmp_path):
    t = parse_file(official.lait_long(tmp_path)).tables["lait"]
    la = t[t["level"] == "la"].set_index(["old_la_code", "measure", "year"])
    assert la.loc[("901", "cla_starts", 2024), "value"] == 40
    assert pd.isna(la.loc[("902", "cla_starts", 2024), "value"])  # '-' is missing, never zero
    assert la.loc[("901", "cin_31mar_rate", 2024), "value"] == 290.9  # a rate, artefact rounded away
    assert la.loc[("901", "spend_sure_start", 2024), "value"] == 1_000_000  # '2023-24 (OT)' ends March 2024
    eng = t[t["level"] == "england"]
    assert list(eng["value"]) == [32000] and eng["old_la_code"].isna().all()  # 970 is England
    assert "980" not in set(t["old_la_code"].dropna()) and "ChildPov" not in set(t["measure"])


def test_csww_joint_row_apportioned(tmp_path):
    t = parse_file(official.csww_joint(tmp_path)).tables["workforce"]
    v = t[t["measure"] == "sw_vacancy_rate"].set_index("la_code")
    assert v.loc["E06000901", "value"] == pytest.approx(0.205) and v.loc["E06000902", "value"] == pytest.approx(0.205)
    assert v.loc["E06000901", "apportioned"] and v.loc["E06000903", "symbol"] == "low"


def test_s251_subtotals_and_memoranda_not_double_counted(tmp_path):
    p = parse_file(official.s251_xlsx(tmp_path))
    t = p.tables["s251"].set_index(["old_la_code", "measure"])["value"]
    assert p.vintage == "s251 2011-12"
    assert t[("901", "spend_sure_start")] == 150 and t[("901", "spend_cla")] == 400
    assert t[("901", "spend_cera")] == 5 and t[("901", "spend_total_excl_cera")] == 580


def test_folder_inventory_ignores_md(tmp_path):
    r = ingest_folder(official.write_all(tmp_path / "in"), cache=tmp_path / "cache")
    assert set(r.inventory["source"]) == {"cin", "cla", "workforce", "s251"}
    assert not r.inventory["path"].str.endswith(".md").any()
    assert (r.flags["rule"].str.contains("suppressed|not available")).any()
    again = ingest_folder(tmp_path / "in", cache=tmp_path / "cache")  # from cache
    assert again.tables["cin"].equals(r.tables["cin"])


@pytest.mark.parametrize(
    "content, rule",
    [
        (b"", "empty-file"),
        (b"\xff\xfe\x00bad", "encoding"),
        (
            "\ufeff"
            + official.EES
            + ",category,referral_count\n2016,Reporting year,Local authority,E,England,R,N,901,E06000901,A,Referrals,lots\n",
            "non-numeric",
        ),
        (
            "\ufeff"
            + official.EES
            + ",category,referral_count\n2016,Reporting year,Local authority,E,England,R,N,901,E06000901,A,Referrals,-4\n",
            "negative-count",
        ),
        (
            "\ufeff"
            + official.EES
            + ",category,referral_count\n"
            + "2016,Reporting year,Local authority,E,England,R,N,901,E06000901,A,Referrals,4\n" * 2,
            "duplicate-rows",
        ),
    ],
)
def test_bad_input_one_line_errors(tmp_path, content, rule):
    f = tmp_path / "bad.csv"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(UserError) as e:
        parse_file(f)
    assert e.value.rule == rule and "\n" not in e.value.line() and str(f) in e.value.line()


def test_workbook_without_data_sheet_is_unrecognised(tmp_path):
    import pandas as pd

    f = tmp_path / "x.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(f, index=False)
    assert "without a recognised data sheet" in parse_file(f)


def test_truncated_workbook(tmp_path):
    f = tmp_path / "t.xlsx"
    f.write_bytes(b"PK\x03\x04broken")
    with pytest.raises(UserError) as e:
        parse_file(f)
    assert e.value.rule == "workbook-format"
