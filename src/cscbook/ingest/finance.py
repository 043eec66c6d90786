"""MHCLG's revenue finance returns by authority, children's social care lines: the Revenue Account budget (RA), the
revenue outturn's social care form (RO3) and its service expenditure summary (RSX).

Every layout the publisher used since 2008-09 (xls, xlsx, ods, and CSV exports of one worksheet) has the same
shape: a title in the first row, a block of label rows, a header row that starts ``E-code``, one row per reporting
authority and an ``ENGLAND`` row. A column is named by the text of the rows above it, a line name written once over
a block of columns carried across the block; the line (children looked after, safeguarding, the total ...) and the
measure (net current expenditure C7, gross expenditure C3, income C6; a budget is net current expenditure only)
are then read from that name, whatever the year's wording. Only the social-care authorities (classes UA, MD, L or
LB, SC) and the England row are kept; shire districts and other bodies are left out. Money is published in £
thousand and returned in £.

Measures are ``<product>_<line>_<measure>``: ``ra_total_net``, ``ro3_cla_gross``, ``rsx_total_net``. Years before
the children's total existed (RO3 to 2010-11, RA to 2011-12) have no ``total`` line: the harmoniser sums the lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import LONG, Parsed, Workbook, clean_header, csv_rows

#: The authorities with children's social care duties, by MHCLG's class codes.
SOCIAL_CARE_CLASSES = {"UA", "MD", "L", "LB", "SC"}
#: MHCLG's authority codes ('E0101'), and its symbols for a return not received or not available.
ECODE = re.compile(r"^E\d{4}$")
MISSING = {"...": "return not received (...)", "\u2026": "not available (\u2026)", "[x]": "not received in time ([x])"}

#: The children's social care lines, by a pattern on the column's name; the first that matches names it. A
#: line inside another ('of which' parts of children looked after, memorandum items) matches none.
LINES = [
    ("total", r"total child\w*'?\u2019?s? social care"),
    ("sure_start", r"sure start"),
    ("cla", r"children looked after"),
    ("other_families", r"other child\w*'?\u2019?s? and famil|famil\w*'? services\s*-\s*other"),
    ("family_support", r"family support"),
    ("youth_justice", r"youth justice"),
    ("safeguarding", r"safeguarding"),
    ("safety", r"young peoples?'?\u2019?s? safety"),
    ("asylum", r"asylum seekers"),
    ("young_people", r"services for young people"),
    ("strategy", r"(social care|service) strategy"),
    ("commissioning", r"commissioning and social work"),
]
#: Parts and memoranda that sit inside a line already: never a line of their own.
INSIDE = re.compile(r"of which|residential care|fostering|asylum.seeking children|agency staff|supporting people", re.I)
#: A children's column must name children (an adults' or public health line never does).
CHILDREN = re.compile(r"child", re.I)
MEASURES = [
    ("net", re.compile(r"net current|\(c7|col 3-6", re.I)),
    ("gross", re.compile(r"total expenditure|\(c3", re.I)),
    ("income", re.compile(r"total income|\(c6", re.I)),
]
#: A row whose names stand this many columns apart on average names blocks of columns (a line's measures).
GAP = 2.5
YEAR = re.compile(r"\b2[0O](\d\d)[-\u2013](\d\d)\b")


def product_of(title: str) -> str | None:
    """'ra', 'ro3' or 'rsx' from a sheet's title row, or None for any other sheet."""
    t = title.lower()
    if "revenue account budget" in t:
        return "ra"
    if "service expenditure summary" in t:
        return "rsx"
    if "revenue outturn" in t and re.search(r"r[o0]3|social care", t):
        return "ro3"
    return None


#: The name of a workbook's data sheets ('RA LA Data 2017-18', 'RO3_LA_Data_2019-20'); the front page and the
#: drop-down sheet are never read.
DATA_SHEET = re.compile(r"la[ _]data", re.I)


