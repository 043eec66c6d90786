"""Cells read as the publisher wrote them: dates (serial numbers, day first, unreadable) and formulas saved
without their value; and spreadsheets and archives that would expand past their bounds, refused in one line."""

from __future__ import annotations

import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from cscbook.errors import UserError
from cscbook.ingest import ingest_folder, ofsted
from cscbook.ingest.common import Workbook
from tests.fixtures import official

HISTORY_HEADER = [
    "Web link",
    "Local authority name",
    "Safeguarding & looked after children (SLAC) inspection publication date",
    "SLAC safeguarding overall effectiveness",
]


def _history(path, dates: list[object]) -> Workbook:
    """An Ofsted history workbook (invented authorities) whose SLAC dates are ``dates``, as cells hold them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "LA_inspections_history"
    ws.append(["Inspections of local authority children's services"])
    ws.append(HISTORY_HEADER)
    for i, d in enumerate(dates):
        ws.append([f"https://example.invalid/{i}", f"Authority {i}", d, "Good"])
    wb.save(path)
    return Workbook(path)


def test_dates_are_read_as_the_publisher_wrote_them(tmp_path):
    """A serial day number is that day (not 1 January 1970); text is read day first."""
    wb = _history(
        tmp_path / "history.xlsx", [43190, "01/03/2018", "31/03/2018", "5 April 2019", pd.Timestamp("2017-06-02")]
    )
    assert ofsted.detect(wb) == "history"
    got = ofsted.read(wb, "history").tables["ofsted"].set_index("la_name")["date"]
    assert got["Authority 0"] == pd.Timestamp("2018-03-31")
    assert got["Authority 1"] == pd.Timestamp("2018-03-01")  # 1 March, not 3 January
    assert got["Authority 2"] == pd.Timestamp("2018-03-31")
    assert got["Authority 3"] == pd.Timestamp("2019-04-05")
    assert got["Authority 4"] == pd.Timestamp("2017-06-02")
    assert (got.dt.year > 2000).all()


def test_a_date_that_is_not_one_is_named_by_file_sheet_row_and_column(tmp_path):
    wb = _history(tmp_path / "history.xlsx", ["01/03/2018", "TBC"])
    with pytest.raises(UserError) as e:
        ofsted.read(wb, "history")
    line = e.value.line()
    assert "history.xlsx" in line and "'LA_inspections_history'" in line and "row 4" in line
    assert "SLAC) inspection publication date" in line and "'TBC' is not a date" in line and e.value.rule == "date"


def test_a_formula_saved_without_its_value_is_refused_naming_its_cell(tmp_path):
    """openpyxl, like any program that does not calculate, saves a formula with no value: read as it stood, the
    cell would be missing spending. It is refused, naming the sheet and cell."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = official.s251_xlsx(folder)
    wb = openpyxl.load_workbook(f)
    ws = wb["TA1_AllData"]
    assert ws["E7"].value == 150  # Northmoor's Sure Start total
    ws["E7"] = "=100+50"
    wb.save(f)
    with pytest.raises(UserError) as e:
        ingest_folder(folder, cache=None)
    line = e.value.line()
    assert "s251.xlsx" in line and "row 7" in line and "(cell E7)" in line and e.value.rule == "formula-value"


