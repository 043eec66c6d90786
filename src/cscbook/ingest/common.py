"""Shared helpers for the readers: text and workbook loading, header cleaning, symbol handling, errors."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from cscbook.errors import UserError
from cscbook.ingest import sheets
from cscbook.limits import check_archive

#: Published symbols that mean "no number here", with the reason kept in the flags.
SYMBOLS: dict[str, str] = {
    "c": "suppressed (c)",
    "x": "not available or suppressed (x)",
    "z": "not applicable (z)",
    "u": "low reliability (u)",
    "low": "rounds to zero (low)",
    "k": "rounds to zero (k)",
    "..": "not available (..)",
    ".": "not applicable (.)",
    "-": "missing or suppressed (-)",
    "#value!": "spreadsheet error (#VALUE!)",
    "": "blank",
    "na": "not available (NA)",
}

#: Long-table schema every numeric reader returns.
LONG = ["la_code", "old_la_code", "la_name", "level", "year", "measure", "value", "symbol"]


@dataclass
class Parsed:
    """What one reader made of one file: tidy tables keyed by source, plus its inventory facts."""

    source: str
    vintage: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def clean_header(name: object) -> str:
    """Strip spaces, newlines and non-breaking spaces from a header; collapse inner runs of spaces."""
    return re.sub(r"\s+", " ", str(name).replace("\xa0", " ")).strip()


def check_not_truncated(text: str, path: Path) -> None:
    """A file cut short ends without a newline, in a row with fewer fields than the rows before it."""
    if not text or text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    if len(lines) < 2:
        return
    fields = [len(r) for r in csv_rows(lines[-6:], path)]
    if fields[-1] < max(fields[:-1]):
        raise UserError(
            path,
            f"the last row has {fields[-1]} of {max(fields[:-1])} fields and no line end: the file is cut short",
            "truncated-file",
        )


def csv_rows(lines, path: Path):
    """The rows of CSV text; a row the parser cannot read (a field over its limit, a stray NUL) is a one-line
    error naming the file and the line."""
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            what = str(err)
            if "field limit" in what:
                what = f"a field longer than the parser's limit of {csv.field_size_limit():,} characters"
            raise UserError(path, f"line {reader.line_num}: {what}", "csv-format") from None
        yield row


def read_text_csv(path: Path, skiprows: int = 0, nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV as text cells (BOM removed, headers cleaned); bad encodings and empty files are UserErrors."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise UserError(path, "the file is empty", "empty-file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(path, f"not UTF-8 text (byte {err.start})", "encoding") from None
    check_not_truncated(text, path)
    try:
        df = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skiprows=skiprows, nrows=nrows, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise UserError(path, f"cannot parse as CSV: {str(err).splitlines()[0]}", "csv-format") from None
    check_row_lengths(text, path, skiprows, nrows)
    df.columns = [clean_header(c) for c in df.columns]
    return df


def check_row_lengths(text: str, path: Path, skiprows: int = 0, nrows: int | None = None) -> None:
    """A data row with fewer cells than its header has lost cells (a broken export): refuse it, naming the row
    and the first missing column, instead of reading the missing cells as blank."""
    rows = csv_rows(io.StringIO(text), path)
    for _ in range(skiprows):
        next(rows, None)
    header = next(rows, [])
    for k, row in enumerate(rows):
        if nrows is not None and k >= nrows:
            break
        if row and any(c.strip() for c in row) and len(row) < len(header):
            line = skiprows + k + 2
            raise UserError(
                path,
                f"row {line} has {len(row)} cells where the header has {len(header)} (column {header[len(row)]!r} "
                "and after are missing)",
                "short-row",
            )


def head_lines(path: Path, n: int = 12, encoding: str = "utf-8-sig") -> list[str]:
    """The first ``n`` lines of a text file (BOM removed), or [] when it is not text in ``encoding`` (a control
    character other than a tab or line end counts as not text)."""
    try:
        with open(path, encoding=encoding) as fh:
            lines = [fh.readline() for _ in range(n)]
    except (UnicodeDecodeError, OSError):
        return []
    return [] if any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", ln) for ln in lines) else lines


def to_number(
    values: pd.Series, where: Path, column: str, rows: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Cast published cells to float: strip thousands separators; known symbols become NaN with the symbol kept.

    Returns (values, symbols). Any other non-numeric cell is a UserError naming the column and row.
    """
    s = values.astype("string").fillna("").str.strip()
    s = s.str.replace(",", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    odd = num.notna() & ~(num.abs() <= ABSURD)  # infinite, or beyond any figure a publisher could print
    if odd.any():
        i = odd[odd].index[0]
        row = rows.loc[i] if rows is not None else i
        raise UserError(
            where, f"column {column!r}, row {row}: value {s.loc[i]!r} is not a plausible figure", "absurd-value"
        )
    bad = num.isna()
    sym = pd.Series(pd.NA, index=s.index, dtype="string")
    if bad.any():
        low = s[bad].str.lower()
        known = low.isin(SYMBOLS.keys())
        if not known.all():
            i = low[~known].index[0]
            row = rows.loc[i] if rows is not None else i
            if s.loc[i].startswith(sheets.UNSAVED):
                raise sheets.unsaved_error(where, "", row, column, s.loc[i])
            raise UserError(where, f"column {column!r}, row {row}: non-numeric value {s.loc[i]!r}", "non-numeric")
        sym[bad] = low.where(low != "", "")
    return num.astype("float64"), sym


#: No published count, rate or pound figure reaches this (England's children's services spend is about 1e10).
ABSURD = 1e13
#: Years (ending 31 March) a publisher could have published: the first returns, to the current year.
FIRST_YEAR = 2009


def check_years(out: pd.DataFrame, where: Path) -> None:
    """Every year in a long table lies between the first publications and the current year."""
    import datetime

    last = datetime.date.today().year + 1  # a financial year ending next March may be published this year
    odd = out[(out["year"] < FIRST_YEAR) | (out["year"] > last)]
    if len(odd):
        r = odd.iloc[0]
        raise UserError(
            where,
            f"year {int(r['year'])} ({r['measure']}) is outside what could have been published ({FIRST_YEAR} to {last})",
            "implausible-year",
        )


def long_frame(
    df: pd.DataFrame,
    measures: dict[str, str],
    where: Path,
    year: int | pd.Series,
    la_code: pd.Series | None,
    old_la_code: pd.Series | None,
    la_name: pd.Series | None,
    level: pd.Series | str,
) -> pd.DataFrame:
    """Melt selected columns (source column -> measure) into the long schema, casting and keeping symbols."""
    parts = []
    rows = pd.Series(df.index + 2, index=df.index)  # 1-based line numbers after the header
    for col, measure in measures.items():
        value, symbol = to_number(df[col], where, col, rows)
        part = pd.DataFrame(
            {
                "la_code": la_code if la_code is not None else pd.NA,
                "old_la_code": old_la_code if old_la_code is not None else pd.NA,
                "la_name": la_name if la_name is not None else pd.NA,
                "level": level,
                "year": year,
                "measure": measure,
                "value": value,
                "symbol": symbol,
            },
            index=df.index,
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG)
    out = normalise_long(out)
    check_years(out, where)
    return out


def normalise_long(out: pd.DataFrame) -> pd.DataFrame:
    """Give a long table its canonical dtypes."""
    for c in ["la_code", "old_la_code", "la_name", "level", "measure", "symbol"]:
        out[c] = out[c].astype("string").str.strip()
    out["la_code"] = out["la_code"].str.upper().replace("", pd.NA)
    out["old_la_code"] = out["old_la_code"].str.replace(r"\.0$", "", regex=True).replace("", pd.NA)
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    return out[LONG]


def check_negative(long: pd.DataFrame, where: Path, skip: tuple[str, ...] = ()) -> None:
    """Counts and money in these sources are never negative, except where the publisher allows (``skip``)."""
    neg = long[(long["value"] < 0) & ~long["measure"].isin(skip)]
    if len(neg):
        r = neg.iloc[0]
        raise UserError(
            where, f"negative value {r.value:g} for {r.measure}, {r.la_name or r.la_code} {r.year}", "negative-count"
        )


def check_duplicates(df: pd.DataFrame, keys: list[str], where: Path, what: str = "authority-year") -> None:
    """Each authority appears once per year (and measure) in one file."""
    dup = df[df.duplicated(keys, keep=False)]
    if len(dup):
        r = dup.iloc[0]
        desc = ", ".join(f"{k}={r[k]}" for k in keys)
        raise UserError(where, f"duplicate {what}: {desc}", "duplicate-rows")


def require(columns: list[str], need: list[str], where: Path) -> None:
    missing = [c for c in need if c not in columns]
    if missing:
        raise UserError(where, f"missing required column(s): {', '.join(missing)}", "missing-columns")


# --- workbooks ---------------------------------------------------------------------------------

_ODS_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
_T = "{{{}}}".format(_ODS_NS["table"])
_O = "{{{}}}".format(_ODS_NS["office"])


def _ods_content(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        check_archive(path, z)
        return z.read("content.xml")


def ods_sheet_names(content: bytes) -> list[str]:
    import html

    return [html.unescape(m.decode()) for m in re.findall(rb'<table:table [^>]*?table:name="([^"]*)"', content)]


def read_ods_sheet(content: bytes, name: str, path: Path | str = "") -> pd.DataFrame:
    """Read one sheet of an ODS workbook without parsing the others (odfpy loads every sheet, far slower).

    Repeated cells and rows are expanded only within the bounds of :mod:`cscbook.ingest.sheets`; a formula cell
    saved without its value is refused, naming it."""
    import html

    esc = html.escape(name, quote=True).encode()
    m = re.search(rb'<table:table [^>]*?table:name="' + re.escape(esc) + rb'"', content)
    if m is None:
        raise KeyError(name)
    end = content.find(b"</table:table>", m.start())
    root_open = re.search(rb"<office:document-content[^>]*>", content).group(0)
    xml = root_open + content[m.start() : end + len(b"</table:table>")] + b"</office:document-content>"
    table = ET.fromstring(xml).find("table:table", _ODS_NS)
    rows: list[list] = []
    width = 0
    for row in table.iter(_T + "table-row"):
        rep = _repeats(row, _T + "number-rows-repeated", path, name)
        cells: list = []
        for cell in row:
            if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                continue
            n = _repeats(cell, _T + "number-columns-repeated", path, name)
            vt = cell.get(_O + "value-type")
            if vt in ("float", "percentage", "currency"):
                v: object = float(cell.get(_O + "value"))
            elif vt == "date":
                v = pd.Timestamp(cell.get(_O + "date-value"))
            elif vt == "boolean":
                v = cell.get(_O + "boolean-value") == "true"
            else:
                paras = ["".join(p.itertext()) for p in cell.findall("text:p", _ODS_NS)]
                v = "\n".join(paras) if paras else None
                if v is None and cell.get(_T + "formula"):
                    v = f"{sheets.UNSAVED} {get_column_letter(len(cells) + 1)}{len(rows) + 1}"
            if v is None and n > 100:
                n = 1  # trailing filler columns
            sheets.check_shape(path, name, len(rows) + 1, len(cells) + n)
            cells.extend([v] * n)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells and rep > 100:
            continue  # trailing filler rows
        width = max(width, len(cells))
        sheets.check_shape(path, name, len(rows) + rep, width)
        rows.extend([cells] * rep)
    while rows and not rows[-1]:
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


def _repeats(element, attribute: str, path: Path | str, sheet: str) -> int:
    """How many times an ODS row or cell repeats (a count that is not a whole number is refused, naming it)."""
    text = element.get(attribute, "1")
    if not text.isdigit():
        raise UserError(path, f"sheet {sheet!r}: {attribute.rsplit('}', 1)[-1]} {text[:20]!r} is not a count", "ods")
    return int(text)


#: How an OLE2 compound file begins (an .xls, or an encrypted .xlsx: Excel wraps a password-protected
#: workbook in one).
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


def workbook_problem(path: Path, err: Exception | None) -> str:
    """What is wrong with a workbook that would not open, in words a user can act on."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as io_err:
        return f"the file cannot be read ({io_err.strerror})"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".ods") and head == OLE2:
        return "it is password-protected (encrypted); save it again without a password"
    if suffix in (".xlsx", ".ods") and not head.startswith(b"PK"):
        return f"it is not a {suffix} workbook (damaged, or another kind of file under that name)"
    if suffix in (".xlsx", ".ods") and not zipfile.is_zipfile(path):
        return f"the {suffix} file is damaged or truncated (not a complete archive)"
    if suffix in (".xlsx", ".ods"):
        return f"it is a ZIP archive but not a {suffix} workbook (no worksheets inside)"
    if suffix == ".xls" and head != OLE2:
        return "it is not an .xls workbook (damaged, or another kind of file under that name)"
    return f"{type(err).__name__}: {' '.join(str(err).split())[:120]}"


class Workbook:
    """A spreadsheet (xls, xlsx or ods) read lazily sheet by sheet, always with ``header=None``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache: dict[str, pd.DataFrame] = {}
        self._members: dict[str, str] = {}  # an xlsx sheet's name -> its XML member
        suffix = self.path.suffix.lower()
        with open(self.path, "rb") as fh:
            if suffix in (".xlsx", ".ods") and fh.read(8) == OLE2:  # no reader should be tried on it
                raise UserError(
                    self.path, f"cannot open workbook: {workbook_problem(self.path, None)}", "workbook-format"
                )
        try:
            if suffix == ".ods":
                self._content = _ods_content(self.path)
                self.sheets = ods_sheet_names(self._content)
            else:
                if suffix == ".xlsx":
                    with zipfile.ZipFile(self.path) as z:
                        check_archive(self.path, z)
                        self._members = sheets.xlsx_sheet_members(z)
                self._book = pd.ExcelFile(self.path)
                self.sheets = [str(s) for s in self._book.sheet_names]
        except UserError:
            raise
        except Exception as err:  # corrupt or truncated archives, wrong formats
            raise UserError(
                self.path, f"cannot open workbook: {workbook_problem(self.path, err)}", "workbook-format"
            ) from None

    def sheet(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            try:
                if self.path.suffix.lower() == ".ods":
                    df = read_ods_sheet(self._content, name, self.path)
                else:
                    xlsx = self.path.suffix.lower() == ".xlsx"
                    unsaved = sheets.xlsx_unsaved_formulas(self.path, name, self._members.get(name)) if xlsx else []
                    df = pd.read_excel(self._book, sheet_name=name, header=None)
                    sheets.mark_unsaved(df, unsaved)
            except UserError:
                raise
            except Exception as err:
                raise UserError(
                    self.path, f"cannot read sheet {name!r}: {type(err).__name__}", "workbook-format"
                ) from None
            self._cache[name] = df.dropna(how="all", axis=1)
        return self._cache[name]


def find_header(df: pd.DataFrame, test, max_rows: int = 30) -> int | None:
    """Index of the first row whose cleaned cells satisfy ``test(list_of_cells)``."""
    for i in range(min(max_rows, len(df))):
        cells = [
            clean_header(c) for c in df.iloc[i].tolist() if not (isinstance(c, float) and np.isnan(c)) and c is not None
        ]
        if cells and test(cells):
            return i
    return None


def with_header(df: pd.DataFrame, row: int) -> pd.DataFrame:
    """Use ``row`` as the header; cleaned names; rows below it only."""
    out = df.iloc[row + 1 :].copy()
    out.columns = [
        clean_header(c) if c is not None and not (isinstance(c, float) and np.isnan(c)) else f"col{i}"
        for i, c in enumerate(df.iloc[row])
    ]
    return out.reset_index(drop=True)
