"""Inputs that once ended in the catch-all 'unexpected' line now name the file, field or option and the rule."""

from __future__ import annotations

import os

import openpyxl
import pytest

from cscbook.errors import UserError
from cscbook.ingest import ingest_folder
from tests.fixtures import official


def _one_line(e) -> str:
    line = e.value.line()
    assert "\n" not in line and "unexpected" not in line and len(line) < 400, line
    return line


def test_a_field_past_the_csv_parsers_limit_names_its_line(tmp_path):
    folder = official.write_all(tmp_path / "in")
    lines = (folder / "c1.csv").read_text().splitlines()
    lines[2] = lines[2].replace("Referrals", '"' + "R" * 200_000 + '"', 1)
    (folder / "c1.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as e:
        ingest_folder(folder, cache=None)
    line = _one_line(e)
    assert "c1.csv: line 3: a field longer than the parser's limit of 131,072 characters" in line
    assert e.value.rule == "csv-format"


def test_a_file_name_that_is_not_utf8_is_named_escaped(tmp_path):
    folder = official.write_all(tmp_path / "in")
    os.rename(os.fsencode(folder / "csww.csv"), os.fsencode(folder) + b"/csww\xff.csv")
    with pytest.raises(UserError) as e:
        ingest_folder(folder, cache=None)
    assert "the name 'csww\\\\xff.csv' is not UTF-8 text" in _one_line(e) and e.value.rule == "file-name"


@pytest.mark.parametrize(
    "merge, what",
    [("A4:B4", "no authority name column"), ("C4:E4", None)],
    ids=["name-merged-into-code", "description-and-spending-merged"],
)
def test_merged_header_cells_in_a_section_251_sheet_are_named(tmp_path, merge, what):
    """A header merged over its neighbours: refused naming the sheet, row and missing column, or (when it no
    longer looks like table A1 at all) listed as a file not recognised."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = official.s251_xlsx(folder)
    wb = openpyxl.load_workbook(f)
    wb["TA1_AllData"].merge_cells(merge)
    wb.save(f)
    if what is None:
        inv = ingest_folder(folder, cache=None).inventory.set_index("path")
        assert inv.loc["s251.xlsx", "status"] == "unrecognised"
        return
    with pytest.raises(UserError) as e:
        ingest_folder(folder, cache=None)
    line = _one_line(e)
    assert "sheet 'TA1_AllData', header row 4" in line and what in line and e.value.rule == "missing-columns"
