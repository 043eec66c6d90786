"""Readers on invented files in the published layouts: symbols, separators, mislabels, joint rows, s251 lines."""

from __future__ import annotations

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
