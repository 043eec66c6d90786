"""Looked-after children by age: the SFR starts files (one year, or five with the latest year's age split),
a publisher's mislabelled year recognised by the file's content, and England's row of the 2009-10 table."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook.errors import UserError
from cscbook.ingest import cla, parse_file

HEAD = "New_geog_code,geog_l,geog_c,geog_n"


def _write(path, cols, rows):
    path.write_text(",".join([HEAD, *cols]) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_a_five_year_starts_file_gives_each_year_and_the_age_split_of_its_own(tmp_path):
    cols = ["CLA_started2014", "CLA_started2015", "CLA_taken2015", "SCLA_16over"]
    f = _write(
        tmp_path / "adm.csv",
        cols,
        [
            ["E92000001", "NATIONAL", "999", "ENGLAND", 900, 950, 400, 120],
            ["E06000901", "LA", "901", "Northmoor", 90, 95, 40, 12],
            ["E06000902", "LA", "902", "Eastfold", 60, "x", 20, "x"],
        ],
    )
    r = parse_file(f)
    t = r.tables["cla"].set_index(["la_name", "year", "measure"])["value"]
    assert r.vintage == "SFR 2015"
    assert t[("Northmoor", 2014, "cla_starts")] == 90 and t[("Northmoor", 2015, "cla_starts")] == 95
    assert t[("Northmoor", 2015, "cla_starts_16plus")] == 12 and ("Northmoor", 2014, "cla_starts_16plus") not in t
    assert pd.isna(t[("Eastfold", 2015, "cla_starts_16plus")])  # suppressed: missing, with its symbol


def test_a_file_whose_header_names_the_wrong_year_is_read_as_the_year_it_holds(tmp_path, monkeypatch):
    f = _write(
        tmp_path / "adm.csv",
        ["CLA_started2014", "CLA_taken2014", "SCLA_16over"],
        [
            ["E92000001", "NATIONAL", "999", "ENGLAND", 910, 400, 130],
            ["E06000901", "LA", "901", "Northmoor", 91, 40, 13],
        ],
    )
    assert parse_file(f).vintage == "SFR 2014"  # as its header says
    monkeypatch.setattr(cla, "MISLABELLED", {("CLA_started2014", 910.0): 2015})  # recognised by England's figure
    r = cla.read_sfr_starts(f)
    assert r.vintage == "SFR 2015" and set(r.tables["cla"]["year"]) == {2015} and "2014-15" in r.notes[0]


def test_englands_starts_by_age_come_from_the_2010_table(tmp_path):
    rows = [[None] * 12 for _ in range(16)]
    rows[1][0], rows[1][1] = "Table LAC3:", "Children who started to be looked after during the year by age on starting"
    rows[2][0] = "Year ending 31 March 2010"
    rows[7][2] = "All Children who started to be looked after"
    rows[9][7], rows[9][11] = "Under 1", "16 and over"
    rows[14][0], rows[14][2], rows[14][11] = "England", 27000, 3100
    rows[15][0], rows[15][2], rows[15][11] = "Northmoor", 300, 35
    f = tmp_path / "lac.xlsx"
    with pd.ExcelWriter(f) as xw:
        pd.DataFrame([["Contents"]]).to_excel(xw, sheet_name="Contents", header=False, index=False)
        pd.DataFrame(rows).to_excel(xw, sheet_name="LAC3", header=False, index=False)
    r = parse_file(f)
    t = r.tables["cla"].set_index("measure")["value"]
    assert r.vintage == "SFR 2010 table LAC3" and set(r.tables["cla"]["level"]) == {"england"}
    assert t["cla_starts"] == 27000 and t["cla_starts_16plus"] == 3100


def test_a_2010_table_without_englands_row_is_named(tmp_path):
    rows = [[None] * 12 for _ in range(16)]
    rows[1][1] = "Children who started to be looked after during the year by age on starting"
    rows[2][0] = "Year ending 31 March 2010"
    f = tmp_path / "lac.xlsx"
    pd.DataFrame(rows).to_excel(f, sheet_name="LAC3", header=False, index=False)
    with pytest.raises(UserError, match="LAC3: no England row"):
        parse_file(f)