def title_of(grid: pd.DataFrame) -> str:
    """The sheet's title: the text of its first two rows' first cells."""
    return " ".join(clean_header(v) for v in grid.iloc[:2, 0] if isinstance(v, str))


def header_row(grid: pd.DataFrame) -> int | None:
    """The row that starts 'E-code' among the first 15, or None."""
    for i in range(min(15, len(grid))):
        if clean_header(grid.iat[i, 0]) == "E-code":
            return i
    return None


def detect(grid: pd.DataFrame) -> str | None:
    """The product of a sheet or CSV grid (title in the first rows, an 'E-code' header), or None."""
    if grid.empty or header_row(grid) is None:
        return None
    return product_of(title_of(grid))


def column_names(grid: pd.DataFrame, h: int, start: int) -> list[str]:
    """Each column's name: the text of the rows from 1 to the header row, a sparse row (a line or a group named
    once over a block of columns) carried to the right across its block. Text left of ``start`` (the first data
    column: a sheet's measure or units written once, beside the identity columns) is never carried."""
    names = [[] for _ in range(grid.shape[1])]
    for i in range(1, h + 1):
        row = [clean_header(v) if isinstance(v, str) or pd.notna(v) else "" for v in grid.iloc[i]]
        row = ["" if v in ("nan", "None") else v for v in row]
        at = [j for j in range(start, len(row)) if row[j]]
        if i < h and len(at) and (at[-1] - at[0] + 1) / len(at) >= GAP:  # a banner or line row: carry its names
            last = ""
            for j in range(start, len(row)):
                last = row[j] or last
                row[j] = last
        for j, v in enumerate(row):
            if v:
                names[j].append(v)
    return [" ".join(n) for n in names]


def classify(name: str, product: str) -> tuple[str, str] | None:
    """(line, measure) of a children's social care column, or None."""
    if not CHILDREN.search(name) or INSIDE.search(name):
        return None
    if product == "rsx":  # a summary: children's social care is one line, its total
        line = "total" if re.search(r"child\w*'?\u2019?s? social care", name, re.I) else None
    else:
        line = next((key for key, pattern in LINES if re.search(pattern, name, re.I)), None)
    if line is None:
        return None
    if product == "ra":
        return line, "net"  # a budget sheet holds net current expenditure only
    measure = next((key for key, pattern in MEASURES if pattern.search(name)), None)
    return (line, measure) if measure else None


def read_grid(grid: pd.DataFrame, product: str, where: str) -> tuple[pd.DataFrame, int]:
    """The long table of one sheet or CSV grid, and its year (ending 31 March)."""
    title = title_of(grid)
    m = YEAR.search(title)
    if not m:
        raise UserError(where, f"no year in the title {title[:80]!r}", "finance-year")
    year = 2000 + int(m.group(2))
    h = header_row(grid)
    header = [clean_header(v) for v in grid.iloc[h]]
    col = {name: header.index(name) for name in ("E-code", "ONS Code", "Local authority", "Class") if name in header}
    if "Local authority" not in col or "Class" not in col:
        raise UserError(where, "no 'Local authority' or 'Class' column in the header row", "finance-header")
    columns = {}
    for j, name in enumerate(column_names(grid, h, col["Class"] + 1)):
        if j > col["Class"] and (what := classify(name, product)):
            columns.setdefault(what, j)  # the first column of a line and measure (a later repeat is a copy)
    if not columns:
        return pd.DataFrame(columns=[*LONG, "ecode"]), year
    rows = []
    body = grid.iloc[h + 1 :]
    for _, r in body.iterrows():
        name = clean_header(r.iat[col["Local authority"]])
        ecode = clean_header(r.iat[col["E-code"]]) if "E-code" in col else ""
        cls = clean_header(r.iat[col["Class"]])
        if name.upper() == "ENGLAND":
            level, ecode = "england", ""
        elif ECODE.match(ecode) and cls in SOCIAL_CARE_CLASSES:
            level = "la"
        else:
            continue
        ons = clean_header(r.iat[col["ONS Code"]]) if "ONS Code" in col else ""
        for (line, measure), j in columns.items():
            value, symbol = _number(r.iat[j])
            rows.append((ons if re.match(r"^E\d{8}$", ons) else None, None, name, level, year,
                         f"{product}_{line}_{measure}", value, symbol, ecode or None))  # fmt: skip
        if level == "england":
            break  # below the England row: class totals, notes, a second table
    out = pd.DataFrame(rows, columns=[*LONG, "ecode"])
    out["value"] = out["value"] * 1000.0  # published in £ thousand
    return out, year


