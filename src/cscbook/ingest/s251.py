"""Section 251 outturn: Table A1 (one row per LA x line; xls/xlsx/ods, 2008-09 onward) and the EES long layout.

Every line of every vintage is classified by its description (never by ReportGroup, which is wrong for totals):
memorandum lines are skipped, sub-totals are used for their block when present (details otherwise), and the
grand totals are kept for checking. Categories are those of contract.SPEND_CATEGORIES.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import (
    Parsed,
    Workbook,
    check_negative,
    clean_header,
    find_header,
    normalise_long,
    read_text_csv,
    to_number,
)
from cscbook.ingest.ees import ees_frame, find_col, is_ees

CATEGORIES = [
    "sure_start",
    "cla",
    "other_cfs",
    "safeguarding",
    "family_support",
    "young_people",
    "youth_justice",
    "cera",
]

#: (pattern on the lower-case description without its line number, category). First match wins.
#: Categories ending in "?" are ambiguous: a line takes the category of the sub-total block it sits in, else this one.
LINE_RULES: list[tuple[str, str]] = [
    (r"capital expenditure from revenue|\bcera\)", "cera"),
    (r"youth justice|youth offend", "youth_justice"),
    (r"sure start|early years|children under 5|area.wide services", "sure_start"),
    (r"total children looked after|total asylum", "cla"),
    (
        r"looked after|residential care|fostering|secure accommodation \(welfare|family and friends|leaving care|asylum",
        "cla",
    ),
    (r"adoption|special guardianship|^accommodation$|^assessment and care management$", "cla?"),
    (r"total other child", "other_cfs"),
    (r"other childs? and famil|other childrens? and famil|trust fund", "other_cfs"),
    (
        r"total children and young peoples? safety|total safeguarding|total children'?s services strategy",
        "safeguarding",
    ),
    (
        r"child death|child protection|safeguarding|social work|commissioning|strategy|partnership costs|young peoples? plan|workforce grant|preventative",
        "safeguarding",
    ),
    (r"total family support", "family_support"),
    (
        r"direct payments|short breaks|home care|equip?tment|disabled children|family support|family interventions|health care of individual",
        "family_support",
    ),
    (r"total services for young people", "young_people"),
    (r"young people|connexions|student support|substances? misuse|teenage pregnancy", "young_people?"),
]


def _line_key(v: object) -> tuple:
    """Sort key for line numbers '12' or codes '3.1.11' / '8a.1'."""
    parts = re.findall(r"\d+|[a-z]+", str(v).lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def classify(desc: str) -> tuple[str | None, str]:
    """(category, role) for one line description; role is detail, subtotal, grand_excl, grand_incl or memo."""
    d = re.sub(r"\s+", " ", desc.replace("\xa0", " ")).strip()
    d = re.sub(r"^[\d.a-z]+\.?\s*(?=[A-Za-z])", "", d) if re.match(r"^\d", d) else d
    low = d.lower().replace("’", "").replace("'", "")
    if "memorandum" in low or "included in" in low or low == "unknown":  # 2010-11 'Unknown' is outside the totals
        return None, "memo"
    if re.search(r"services (budget|expenditure)", low):
        return None, "grand_incl" if "including" in low else "grand_excl"
    for pat, cat in LINE_RULES:
        if re.search(pat, low):
            return cat, ("subtotal" if low.startswith("total") else "detail")
    return None, "unknown"


def detect(wb: Workbook) -> str | None:
    for s in wb.sheets:
        df = wb.sheet(s)
        if len(df) and find_header(df, _is_header, 8) is not None:
            return s
    return None


def _is_header(cells: list[str]) -> bool:
    low = [c.lower().rstrip(":") for c in cells]
    return bool({"la", "lea", "lea number"} & set(low)) and any(
        c in ("s52 line reference", "cypservicedescription", "description") for c in low
    )


def _year(wb: Workbook, df: pd.DataFrame, hdr: int) -> tuple[int, str]:
    """Financial year end from the title row ('S251 Outturn 2010-11'), else from the workbook's creation date
    (DfE creates each outturn workbook in the autumn or winter after the year)."""
    for i in range(hdr):
        m = re.search(r"(20\d\d)-(\d\d)\b", str(df.iloc[i, 0]))
        if m:
            return int(m.group(1)) + 1, "title row"
    created = None
    try:
        with zipfile.ZipFile(wb.path) as z:
            names = z.namelist()
            meta = z.read("docProps/core.xml" if "docProps/core.xml" in names else "meta.xml").decode(
                "utf-8", "replace"
            )
        m = re.search(r"(?:dcterms:created[^>]*>|meta:creation-date>)(\d{4})-(\d\d)", meta)
        if m:
            created = (int(m.group(1)), int(m.group(2)))
    except (zipfile.BadZipFile, KeyError):
        pass
    if created is None:
        raise UserError(wb.path, "cannot tell the financial year: no title row and no creation date", "s251-year")
    return (created[0] if created[1] >= 4 else created[0] - 1), "workbook creation date"


def _key_columns(columns: list[str], path, sheet: str, hdr: int) -> tuple[str, str, str]:
    """The authority code, name and line description columns of the header, each named when it is missing or
    appears twice (a header cell merged over its neighbours leaves them blank)."""
    if dup := sorted({c for c in columns if columns.count(c) > 1 and c not in ("", "nan", "none")}):
        raise UserError(path, f"sheet {sheet!r}, header row {hdr + 1}: column {dup[0]!r} appears twice", "s251-header")

    def column(names: tuple[str, ...], what: str) -> str:
        found = next((c for c in columns if c in names), None)
        if found is None:
            raise UserError(
                path,
                f"sheet {sheet!r}, header row {hdr + 1}: no {what} column (one of {', '.join(names)}); "
                "merged header cells leave all but the first blank",
                "missing-columns",
            )
        return found

    return (
        column(("la", "lea", "lea number"), "authority code"),
        column(("la name", "lea name"), "authority name"),
        column(("s52 line reference", "cypservicedescription", "description"), "line description"),
    )


def read_table_a1(wb: Workbook, sheet: str) -> Parsed:
    path = wb.path
    raw = wb.sheet(sheet)
    hdr = find_header(raw, _is_header, 8)
    year, basis = _year(wb, raw, hdr)
    df = raw.iloc[hdr + 1 :].copy()
    df.columns = [clean_header(c).lower().rstrip(":") for c in raw.iloc[hdr]]
    la, name, desc = _key_columns(list(df.columns), path, sheet, hdr)
    line = next((c for c in ("s251line", "linenumber", "line") if c in df.columns), None)
    gross = next((c for c in df.columns if re.sub(r"\W", "", c).startswith("totalexpenditure")), None)
    if gross is None:
        raise UserError(path, "missing required column: TotalExpenditure", "missing-columns")
    df = df[pd.to_numeric(df[la], errors="coerce").notna()]  # footnote and blank rows
    if df.empty:
        raise UserError(path, f"sheet {sheet!r} has a header but no authority rows", "missing-rows")
    df["_code"] = pd.to_numeric(df[la]).astype(int).astype(str)
    df["_desc"] = df[desc].astype(str)
    df["_line"] = (
        df[line].astype(str).str.replace(r"\.0$", "", regex=True) if line else df["_desc"].str.extract(r"^(\d+)")[0]
    )
    # a code published for two different lines (s251line 16 is also 'Total Safeguarding' in 2014-15 and 2015-16):
    # the second line takes OrderLine as its code
    ndesc = df.groupby("_line")["_desc"].transform("nunique")
    first = df.groupby("_line")["_desc"].transform("first")
    clash = (ndesc > 1) & (df["_desc"] != first)
    if clash.any():
        if "orderline" not in df.columns:
            raise UserError(path, f"line code {df.loc[clash, '_line'].iloc[0]!r} is used for two lines", "s251-line")
        df.loc[clash, "_line"] = df.loc[clash, "orderline"].astype(str).str.replace(r"\.0$", "", regex=True)
    value, symbol = to_number(
        df[gross].astype(object).where(df[gross].notna(), ""), path, gross, pd.Series(df.index + 1, index=df.index)
    )
    df["_value"], df["_symbol"] = value, symbol
    # classify each distinct line once
    lines = df.drop_duplicates("_line")[["_line", "_desc"]].copy()
    lines[["cat", "role"]] = [classify(d) for d in lines["_desc"]]
    keys = [_line_key(v) for v in lines["_line"]]
    lines = lines.iloc[sorted(range(len(keys)), key=keys.__getitem__)].reset_index(drop=True)
    # lines numbered after the last grand total are memoranda ("of which") in every vintage
    grand = lines.index[lines["role"].str.startswith("grand")]
    if len(grand):
        lines.loc[lines.index > grand.max(), "role"] = "memo"
    unknown = lines[lines["role"] == "unknown"]
    if len(unknown):
        raise UserError(
            path, f"unrecognised s251 line {unknown['_line'].iloc[0]!r}: {unknown['_desc'].iloc[0]!r}", "s251-line"
        )
    # blocks: details between the previous sub-total and this one belong to it when their category agrees
    lines["block"] = None
    start = 0
    for i, r in lines.iterrows():
        if r.role == "subtotal":
            for j in range(start, i):
                c = lines.at[j, "cat"]
                if lines.at[j, "role"] == "detail" and (c.rstrip("?") == r["cat"] or c.endswith("?")):
                    lines.at[j, "block"] = i
                    lines.at[j, "cat"] = r["cat"]
            start = i + 1
        elif r.role != "detail":
            start = i + 1
    lines["cat"] = lines["cat"].str.rstrip("?")
    lines["block_line"] = lines["block"].map(lambda b: lines.at[int(b), "_line"] if pd.notna(b) else None)
    df = df.merge(lines[["_line", "cat", "role", "block_line"]], on="_line", how="left")
    sub = df[df["role"] == "subtotal"].set_index(["_code", "_line"])["_value"]
    sub_value = pd.Series(
        [sub.get((c, b), np.nan) if b else np.nan for c, b in zip(df["_code"], df["block_line"])], index=df.index
    )
    used = ((df["role"] == "subtotal") & df["_value"].notna()) | ((df["role"] == "detail") & sub_value.isna())
    cats = df[used].groupby(["_code", "cat"])["_value"].sum(min_count=1).unstack()
    cats.columns = [f"spend_{c}" for c in cats.columns]
    grand = df[df["role"].str.startswith("grand")].pivot_table(
        index="_code", columns="role", values="_value", aggfunc="first"
    )
    grand = grand.rename(columns={"grand_excl": "spend_total_excl_cera", "grand_incl": "spend_total_incl_cera"})
    names = df.groupby("_code")[name].first().astype(str).str.strip()
    wide = cats.join(grand, how="outer").reindex(
        columns=[f"spend_{c}" for c in CATEGORIES] + ["spend_total_excl_cera", "spend_total_incl_cera"]
    )
    recs = [
        (pd.NA, code, names[code], "la", year, m, v, pd.NA if pd.notna(v) else "no line")
        for code, row in wide.iterrows()
        for m, v in row.items()
    ]
    out = normalise_long(
        pd.DataFrame(recs, columns=["la_code", "old_la_code", "la_name", "level", "year", "measure", "value", "symbol"])
    )
    if out.duplicated(["old_la_code", "measure"]).any():
        raise UserError(path, "duplicate authority rows for one line", "duplicate-rows")
    check_negative(out, path, skip=tuple(out["measure"].unique()))  # outturn can be negative (net income)
    notes = [
        f"financial year from the {basis}",
        f"{len(lines)} lines; memoranda: {', '.join(lines.loc[lines.role == 'memo', '_line']) or 'none'}",
    ]
    return Parsed("s251", f"s251 {year - 1}-{year % 100:02d}", {"s251": out}, notes)


EES_CATS = {
    "sure start": "sure_start",
    "looked after": "cla",
    "other children": "other_cfs",
    "safeguarding": "safeguarding",
    "family support": "family_support",
    "young people": "young_people",
    "youth justice": "youth_justice",
    "capital expenditure": "cera",
}


def detect_ees(header: list[str]) -> bool:
    return is_ees(header) and bool(find_col(header, "category_of_expenditure"))


def read_ees(path: Path) -> Parsed:
    """EES outturn: one row per area x category (and sometimes description); category totals only."""
    df = read_text_csv(path)
    head = list(df.columns)
    cat = find_col(head, "category_of_expenditure")
    val = next(
        (find_col(head, c) for c in ("total_expenditure", "gross_expenditure", "expenditure") if find_col(head, c)),
        None,
    )
    if val is None:
        raise UserError(path, "missing required column: total_expenditure", "missing-columns")
    desc = find_col(head, "description_of_expenditure")
    if desc:
        df = df[df[desc].str.strip().str.lower().isin(["total", ""]) | df[desc].str.lower().str.startswith("total")]
    low = df[cat].str.lower()
    df = df.assign(_m=[next((f"spend_{v}" for k, v in EES_CATS.items() if k in c), None) for c in low])
    df.loc[low.str.contains("total") & low.str.contains("excluding"), "_m"] = "spend_total_excl_cera"
    df.loc[low.str.contains("total") & low.str.contains("including"), "_m"] = "spend_total_incl_cera"
    df = df[df["_m"].notna()]
    parts = []
    for m, g in df.groupby("_m"):
        t, vintage = ees_frame(g.reset_index(drop=True), {val: m}, path)
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    tp = out["year"].max()
    return Parsed("s251", f"EES s251 {tp - 1}-{tp % 100:02d}", {"s251": out})
