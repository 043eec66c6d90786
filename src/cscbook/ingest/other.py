"""Smaller sources: IoD upper-tier summaries, children's social work workforce, GDP deflators (HMT, ONS), DfE LAIT."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import (
    Parsed,
    Workbook,
    check_negative,
    clean_header,
    long_frame,
    read_text_csv,
    with_header,
)
from cscbook.ingest.ees import ees_frame, find_col, is_ees

# --- English Indices of Deprivation: upper-tier summaries --------------------------------------

IOD_FIELDS = {
    "average score": "score",
    "rank of average score": "rank",
    "proportion of lsoas in most deprived 10% nationally": "prop10",
}


def detect_iod(wb: Workbook) -> bool:
    return {"IMD", "IDACI"} <= set(wb.sheets) and "upper tier" in str(wb.sheet("IDACI").iloc[0, 0]).lower()


def read_iod(wb: Workbook) -> Parsed:
    """IDACI and IMD average score, rank of average score and share of LSOAs in the most deprived decile.
    ``year`` holds the edition (2015, 2019); the code header names the geography year ((2013) -> IoD2015)."""
    parts = []
    edition = None
    for sheet, prefix in (("IDACI", "idaci"), ("IMD", "imd")):
        df = with_header(wb.sheet(sheet), 0)
        code_col = df.columns[0]
        m = re.search(r"\((\d{4})\)", code_col)
        geo = int(m.group(1)) if m else None
        edition = {2013: 2015, 2019: 2019}.get(geo, geo)
        if edition is None:
            raise UserError(wb.path, f"sheet {sheet}: cannot tell the IoD edition from {code_col!r}", "iod-edition")
        measures = {}
        for col in df.columns[2:]:
            field = re.sub(r"\s+", " ", col.split(" - ", 1)[-1]).strip().lower()
            if field in IOD_FIELDS:
                measures[col] = f"{prefix}_{IOD_FIELDS[field]}"
        df = df[df[code_col].astype(str).str.match(r"E\d{8}")]
        parts.append(
            long_frame(
                df.astype(str),
                measures,
                wb.path,
                edition,
                df[code_col].astype(str),
                None,
                df[df.columns[1]].astype(str),
                "la",
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return Parsed("iod", f"IoD{edition}", {"iod": out})


# --- Children's social work workforce (30 September census) ------------------------------------

CSWW = {
    "vacancy_rate_fte": "sw_vacancy_rate",
    "vacancy_rate_fte_%": "sw_vacancy_rate",
    "agency_rate_fte": "sw_agency_rate",
    "agency_worker_rate_fte_%": "sw_agency_rate",
    "turnover_rate_fte": "sw_turnover_rate",
    "turnover_rate_fte_%": "sw_turnover_rate",
    "caseload_fte": "sw_caseload",
}


def detect_csww(header: list[str]) -> bool:
    return is_ees(header) and bool(find_col(header, "vacancy_rate_fte") or find_col(header, "vacancy_rate_fte_%"))


def read_csww(path: Path) -> Parsed:
    """Rates as fractions (0-1). ``year`` is the census year (September). Slash-joined joint rows (one children's
    trust for two authorities) are split: each member gets the joint rate, recorded as apportioned."""
    df = read_text_csv(path)
    measures = {c: CSWW[c] for c in df.columns if c in CSWW}
    joint = df["new_la_code"].str.contains("/", na=False)
    rows = [df[~joint]]
    notes = []
    for _, r in df[joint].iterrows():
        codes = [c.strip() for c in r["new_la_code"].split("/")]
        olds = [c.strip() for c in str(r.get("old_la_code", "")).split("/")]
        names = [c.strip() for c in str(r["la_name"]).split("/")]
        for i, c in enumerate(codes):
            rr = r.copy()
            rr["new_la_code"], rr["old_la_code"] = c, olds[i] if i < len(olds) else ""
            rr["la_name"] = names[i] if i < len(names) else rr["la_name"]
            rows.append(rr.to_frame().T)
        notes.append(f"joint row {r['la_name']} ({r['time_period']}) apportioned to {', '.join(codes)}")
    df = pd.concat(rows, ignore_index=True)
    out, vintage = ees_frame(df, measures, path)
    rate = out["measure"] != "sw_caseload"
    out.loc[rate, "value"] = out.loc[rate, "value"] / 100
    split = pd.concat(rows[1:]) if len(rows) > 1 else pd.DataFrame(columns=["new_la_code", "time_period"])
    jl = set(zip(split["new_la_code"].str.upper(), pd.to_numeric(split["time_period"]).astype(int)))
    out["apportioned"] = [(c, y) in jl for c, y in zip(out["la_code"], out["year"])]
    check_negative(out, path)
    return Parsed("workforce", f"CSWW {vintage}", {"workforce": out}, notes)


# --- GDP deflator ------------------------------------------------------------------------------


def detect_deflator(wb: Workbook) -> bool:
    df = wb.sheet(wb.sheets[0])
    return len(df) > 1 and {"year", "gdp"} <= {clean_header(c).lower() for c in df.iloc[0].tolist()}


def read_deflator(wb: Workbook) -> Parsed:
    """HMT GDP deflator by financial year; ``year`` is the year ending 31 March (2018 = 2017-18)."""
    df = with_header(wb.sheet(wb.sheets[0]), 0)
    df.columns = [c.lower() for c in df.columns]
    df = df[pd.to_numeric(df["year"], errors="coerce").notna()]
    out = long_frame(
        df.astype(str),
        {"gdp": "gdp_deflator"},
        wb.path,
        df["year"].astype(float).astype(int),
        None,
        None,
        None,
        "england",
    )
    return Parsed("deflator", f"GDP deflator to {int(out['year'].max())}", {"deflator": out})


# --- ONS GDP implied deflator (YBGB), generator CSV ------------------------------------------------


def detect_ons_deflator(lines: list[str]) -> bool:
    """ONS's generator CSV of one series: ``"Title",...`` then ``"CDID","YBGB"`` before the data."""
    return len(lines) > 2 and lines[0].startswith('"Title"') and lines[1].replace('"', "").strip() == "CDID,YBGB"


