"""DfE's LAIT long table as the source for the years the EES, SFR and Table A1 files do not reach.

Rules (texts in ``meta.RULES``): L-LAIT-CIN (children in need, plans, section 47, conferences, referrals),
L-LAIT-CLA (looked after, starts), L-LAIT-S251 (section 251 outturn lines), D-LAIT-RATE (a count derived
from a LAIT rate and the 0-17 population). The EES and SFR (or Table A1) value wins wherever those files
cover the year; LAIT fills only the years they do not cover. ``LAIT_GAPS`` gives the reason a column stays
missing in the years LAIT fills, because LAIT does not carry it.
"""

from __future__ import annotations

import pandas as pd

from cscbook.contract import PER
from cscbook.harmonise.boundaries import la as _la
from cscbook.ingest.other import LAIT_RATES

#: Panel measure -> the rule under which LAIT supplies it.
RULE = {
    "referrals": "L-LAIT-CIN",
    "s47_enquiries": "L-LAIT-CIN",
    "icpcs": "L-LAIT-CIN",
    "cin_31mar": "L-LAIT-CIN",
    "cpp_31mar": "L-LAIT-CIN",
    "cpp_starts": "L-LAIT-CIN",
    "cla_31mar": "L-LAIT-CLA",
    "cla_starts": "L-LAIT-CLA",
    **{
        f"spend_{c}": "L-LAIT-S251"
        for c in ("sure_start", "cla", "other_cfs", "safeguarding", "family_support", "young_people", "youth_justice")
    },
    "spend_total_excl_cera": "L-LAIT-S251",
}
#: Columns LAIT does not carry: missing, with this rule, in the years only LAIT covers.
LAIT_GAPS = {
    "cin_episodes": "S-CINEP",
    "cla_16plus": "S-CLA",
    "spend_cera": "S-S251-LAIT",
    "spend_total_incl_cera": "S-S251-LAIT",
}


def lait_long(lait: pd.DataFrame, pop: pd.DataFrame, old_to_new: dict) -> pd.DataFrame:
    """LAIT's authority rows as (la_code, year, measure, value): 3-digit codes mapped to ONS codes, rows
    without a value dropped (LAIT shows '-' for suppressed cells and for authorities that did not exist),
    and the rates turned into counts (rate * pop_0_17 / PER, ``derived`` = True)."""
    t = _la(lait)
    if not len(t):
        return pd.DataFrame(columns=["la_code", "year", "measure", "value", "derived"])
    # codes as the other tables have them (filled from the 3-digit codes and recoded for the footprint),
    # so that a rate meets the population of the same authority
    coded = t["la_code"] if "la_code" in t else pd.Series(pd.NA, index=t.index, dtype="object")
    t = t.assign(la_code=coded.fillna(t["old_la_code"].map(old_to_new)))
    t = t[t["la_code"].notna() & t["value"].notna()]
    t = t.sort_values("vintage").drop_duplicates(["la_code", "year", "measure"], keep="last")
    t = t[["la_code", "year", "measure", "value"]].assign(derived=False)
    rates = t[t["measure"].isin(list(LAIT_RATES))]
    p = pop[["la_code", "year", "value"]].rename(columns={"value": "pop"})
    d = rates.merge(p, on=["la_code", "year"], how="inner")
    d = d.assign(measure=d["measure"].map(LAIT_RATES), value=(d["value"] * d["pop"] / PER).round(), derived=True)
    return pd.concat([t[~t["measure"].isin(list(LAIT_RATES))], d.drop(columns="pop")], ignore_index=True)


def lait_parts(lait: pd.DataFrame, pop: pd.DataFrame, old_to_new: dict, primary: pd.DataFrame, flags: list):
    """LAIT values for the years no primary file covers (per measure), each cell flagged with its rule;
    and the coverage: the years each measure has in the primary files, and the years LAIT filled."""
    have = primary[primary["value"].notna()].groupby("measure")["year"].unique().map(set).to_dict()
    t = lait_long(lait, pop, old_to_new)
    coverage = {"primary": have, "lait": set(), "overlap": overlap(t, primary)}
    if not len(t):
        return [], coverage
    parts = []
    for m, rule in RULE.items():
        g = t[(t["measure"] == m) & ~t["year"].isin(have.get(m, set()))]
        if not len(g):
            continue
        parts.append(g[["la_code", "year", "value", "measure"]])
        coverage["lait"] |= set(int(y) for y in g["year"].unique())
        for r in g.itertuples():
            flags.append((r.la_code, int(r.year), m, "derived", "D-LAIT-RATE" if r.derived else rule))
    return parts, coverage


#: Where LAIT and a primary file both give a value, the overlap is kept both ways for these measures (the
#: section 251 lines change source after the last Table A1 year, and a chart marks the break).
OVERLAP = [m for m in RULE if m.startswith("spend_")]


def overlap(t: pd.DataFrame, primary: pd.DataFrame) -> pd.DataFrame:
    """Authority-years where both LAIT and the primary file have a value, for the ``OVERLAP`` measures:
    (la_code, year, measure, value_primary, value_lait)."""
    cols = ["la_code", "year", "measure", "value_primary", "value_lait"]
    if not len(t):
        return pd.DataFrame(columns=cols)
    p = primary[primary["measure"].isin(OVERLAP) & primary["value"].notna()][["la_code", "year", "measure", "value"]]
    q = t[t["measure"].isin(OVERLAP)][["la_code", "year", "measure", "value"]]
    both = p.merge(q, on=["la_code", "year", "measure"], suffixes=("_primary", "_lait"))
    return both[cols].sort_values(["measure", "la_code", "year"], kind="stable").reset_index(drop=True)


def gap_flags(panel: pd.DataFrame, coverage: dict, flags: list) -> None:
    """Missing with a reason: the columns LAIT does not carry, in the years LAIT filled and no primary
    file of that column covers."""
    for col, rule in LAIT_GAPS.items():
        if col not in panel:
            continue
        years = coverage["lait"] - coverage["primary"].get(col, set())
        miss = panel[panel[col].isna() & panel["year"].isin(years)]
        for la, y in zip(miss["la_code"], miss["year"]):
            flags.append((la, int(y), col, "missing", rule))


def prune(flags: list, panel: pd.DataFrame) -> list:
    """LAIT's cell flags only for the panel's authority-years (LAIT reaches years a footprint does not)."""
    keys = set(zip(panel["la_code"], panel["year"].astype(int)))
    ours = set(RULE.values()) | {"D-LAIT-RATE"}
    return [f for f in flags if f[4] not in ours or (f[0], f[1]) in keys]
