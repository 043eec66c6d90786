"""Ofsted inspections of local authority children's services: the 2023 history workbook (SLAC, CPI, SIF, ILACS;
names only) and the ILACS outcomes workbook (with ONS codes). Output: one row per graded inspection."""

from __future__ import annotations

import re

import pandas as pd

from cscbook.contract import OFSTED_SCALE
from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, Workbook, clean_header
from cscbook.ingest.sheets import read_date

JUDGEMENTS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires improvement to be good": "Requires improvement",
    "requires improvement": "Requires improvement",
    "adequate": "Requires improvement",  # SLAC's third grade, as Ofsted itself recoded it
    "inadequate": "Inadequate",
}
assert set(JUDGEMENTS.values()) == set(OFSTED_SCALE)

#: (pattern on the date header, pattern on the overall-judgement header, framework). CLA-only inspections
#: (SLAC looked-after re-inspections, TLAC) are not judgements of the whole service and are left out.
HISTORY = [
    (
        r"^safeguarding & looked after children \(slac\) inspection publication date$",
        r"^slac safeguarding overall effectiveness",
        "SLAC",
    ),
    (r"^slac re-inspection of safeguarding publication date$", r"^slac re-inspection safeguarding oe$", "SLAC"),
    (r"^child protection inspections \(cpi\) publication date$", r"^cpi overall effectiveness", "CPI"),
    (r"^child protection re-inspection \(cpri\) publication date$", r"^cpri overall effectiveness", "CPI"),
    (r"first sif publication date$", r"^first sif overall judgement", "SIF"),
    (r"sif re-inspection publication date$", r"^sif re-inspection overall judgement", "SIF"),
    (r"^(first )?ilacs framework publication date$", r"^(first )?ilacs framework overall effectiveness$", "ILACS"),
    (r"^second ilacs framework publication date$", r"^second ilacs framework overall effectiveness$", "ILACS"),
]
EVENT = ["la_code", "la_name", "framework", "date", "judgement"]


def _tables(df: pd.DataFrame) -> list[pd.DataFrame]:
    """Every table on a sheet: a header row starting 'Web link', data rows until a blank first cell."""
    starts = [i for i in range(len(df)) if clean_header(df.iat[i, 0]).lower() == "web link"]
    out = []
    for s in starts:
        end = s + 1
        while end < len(df) and pd.notna(df.iat[end, 0]) and clean_header(df.iat[end, 0]) not in ("", "Web link"):
            end += 1
        t = df.iloc[s + 1 : end].copy()
        t.columns = [clean_header(c) for c in df.iloc[s]]
        out.append(t)
    return out


def detect(wb: Workbook) -> str | None:
    """'history' or 'outcomes' when a sheet holds a 'Web link' table of LA judgements."""
    for name in wb.sheets:
        if re.search(r"LA_inspections|ILACS_inspection_history|Inspections_as_at", name):
            df = wb.sheet(name)
            for t in _tables(df)[:1]:
                cols = " ".join(t.columns).lower()
                if "slac" in cols:
                    return "history"
                if "overall effectiveness" in cols and "local authority area code" in cols:
                    return "outcomes"
    return None


def _judgement(v: object, wb: Workbook, col: str) -> str | None:
    s = clean_header(v).lower() if v is not None and not (isinstance(v, float) and pd.isna(v)) else ""
    if s in ("", "-", "nan", "none"):
        return None
    if s not in JUDGEMENTS:
        raise UserError(wb.path, f"column {col!r}: unknown judgement {v!r}", "ofsted-judgement")
    return JUDGEMENTS[s]


def read(wb: Workbook, kind: str) -> Parsed:
    rows = []
    if kind == "history":
        sheet = next(s for s in wb.sheets if "LA_inspections" in s)
        for t in _tables(wb.sheet(sheet)):
            low = {c.lower(): c for c in t.columns}
            for dpat, jpat, fw in HISTORY:
                dcol = next((low[c] for c in low if re.search(dpat, c)), None)
                jcol = next((low[c] for c in low if re.search(jpat, c)), None)
                if dcol is None or jcol is None:
                    continue
                for i, r in t.iterrows():
                    j = _judgement(r[jcol], wb, jcol)
                    if j and pd.notna(r[dcol]):
                        when = read_date(r[dcol], wb.path, sheet, int(i) + 1, dcol)
                        rows.append((pd.NA, clean_header(r["Local authority name"]), fw, when, j))
        vintage = "Ofsted LA inspections history"
    else:
        for sheet in wb.sheets:
            if not re.search(r"ILACS_inspection_history|Inspections_as_at", sheet):
                continue
            for t in _tables(wb.sheet(sheet)):
                for i, r in t.iterrows():
                    j = _judgement(r.get("Overall effectiveness"), wb, "Overall effectiveness")
                    if j and pd.notna(r.get("Publication date")):
                        when = read_date(r["Publication date"], wb.path, sheet, int(i) + 1, "Publication date")
                        code, name = (
                            clean_header(r["Local authority area code"]),
                            clean_header(r["Local authority name"]),
                        )
                        rows.append((code, name, "ILACS", when, j))
        vintage = "Ofsted ILACS outcomes"
    out = pd.DataFrame(rows, columns=EVENT).drop_duplicates(["la_name", "framework", "date", "judgement"])
    out["la_code"] = out["la_code"].astype("string")
    if out.empty:
        raise UserError(wb.path, "no graded inspections found", "missing-rows")
    last = out["date"].max()
    return Parsed("ofsted", f"{vintage} to {last:%Y-%m}", {"ofsted": out.reset_index(drop=True)})