def read_ons_deflator(path: Path) -> Parsed:
    """The GDP implied deflator (2022 = 100) by financial year, ``year`` ending 31 March: the mean of
    Q2-Q4 of one calendar year and Q1 of the next (2024-25 = 2024 Q2, Q3, Q4 and 2025 Q1). Only
    complete financial years are kept."""
    df = pd.read_csv(path, header=None, dtype=str, names=["period", "value"], encoding="utf-8-sig")
    q = df["period"].str.extract(r"^(\d{4}) Q([1-4])$")
    df = df.assign(cy=pd.to_numeric(q[0]), qn=pd.to_numeric(q[1]), v=pd.to_numeric(df["value"], errors="coerce"))
    df = df[df["cy"].notna() & df["v"].notna()]
    if df.empty:
        raise UserError(path, "no quarterly rows ('YYYY Qn') in the ONS series file", "missing-columns")
    df["fy"] = (df["cy"] + (df["qn"] >= 2)).astype(int)  # Q2-Q4 of Y-1 and Q1 of Y make the year ending March Y
    g = df.groupby("fy")["v"].agg(["mean", "count"])
    g = g[g["count"] == 4]
    out = pd.DataFrame(
        {
            "la_code": pd.NA,
            "old_la_code": pd.NA,
            "la_name": pd.NA,
            "level": "england",
            "year": g.index.astype("int64"),
            "measure": "gdp_deflator",
            "value": g["mean"].to_numpy(),
            "symbol": pd.NA,
        }
    )
    notes = [f"financial years from quarters, {int(g.index.min())}-{int(g.index.max())}"]
    return Parsed("deflator", f"ONS YBGB to {int(g.index.max())}", {"deflator": out}, notes)


# --- DfE LAIT long table ----------------------------------------------------------------------------

#: LAIT ``Short Desc`` -> measure. Units from LAIT's data dictionary: counts for referrals
#: (CPP_Total_NumRef), plans at 31 March (CPP_Num), plans started in the year (CPP_Abuse: "Children becoming
#: subject of a CPP"), looked after at 31 March (LACnum) and starting (LACnum_Start); rates per 10,000
#: children aged 0-17 for children in need at 31 March (CIN), section 47 enquiries (Section_47) and initial
#: conferences (ISCP_Conf); nominal pounds, gross, for the section 251 outturn lines ("(OT)" years);
#: a percentage for vacancies (September census year).
LAIT = {
    "CPP_Total_NumRef": "referrals",
    "Section_47": "s47_rate",
    "ISCP_Conf": "icpcs_rate",
    "CIN": "cin_31mar_rate",
    "CPP_Num": "cpp_31mar",
    "CPP_Abuse": "cpp_starts",
    "LACnum": "cla_31mar",
    "LACnum_Start": "cla_starts",
    "Work_Force_Vac_Rate": "sw_vacancy_rate",
    "SureStartFinance": "spend_sure_start",
    "TotalLACFinance": "spend_cla",
    "SafeguardingFinance": "spend_safeguarding",
    "FamilySupportFinance": "spend_family_support",
    "YoungPeopleFinance": "spend_young_people",
    "YouthJusticeFinance": "spend_youth_justice",
    "OtherChildren&FamilyFinance": "spend_other_cfs",
    "C&YPExpenditure": "spend_total_excl_cera",
}
#: LAIT rates whose count is derived as rate * pop_0_17 / PER (harmonise, rule D-LAIT-RATE).
LAIT_RATES = {"s47_rate": "s47_enquiries", "icpcs_rate": "icpcs", "cin_31mar_rate": "cin_31mar"}


