"""DfE's statistical neighbours on a footprint's ONS codes.

DfE lists neighbours by three-digit DfE number. The published tables carry each authority's number beside
its ONS code, year by year (``old_la_code``, ``la_code``), so a number is put on the code it had in the
edition's year (the latest year up to the March after the edition; else its first), then on the
footprint's code for that area (:func:`cscbook.harmonise.boundaries.same_area_recodes`). An authority or
neighbour the footprint does not have (an edition's authority that was later split, such as Cumbria in the
2021 groupings on today's footprint) is left out, and the note says how many were.
"""

from __future__ import annotations

import pandas as pd

import cscbook.harmonise.boundaries as boundaries

COLUMNS = ["la_code", "rank", "neighbour", "closeness", "edition", "source"]


def number_pairs(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every (DfE number, ONS code, year) the authority tables publish."""
    parts = []
    for t in tables.values():
        if {"old_la_code", "la_code", "year"} <= set(t.columns) and len(t):
            rows = t[t["old_la_code"].notna() & t["la_code"].notna()]
            if "level" in rows:
                rows = rows[rows["level"] == "la"]
            parts.append(rows[["old_la_code", "la_code", "year"]].drop_duplicates())
    if not parts:
        return pd.DataFrame(columns=["old_la_code", "la_code", "year"])
    out = pd.concat(parts, ignore_index=True).drop_duplicates()
    out["old_la_code"] = out["old_la_code"].astype(str).str.strip()
    return out[out["old_la_code"].str.fullmatch(r"\d{3}")]


def codes_for(pairs: pd.DataFrame, edition: int, geography: str) -> tuple[dict[str, str], set[str]]:
    """DfE number -> the footprint's ONS code, as the number stood in the edition's year; and the numbers
    the footprint recodes (an edition may list an area twice: Dorset before 2019 as 835 and after as 838)."""
    recode = boundaries.recode_before()
    on_fp = boundaries.same_area_recodes(geography)
    out, moved = {}, set()
    for number, g in pairs.groupby("old_la_code"):
        before = g[g["year"] <= edition + 1]
        pick = before.loc[before["year"].idxmax()] if len(before) else g.loc[g["year"].idxmin()]
        code = recode.get(pick["la_code"], pick["la_code"])
        out[str(number)] = on_fp.get(code, code)
        if out[str(number)] != code:
            moved.add(str(number))
    return out, moved


def on_footprint(dfe: pd.DataFrame, tables: dict[str, pd.DataFrame], known: set[str], geography: str):
    """DfE's neighbours (long, by number) on the footprint's codes, and a note per edition of what was left out."""
    pairs = number_pairs(tables)
    parts, notes = [], []
    for edition, t in dfe.groupby("edition"):
        codes, moved = codes_for(pairs, int(edition), geography)
        # an area listed under two numbers keeps the list of the number that is its own in the edition
        subjects = t.drop_duplicates("number")
        subjects = subjects.assign(code=subjects["number"].map(codes))
        twice = subjects[subjects["code"].duplicated(keep=False) & subjects["number"].isin(moved)]
        superseded = dict(zip(twice["number"], twice["la_name"]))
        t = t[~t["number"].isin(superseded)]
        out = pd.DataFrame(
            {
                "la_code": t["number"].map(codes),
                "rank": t["rank"].astype("int64"),
                "neighbour": t["neighbour_number"].map(codes),
                "closeness": t["closeness"],
                "edition": int(edition),
                "source": f"DfE statistical neighbours {int(edition)}",
            }
        )
        keep = out["la_code"].isin(known) & out["neighbour"].isin(known)
        lost_la = sorted(set(t.loc[~out["la_code"].isin(known), "la_name"]))
        lost_la += sorted(f"{n} (listed again under its later number)" for n in superseded.values())
        dropped = int((~keep & out["la_code"].isin(known)).sum())
        if lost_la or dropped:
            notes.append(
                f"{int(edition)}: {len(lost_la)} authorities not on the footprint ({'; '.join(lost_la[:6])}"
                f"{', ...' if len(lost_la) > 6 else ''}) and {dropped} neighbours outside it left out"
            )
        parts.append(out[keep].drop_duplicates(["la_code", "rank"]))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    return out[COLUMNS].sort_values(["edition", "la_code", "rank"], kind="stable").reset_index(drop=True), notes
