"""What a spreadsheet or an archive may expand to, and the cells whose meaning has to be read with care: dates
as the publisher wrote them (UK order, or a spreadsheet's serial number) and formulas saved without their value.

A publisher's file is small and its sheets are a few thousand rows; a file that declares millions of repeated
cells, or unpacks to hundreds of times its size, is refused in one line before it is expanded.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import column_index_from_string, get_column_letter

from cscbook.errors import UserError

#: A sheet may hold at most as many rows and columns as Excel allows, and at most this many cells in all.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELLS = 20_000_000
#: What a formula saved without its value reads as: a reader that takes a number or a date from it refuses it.
UNSAVED = "#FORMULA-WITHOUT-VALUE"
#: Dates as UK publishers write them: day first.
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%b-%y")
#: A spreadsheet's day 0 (Excel's 1900 system, as LibreOffice also counts) and its last representable day.
EPOCH = pd.Timestamp("1899-12-30")
LAST_SERIAL = 2_958_465


def check_shape(where: Path | str, sheet: str, rows: int, columns: int) -> None:
    """Refuse a sheet that would expand past the bounds, before it is built."""
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise UserError(
            where,
            f"sheet {sheet!r} expands to {rows:,} rows by {columns:,} columns, over the bounds "
            f"({MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns, {MAX_CELLS:,} cells)",
            "sheet-size",
        )


_XLSX_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_XLSX_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_VALUE = re.compile(rb"<v>[^<]")  # a saved value (a program that does not calculate writes <v></v> or none)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


_REL = re.compile(rb"<Relationship\b[^>]*?>")


def _attr(tag: bytes, name: bytes) -> str | None:
    m = re.search(rb"\b" + name + rb'="([^"]*)"', tag)
    return m.group(1).decode() if m else None


def xlsx_sheet_members(z: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name in an xlsx archive -> the XML member that holds it (empty when it cannot be told)."""
    import html

    try:
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in _REL.findall(rels):
        target = (_attr(tag, b"Target") or "").lstrip("/")
        targets[_attr(tag, b"Id")] = target if target.startswith("xl/") else f"xl/{target}"
    members = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*?>", book):
        rid = _attr(tag, b"r:id") or _attr(tag, b"id")
        if rid in targets:
            members[html.unescape(_attr(tag, b"name") or "")] = targets[rid]
    return members


def xlsx_unsaved_formulas(path: Path, sheet: str, member: str | None) -> list[tuple[int, int]]:
    """Before an xlsx sheet is read from its XML ``member`` (see :func:`xlsx_sheet_members`): check that its extent
    is within the bounds, and return the (row, column), counted from 1, of each formula saved without its value
    (a program that does not calculate writes none; read as it stands, such a cell would be a silent blank)."""
    with zipfile.ZipFile(path) as z:
        if member is None or member not in z.namelist():
            return []
        xml = z.read(member)
    rows = cols = row = 0
    unsaved = []
    for r in _XLSX_ROW.finditer(xml):  # a row or cell may omit its reference: then it follows the one before
        n = _attr(r.group(1), b"r")
        row = int(n) if n and n.isdigit() else row + 1
        rows = max(rows, row)
        col = 0
        for c in _XLSX_CELL.finditer(r.group(2) or b""):
            ref = _REF.search(c.group(1))
            col = column_index_from_string(ref.group(1).decode()) if ref else col + 1
            cols = max(cols, col)
            body = c.group(2) or b""
            if b"<f" in body and not _VALUE.search(body):
                unsaved.append((row, col))
        if rows > MAX_ROWS or cols > MAX_COLUMNS:
            break
    check_shape(path, sheet, rows, cols)
    return unsaved


def mark_unsaved(df, cells: list[tuple[int, int]]) -> None:
    """Put :data:`UNSAVED` in each blank cell that is a formula saved without its value (``df`` as read, with
    ``header=None``), so a reader that takes a number or date from it refuses it, naming it."""
    for row, col in cells:
        if row <= df.shape[0] and col <= df.shape[1] and pd.isna(df.iat[row - 1, col - 1]):
            df.iat[row - 1, col - 1] = f"{UNSAVED} {get_column_letter(col)}{row}"


def read_date(value: object, where: Path | str, sheet: str, row: int, column: str) -> pd.Timestamp:
    """A date as the publisher wrote it: a spreadsheet date, a serial day number, or text written day first.
    Anything else is a one-line error naming the file, sheet, row and column."""
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        if 1 <= float(value) <= LAST_SERIAL:
            return (EPOCH + pd.Timedelta(days=float(value))).floor("D")
    elif isinstance(value, str):
        text = " ".join(value.split())
        for fmt in DATE_FORMATS:
            try:
                return pd.Timestamp(dt.datetime.strptime(text, fmt))
            except ValueError:
                continue
        try:  # an ISO date and time, as a workbook saved as text gives
            return pd.Timestamp(dt.datetime.fromisoformat(text))
        except ValueError:
            pass
    if isinstance(value, str) and value.startswith(UNSAVED):
        raise unsaved_error(where, sheet, row, column, value)
    raise UserError(
        where,
        f"sheet {sheet!r}, row {row}, column {column!r}: {str(value)[:40]!r} is not a date "
        "(dates are read day first, as 31/03/2018)",
        "date",
    )


def unsaved_error(where: Path | str, sheet: str, row: object, column: str, value: str) -> UserError:
    """The refusal of a cell that is a formula saved without its value."""
    cell = value.removeprefix(UNSAVED).strip()
    at = f"sheet {sheet!r}, " if sheet else ""
    return UserError(
        where,
        f"{at}row {row}, column {column!r} (cell {cell}): a formula saved without its value; open the file in a "
        "spreadsheet program and save it, so the value is stored",
        "formula-value",
    )
