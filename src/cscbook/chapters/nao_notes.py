"""Small helpers that write the Note of a 'How this compares with the NAO' row: which authorities
are missing, which rule made a cell, which authority sits at the end of a range, and whether
another year of the same measure would give the NAO's figure. Every phrase is computed."""

from __future__ import annotations

import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures


def names(codes: list[str], panel: pd.DataFrame, limit: int = 6) -> str:
    """'Hackney, Havering and 2 more' for a list of authority codes."""
    lookup = panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    shown = [str(lookup.get(c, c)) for c in codes]
    if not shown:
        return ""
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" and {len(shown) - limit} more"
    return measures.and_list(shown)


def missing_codes(flags: pd.DataFrame, panel: pd.DataFrame, col: str, year: int) -> list[str]:
    """Authorities with no value of ``col`` in ``year``: the flags marked missing, and any empty cell of ``panel``."""
    codes: set[str] = set()
    if flags is not None and len(flags):
        f = flags[(flags["column"] == col) & (flags["year"] == year) & (flags["flag"] == "missing")]
        codes |= set(f["la_code"].astype(str)) & set(panel["la_code"].astype(str))
    rows = panel[(panel["year"] == year) & panel[col].isna()]
    codes |= set(rows["la_code"].astype(str))
    return sorted(codes)


def flagged_codes(flags: pd.DataFrame, col: str, year: int, rule: str) -> list[str]:
    """Authorities whose ``col`` in ``year`` was made by ``rule``."""
    if flags is None or not len(flags):
        return []
    f = flags[(flags["column"] == col) & (flags["year"] == year) & (flags["rule"] == rule)]
    return sorted(set(f["la_code"].astype(str)))


def rule_text(meta: dict, rule: str) -> str:
    """The words of a harmonisation rule as recorded in the data's meta.json (empty if absent)."""
    return str(meta.get("rules", {}).get(rule, ""))


def within(key: str, value: float) -> bool:
    """Whether ``value`` matches the published figure ``key`` within its tolerance."""
    return reference.within(key, float(value))[0]


def years_matching(values: pd.Series, key: str, fmt: str = "{:,.0f}") -> list[str]:
    """'2016-17 (1.7)' for every year of ``values`` (indexed by year) that matches ``key`` within tolerance."""
    out = []
    for y, v in values.dropna().items():
        if within(key, float(v)):
            out.append(f"{contract.year_label(int(y))} ({fmt.format(v)})")
    return out


def nearest(values: pd.Series, labels: pd.Series, target: float, fmt: str = "{:,.0f}") -> str:
    """The value nearest ``target`` with its label and rank from the lowest: 'Suffolk's 566 (4th lowest of 54)'."""
    v = values.dropna()
    if v.empty:
        return ""
    i = (v - target).abs().idxmin()
    rank = int((v < v[i]).sum()) + 1
    n = len(v)
    where = f"{ordinal(rank)} lowest" if rank <= n / 2 else f"{ordinal(n - rank + 1)} highest"
    return f"{labels[i]}'s {fmt.format(v[i])} ({where} of {n})"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join(parts: list[str]) -> str:
    """Non-empty parts joined with '; '."""
    return "; ".join(p for p in parts if p)