def _number(cell) -> tuple[float, str | None]:
    """A cell as a number, or NaN with the publisher's symbol."""
    if isinstance(cell, (int, float, np.number)) and not isinstance(cell, bool):
        return (float(cell), None) if np.isfinite(cell) else (np.nan, "blank")
    text = clean_header(cell)
    if text.lower() in ("", "nan", "none"):
        return np.nan, "blank"
    if text in MISSING:
        return np.nan, MISSING[text]
    try:
        return float(text.replace(",", "")), None
    except ValueError:
        return np.nan, text[:40]


def read_workbook(wb: Workbook, product: str) -> Parsed:
    """Every data sheet of a finance workbook (RO3 2013-14 spreads its measures over three sheets; a budget's
    later sheets, capital charges and net total cost, are not net current expenditure and are left out)."""
    parts, years = [], set()
    for name in filter(DATA_SHEET.search, wb.sheets):
        grid = wb.sheet(name)
        if detect(grid) != product:
            continue
        if product == "ra" and not _net_current(grid):
            continue
        t, year = read_grid(grid, product, f"{wb.path.name}, sheet {name!r}")
        parts.append(t)
        years.add(year)
    return _parsed(parts, product, years, wb.path.name)


def _net_current(grid: pd.DataFrame) -> bool:
    """Whether a budget sheet is of net current expenditure (its measure is named in the first rows)."""
    return any("net current expenditure" in clean_header(v).lower() for v in grid.iloc[:4, 0] if isinstance(v, str))


def read_csv_grid(grid: pd.DataFrame, product: str, name: str) -> Parsed:
    t, year = read_grid(grid, product, name)
    return _parsed([t], product, {year}, name)


def _parsed(parts: list[pd.DataFrame], product: str, years: set, name: str) -> Parsed:
    t = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*LONG, "ecode"])
    t = t.drop_duplicates(["ecode", "level", "year", "measure"], keep="first")
    labels = {"ra": "Revenue Account budget (RA)", "ro3": "revenue outturn, RO3", "rsx": "revenue outturn, RSX"}
    years_text = ", ".join(f"{y - 1}-{y % 100:02d}" for y in sorted(years))
    n = t.loc[t["level"] == "la", "ecode"].nunique()
    return Parsed("finance", f"MHCLG {labels[product]} {years_text}", {"finance": t},
                  [f"{n} social-care authorities, {t['measure'].nunique()} children's measures"])  # fmt: skip


def csv_grid(path, encoding: str) -> pd.DataFrame:
    """A CSV export as a grid of text (header=None), in the encoding it was saved in; short rows (a title, a note)
    padded with empty cells, and a quoted header cell may hold line breaks."""
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv_rows(fh, Path(path)))
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def legacy_encoding(path) -> str:
    """The 8-bit encoding of a CSV export that is not UTF-8: Mac Roman when its apostrophes are Mac Roman's
    (byte 0xD5 between letters, as in 'children\xd5s'; the RA 2023-24 export), else Windows-1252."""
    with open(path, "rb") as fh:
        raw = fh.read(1_000_000)
    return "mac_roman" if re.search(rb"[a-z]\xd5s\b", raw) else "cp1252"
