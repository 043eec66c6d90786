"""Children in need: DfE SFR underlying data (wide, one file a year) and EES long files (b1, c1, c4, d1, d5)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, check_duplicates, check_negative, long_frame, read_text_csv
from cscbook.ingest.ees import ees_frame, find_col, is_ees

RATES = ("cin_rate", "referrals_rate", "cpp_rate", "s47_rate")


def detect_sfr(header: list[str]) -> bool:
    return {"geog_l", "geog_c", "geog_n"} <= set(header) and any(re.fullmatch(r"Referrals\d{4}", h) for h in header)


def read_sfr(path: Path) -> Parsed:
    """One SFR CIN file: map this year's columns by pattern (names change every year, some are mislabelled)."""
    df = read_text_csv(path)
    yy = next(m.group(1) for h in df.columns if (m := re.fullmatch(r"Referrals(\d{4})", h)))
    year = 2000 + int(yy[2:])
    e, p = f"{year % 100:02d}", f"{(year - 1) % 100:02d}"
    cols = {c.lower(): c for c in df.columns}
    notes: list[str] = []

    def pick(measure: str, *patterns: str, mislabel: tuple[str, ...] = ()) -> None:
        for pat in patterns:
            if pat.lower() in cols:
                found[cols[pat.lower()]] = measure
                return
        for pat in mislabel:  # published with the previous year's date in the name
            if pat.lower() in cols:
                found[cols[pat.lower()]] = measure
                notes.append(f"{cols[pat.lower()]} read as {measure} for 31 March 20{e} (mislabelled as published)")
                return

    found: dict[str, str] = {}
    pick("referrals", f"Referrals{yy}")
    pick("referrals_rate", f"Referrals{yy}Rate")
    pick("s47_enquiries", f"S47{yy}", f"S47in{yy}")
    pick("s47_rate", f"S47Rate{yy}")
    pick("icpcs", f"ICPC{yy}", f"ICPCin{yy}")
    pick("cpp_31mar", f"CPPAt3103{e}")
    pick("cpp_rate", f"CPPAt3103{e}Rate", f"CPPAt3103{e}RatePer10k")
    pick("cpp_starts", f"CPPStart{yy}", f"CPPEpisodesStart{yy}", f"CPPIn{yy}")  # plans (episodes) started in the year
    pick("cin_episodes", f"CINThro{yy}", f"CINEpisodesThro{yy}")
    pick("cin_31mar", f"CINAt3103{e}", mislabel=(f"CINAt3103{p}",))
    pick("cin_rate", f"CINAt3103{e}RatePer10k", "CINRatePer10K", mislabel=(f"CINAt3103{p}RatePer10K",))
    if "cin_31mar" not in found.values() or "referrals" not in found.values():
        raise UserError(path, f"children-in-need file for 20{p}-{e} has no CINAt3103{e} column", "missing-columns")
    level = df["geog_l"].str.strip().str.lower().map({"national": "england", "la": "la"})
    df = df[level.notna()]
    check_duplicates(df[df["geog_l"].str.lower() == "la"], ["geog_c"], path)
    code = df["new_la_code"] if "new_la_code" in df.columns else None
    if code is not None:
        code = code.where(level[df.index] == "la")  # the England row carries a wrong code in some years
    out = long_frame(df, found, path, year, code, df["geog_c"], df["geog_n"], level[df.index])
    out.loc[out["level"] == "england", "old_la_code"] = pd.NA
    check_negative(out, path)
    return Parsed("cin", f"SFR {year - 1}-{e}", {"cin": out}, notes)


EES_MEASURES = {
    # file signature column -> {published column (any case) -> measure}
    "At31_episodes": {
        "At31_episodes": "cin_31mar",
        "Anypoint_episodes": "cin_episodes",
        "At31_episodes_rate": "cin_rate",
    },
    "Referrals": {"Referrals": "referrals", "Referrals_rate": "referrals_rate"},
    "referral_count": {"referral_count": "referrals"},
    "Section47": {"Section47": "s47_enquiries", "ICPC": "icpcs", "Section47_rate": "s47_rate"},
    "CPP_start": {"CPP_At31": "cpp_31mar", "CPP_At31_rate": "cpp_rate", "CPP_start": "cpp_starts"},
    "3_months_or_less": {"CPP_At31": "cpp_31mar"},
}
#: The columns each file family must carry: a release whose layout moved again is refused, naming the column.
#: Rates are optional (the 2025 release dropped every ``_rate`` column).
EES_REQUIRED = {
    "At31_episodes": ["At31_episodes", "Anypoint_episodes"],
    "Referrals": ["Referrals"],
    "referral_count": ["referral_count"],
    "Section47": ["Section47", "ICPC"],
    "CPP_start": ["CPP_At31", "CPP_start"],
    "3_months_or_less": ["CPP_At31"],
}


def detect_ees(header: list[str]) -> bool:
    return is_ees(header) and any(find_col(header, k) for k in EES_MEASURES)


def read_ees(path: Path) -> Parsed:
    df = read_text_csv(path)
    key = next(k for k in EES_MEASURES if find_col(list(df.columns), k))
    for need in EES_REQUIRED[key] + ["new_la_code"]:
        if not find_col(list(df.columns), need):
            raise UserError(path, f"missing required column: {need} (the layout has changed)", "missing-columns")
    measures = {find_col(list(df.columns), c): m for c, m in EES_MEASURES[key].items() if find_col(list(df.columns), c)}
    out, vintage = ees_frame(df, measures, path)
    check_negative(out, path)
    return Parsed("cin", f"EES {vintage}", {"cin": out})