def test_a_formula_without_its_value_outside_the_cells_read_is_no_obstacle(tmp_path):
    """A drop-down sheet beside the data (as in a published RO3 workbook) may hold such formulas: only a cell a
    reader takes a figure from is refused."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = official.s251_xlsx(folder)
    wb = openpyxl.load_workbook(f)
    wb.create_sheet("Lookup")["D22"] = "=VLOOKUP(A1,TA1_AllData!A:F,5,0)"
    wb["TA1_AllData"]["H7"] = "=E7*2"  # beside the table, in no column read
    wb.save(f)
    s251 = ingest_folder(folder, cache=None).tables["s251"].set_index(["la_name", "measure"])["value"]
    assert s251["Northmoor", "spend_sure_start"] == 150


def test_a_formula_with_its_saved_value_reads_as_that_value(tmp_path):
    """A formula saved by a spreadsheet program carries its value: that is the spending read."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = official.s251_xlsx(folder)
    with zipfile.ZipFile(f) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/"))
    xml = members[sheet].decode()
    cell = xml[xml.index('<c r="E7"') :]
    cell = cell[: cell.index("</c>") + 4]
    assert "<v>150</v>" in cell
    members[sheet] = xml.replace(cell, '<c r="E7"><f>100+51</f><v>151</v></c>').encode()
    with zipfile.ZipFile(f, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    s251 = ingest_folder(folder, cache=None).tables["s251"].set_index(["la_name", "measure"])["value"]
    assert s251["Northmoor", "spend_sure_start"] == 151


def _ods(path, table_xml: str):
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="Data">{table_xml}</table:table></office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    return path


CELL = '<table:table-cell office:value-type="float" office:value="1" {}><text:p>1</text:p></table:table-cell>'


WIDE = CELL.format('table:number-columns-repeated="30000000"')
TALL = CELL.format('table:number-columns-repeated="200"')


@pytest.mark.parametrize(
    "table, what",
    [
        (f"<table:table-row>{WIDE}</table:table-row>", "30,000,000 columns"),
        (f'<table:table-row table:number-rows-repeated="5000000">{TALL}</table:table-row>', "5,000,000 rows"),
    ],
    ids=["columns", "rows"],
)
def test_a_tiny_ods_that_declares_millions_of_cells_is_refused_before_it_expands(tmp_path, table, what):
    """A few hundred bytes that would expand to gigabytes: refused in one line, in well under a second."""
    f = _ods(tmp_path / "bomb.ods", table)
    assert f.stat().st_size < 2000
    t = time.perf_counter()
    with pytest.raises(UserError) as e:
        Workbook(f).sheet("Data")
    assert time.perf_counter() - t < 5
    line = e.value.line()
    assert "bomb.ods" in line and "sheet 'Data'" in line and e.value.rule == "sheet-size", line
    assert what in line


def test_an_ods_formula_saved_without_its_value_is_refused_where_it_is_read(tmp_path):
    from cscbook.ingest.common import to_number
    from cscbook.ingest.sheets import read_date

    f = _ods(tmp_path / "f.ods", '<table:table-row><table:table-cell table:formula="of:=1+1"/></table:table-row>')
    cells = Workbook(f).sheet("Data")
    with pytest.raises(UserError) as e:
        to_number(cells[0], f, "value", cells.index.to_series() + 1)
    assert "row 1, column 'value' (cell A1): a formula saved without its value" in e.value.line()
    with pytest.raises(UserError) as e:
        read_date(cells.iat[0, 0], f, "Data", 1, "date")
    assert "sheet 'Data', row 1, column 'date' (cell A1)" in e.value.line() and e.value.rule == "formula-value"


def test_an_xlsx_whose_cells_span_the_whole_grid_is_refused(tmp_path):
    """Two cells, A1 and XFD1048576: read, the sheet would be 17 billion cells."""
    f = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.active["XFD1048576"] = 2
    wb.save(f)
    with pytest.raises(UserError) as e:
        Workbook(f).sheet(wb.active.title)
    assert "1,048,576 rows by 16,384 columns" in e.value.line() and e.value.rule == "sheet-size"


def _zip(path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "members, what, rule",
    [
        ({"data/big.csv": b"0" * (64 * 1024**2)}, "times its size", "archive-ratio"),
        (
            {"inner.zip": b"PK\x05\x06" + b"\0" * 18, "a.csv": b"a\n1\n"},
            "'inner.zip' is an archive inside",
            "archive-nested",
        ),
        ({f"m{i}.txt": b"" for i in range(20_000)}, "20,000 members", "archive-members"),
    ],
    ids=["bomb", "nested", "many-members"],
)
def test_an_archive_past_its_bounds_is_refused_in_a_short_line(tmp_path, members, what, rule):
    (tmp_path / "in").mkdir()
    _zip(tmp_path / "in" / "release.zip", members)
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "in", cache=None)
    line = e.value.line()
    assert what in line and "release.zip" in line and e.value.rule == rule and len(line) < 300, line


def test_an_encrypted_member_is_refused_by_name(tmp_path):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "release.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data/c1.csv", b"\x00" * 40)
    raw = bytearray(path.read_bytes())  # mark the member encrypted, as a password-protected archive does
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        raw[raw.index(sig) + at] |= 0x1
    path.write_bytes(bytes(raw))
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "in", cache=None)
    assert "'data/c1.csv' is encrypted" in e.value.line() and e.value.rule == "archive-encrypted"
