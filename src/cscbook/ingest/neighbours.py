"""DfE's statistical neighbours, in the two layouts the book reads.

- DfE's published groupings (``New_Statistical_Neighbour_Groupings_April_2021.csv``, ``sn_model_2025_wide.csv``):
  one row per authority under its three-digit DfE number, ``SN1``/``SN_1`` ... holding the neighbours' DfE
  numbers, each followed by its closeness band (``SNP``, ``SN_1P``: "Very Close", "Close ", ...). The edition
  is the year in the file's name. Harmonise puts the numbers onto ONS codes
  (:func:`cscbook.harmonise.neighbours.on_footprint`).
- A table already on ONS codes (``la_code``, ``SN1`` ... ``SN10``), as a user may make their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, read_text_csv

#: DfE's closeness bands, closest first, as the book writes them (the files differ in case and spacing).
BANDS = ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")
#: The columns holding an authority's DfE number, after lower-casing.
NUMBER_COLUMNS = ("la num", "la number", "la_number", "old_la_code")
NAME_COLUMNS = ("la name", "la_name")
_SN = re.compile(r"^sn_?(\d{1,2})$", re.IGNORECASE)
_SNP = re.compile(r"^sn_?(\d{1,2})?_?p(\.\d+)?$", re.IGNORECASE)  # pandas names repeated headers SNP.1, SNP.2


# --- on ONS codes --------------------------------------------------------------------------------

_SN_COLUMN = re.compile(r"^(sn|stat(istical)?_?neighbou?r)_?(\d{1,2})(_code|_la_code)?$")


def _sn_rank(name: str) -> int | None:
    m = _SN_COLUMN.match(name.strip().lower().replace(" ", "_"))
    return int(m.group(3)) if m else None


def detect_neighbours(header: list[str]) -> bool:
    """A table of each authority's statistical neighbours on ONS codes: a code column and SN1, SN2, ... columns."""
    code = any(h.strip().lower().replace(" ", "_") in ("la_code", "new_la_code") for h in header)
    return code and sum(_sn_rank(h) is not None for h in header) >= 5


def read_neighbours(path: Path) -> Parsed:
    """Statistical neighbours on ONS codes (one row per authority, SN1..SN10 holding neighbours' codes), long form."""
    df = read_text_csv(path)
    df.columns = [c.strip().lower().replace(" ", "_") for c in df.columns]
    code_col = "new_la_code" if "new_la_code" in df.columns else "la_code"
    ranks = {c: _sn_rank(c) for c in df.columns if _sn_rank(c) is not None}
    long = df.melt(id_vars=[code_col], value_vars=list(ranks), var_name="col", value_name="neighbour")
    long = long[long["neighbour"].notna() & (long["neighbour"].astype(str).str.strip() != "")]
    out = pd.DataFrame(
        {
            "la_code": long[code_col].astype(str).str.strip().str.upper(),
            "rank": long["col"].map(ranks).astype("int64"),
            "neighbour": long["neighbour"].astype(str).str.strip().str.upper(),
        }
    ).sort_values(["la_code", "rank"], kind="stable")
    raw = long["neighbour"].astype(str).str.strip()
    bad = ~raw.str.upper().str.match(r"^E\d{8}$")
    if bad.any():
        col = long.loc[bad, "col"].iloc[0]
        raise UserError(path, f"column {col.upper()}: {raw[bad].iloc[0]!r} is not an ONS code", "sn-codes")
    return Parsed("neighbours", "statistical neighbours on ONS codes", {"neighbours": out.reset_index(drop=True)})


# --- DfE's published layout -----------------------------------------------------------------------


def _pairs(header: list[str]) -> list[tuple[int, int, int | None]]:
    """(rank, neighbour column, closeness column or None) for each SN column of the header."""
    out = []
    for i, h in enumerate(header):
        m = _SN.match(h.strip())
        if m:
            nxt = header[i + 1].strip() if i + 1 < len(header) else ""
            out.append((int(m.group(1)), i, i + 1 if _SNP.match(nxt) else None))
    return out


def detect_dfe(header: list[str]) -> bool:
    """DfE's published groupings: a DfE number column and at least five SN columns, each with its closeness."""
    number = any(h.strip().lower() in NUMBER_COLUMNS for h in header)
    pairs = _pairs(header)
    return number and len(pairs) >= 5 and all(c is not None for _, _, c in pairs)


def band(value: str) -> str | None:
    """A closeness band as the book writes it ('Very Close', 'Close ' -> 'Very close', 'Close'); None if blank."""
    text = " ".join(str(value).split()).lower()
    if not text:
        return None
    text = text[0].upper() + text[1:]
    return text if text in BANDS else ""


def edition_of(path: Path) -> int:
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", Path(path).name)
    if not years:
        raise UserError(
            path,
            "no year in the file name: DfE's neighbours are told apart by edition (for example _2025)",
            "sn-edition",
        )
    return int(years[-1])


def _number(path: Path, row: int, column: str, value: str, blank_ok: bool) -> str | None:
    v = value.strip()
    if not v and blank_ok:
        return None
    if not re.fullmatch(r"\d{3}", v):
        raise UserError(path, f"row {row}, column {column}: {v!r} is not a three-digit DfE number", "sn-numbers")
    return v


def read_dfe(path: Path) -> Parsed:
    """DfE's groupings in long form: edition, number, la_name, rank, neighbour_number, closeness.

    Blank rows and section labels (the 2021 file's "Old SNs:", above the authorities as they were before
    the reorganisations of 2019 to 2021) are passed over; an authority listed twice is refused."""
    df = read_text_csv(path)
    header = list(df.columns)
    lower = [h.strip().lower() for h in header]
    num_col = next(i for i, h in enumerate(lower) if h in NUMBER_COLUMNS)
    name_col = next((i for i, h in enumerate(lower) if h in NAME_COLUMNS), None)
    pairs = _pairs(header)
    edition = edition_of(path)
    recs, notes, seen = [], [], {}
    for k, row in enumerate(df.itertuples(index=False, name=None)):
        line = k + 2  # the header is line 1
        cells = [str(c) for c in row]
        if not cells[num_col].strip():
            label = " ".join(c.strip() for c in cells if c.strip())
            if label:
                notes.append(f"line {line}: section {label!r}")
            continue
        number = _number(path, line, header[num_col], cells[num_col], blank_ok=False)
        if number in seen:
            raise UserError(
                path,
                f"row {line}, column {header[num_col]}: {number} is listed again (row {seen[number]})",
                "sn-duplicate",
            )
        seen[number] = line
        for rank, i, j in pairs:
            nb = _number(path, line, f"SN{rank}", cells[i], blank_ok=True)
            if nb is None:
                continue
            closeness = band(cells[j]) if j is not None else None
            if closeness == "":
                raise UserError(
                    path,
                    f"row {line}, column {header[j]}: {cells[j].strip()!r} is not a closeness band ({', '.join(BANDS)})",
                    "sn-closeness",
                )
            recs.append((edition, number, cells[name_col].strip() if name_col is not None else "", rank, nb, closeness))
    out = pd.DataFrame(recs, columns=["edition", "number", "la_name", "rank", "neighbour_number", "closeness"])
    if out.empty:
        raise UserError(path, "no authority with a neighbour", "sn-empty")
    return Parsed("neighbours_dfe", f"DfE statistical neighbours {edition}", {"neighbours_dfe": out}, notes)