def detect_lait(header: list[str]) -> bool:
    return {"Short Desc", "Years", "LA and Regions", "Values", "LA Number"} <= set(header)


def read_lait(path: Path) -> Parsed:
    """Selected measures; ``Years`` '2016', '2016-17' and '2016-17 (OT)' all become the year ending 31 March
    (the workforce's '2016' is the September 2016 census, matched later by Y-CSWW). ``Values`` is text with
    binary artefacts (``290.89999999999998``): rounded to 6 decimals."""
    df = read_text_csv(path)
    df = df[df["Short Desc"].isin(LAIT)]
    y = df["Years"].str.extract(r"^(\d{4})(?:-(\d\d))?")
    year = pd.to_numeric(y[0]) + y[1].notna().astype(int)
    # authorities have 3-digit numbers below 970; England is 970 and the regions 980-990 (or blank)
    num = pd.to_numeric(df["LA Number"].str.strip(), errors="coerce")
    lvl = pd.Series(np.where(num < 970, "la", None), index=df.index, dtype=object)
    lvl[df["LA and Regions"].str.strip().str.lower().eq("england")] = "england"
    keep = lvl.notna()
    df, year, lvl = df[keep], year[keep], lvl[keep]
    parts = [
        long_frame(g, {"Values": LAIT[m]}, path, year[g.index], None, g["LA Number"], g["LA and Regions"], lvl[g.index])
        for m, g in df.groupby("Short Desc")
    ]
    out = pd.concat(parts, ignore_index=True)
    out.loc[out["level"] == "england", "old_la_code"] = pd.NA
    out["value"] = out["value"].round(6)
    out.loc[out["measure"] == "sw_vacancy_rate", "value"] /= 100
    return Parsed("lait", f"LAIT to {int(out['year'].max())}", {"lait": out})


def detect_lait_codes(wb: Workbook) -> bool:
    df = wb.sheet(wb.sheets[0])
    return len(df) > 0 and [clean_header(c) for c in df.iloc[0].tolist()[:2]] == ["LA Number", "LA Name"]


def read_lait_codes(wb: Workbook) -> Parsed:
    df = with_header(wb.sheet(wb.sheets[0]), 0)
    df = df[pd.to_numeric(df["LA Number"], errors="coerce").notna()]
    out = pd.DataFrame(
        {
            "old_la_code": df["LA Number"].astype(float).astype(int).astype(str),
            "la_name": df["LA Name"].astype(str).str.strip(),
        }
    )
    return Parsed("lait_codes", "LAIT code list", {"lait_codes": out})


def detect_lookup(header: list[str]) -> bool:
    return any(re.fullmatch(r"UTLA\d\dCD", h) for h in header) and any(re.fullmatch(r"LTLA\d\dCD", h) for h in header)


def read_lookup(path: Path) -> Parsed:
    df = read_text_csv(path)
    cd = next(h for h in df.columns if re.fullmatch(r"UTLA\d\dCD", h))
    lt = next(h for h in df.columns if re.fullmatch(r"LTLA\d\dCD", h))
    names = {cd: "la_code", cd[:-2] + "NM": "la_name", lt: "district_code", lt[:-2] + "NM": "district_name"}
    missing = [h for h in names if h not in df.columns]
    if missing:
        raise UserError(path, f"no column {missing[0]!r} beside {cd!r}", "missing-columns")
    out = df[list(names)].rename(columns=names).drop_duplicates()
    out = out[out["la_code"].str.startswith("E")].reset_index(drop=True)  # England's authorities only
    return Parsed("ons_lookup", f"ONS LTLA-UTLA lookup {cd[4:6]}", {"ons_lookup": out})
