"""The 0-17 population: one consistent series for the rates (``pop_0_17``) and the estimates as first
published (``pop_0_17_published``), each as rows on the codes of the authorities of each year, which the
footprint step then puts on the footprint like any count.

- Consistent (Y-POP): DfE's latest population release for every year it covers (the 2025 file is on the
  Census-2021-consistent basis from mid-2012); an authority the release leaves as ``x`` is estimated as
  England's total less its other authorities, shared out by an older release's proportions (Y-POP-GAP);
  before the release's first year, the ONS estimates by age from Nomis (Y-POP-NOMIS).
- As published (Y-POP-PUBLISHED): the earliest release that has each year (the estimates DfE's rates
  used at the time), with the same Nomis years before it.
- Where neither gives a year, the children-in-need count over its published rate (Y-POP, DfE's own
  denominator), flagged derived.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import cscbook.harmonise.boundaries as boundaries
from cscbook.contract import COUNTS, PER, POP_PUBLISHED
from cscbook.errors import UserError
from cscbook.harmonise.sources import pick, release_year

#: The Nomis bands that add up to ages 0 to 16; 17-year-olds are the 16-year-olds of the year before.
NOMIS_BANDS = ("pop_0_4", "pop_5_9", "pop_10_14", "pop_15", "pop_16")


def population_parts(T: dict[str, pd.DataFrame], geography: str, flags: list) -> list[pd.DataFrame]:
    """Long rows (la_code, year, value, measure) of both population series, before any footprint step (the
    tables' codes already carry the footprint's same-area recodes)."""
    pop = T.get("population", pd.DataFrame())
    consistent = _latest_release(pop, flags)
    published = pick(boundaries.la(pop), "pop_0_17", "earliest")[["la_code", "year", "value"]]
    first = int(pop["year"].min()) if len(pop) else None  # the Nomis years are those before any release
    early = nomis_0_17(T.get("population_nomis", pd.DataFrame()), pop, first, geography, flags)
    return [
        pd.concat([rows, early], ignore_index=True).assign(measure=measure)
        for measure, rows in (("pop_0_17", consistent), (POP_PUBLISHED, published))
    ]


def _latest_release(pop: pd.DataFrame, flags: list) -> pd.DataFrame:
    """Each year from the latest release that covers it; its ``x`` cells estimated (Y-POP-GAP)."""
    if not len(pop):
        return pd.DataFrame(columns=["la_code", "year", "value"])
    pop = pop[pop["measure"] == "pop_0_17"].assign(_v=lambda d: d["vintage"].map(release_year))
    newest = pop.groupby("year")["_v"].transform("max")
    latest = pop[pop["_v"] == newest]
    la, eng = boundaries.la(latest), latest[latest["level"] == "england"]
    out = la[["la_code", "year", "value"]].copy()
    older = boundaries.la(pop[pop["_v"] < newest])
    for year, g in la.groupby("year"):
        gap = g[g["value"].isna() & (g["symbol"].fillna("") == "x")]
        total = eng.loc[eng["year"] == year, "value"]
        if not len(gap) or not len(total):
            continue
        rest = total.iloc[0] - g["value"].sum()  # England less its other authorities
        ref = older[(older["year"] == year) & older["la_code"].isin(gap["la_code"])]
        ref = ref.dropna(subset=["value"]).drop_duplicates("la_code", keep="last").set_index("la_code")["value"]
        if set(ref.index) != set(gap["la_code"]) or rest <= 0:
            continue  # nothing to share it by: left missing (S-MISSING)
        est = (rest * ref / ref.sum()).round()
        idx = out.index[(out["year"] == year) & out["la_code"].isin(est.index)]
        out.loc[idx, "value"] = out.loc[idx, "la_code"].map(est)
        flags += [(c, int(year), "pop_0_17", "imputed", "Y-POP-GAP") for c in est.index]
    return out


def nomis_0_17(nomis: pd.DataFrame, pop: pd.DataFrame, until: int | None, geography: str, flags: list) -> pd.DataFrame:
    """Children aged 0-17 from the Nomis single-age bands: ages 0 to 16 of the year and the 16-year-olds of
    the year before as its 17-year-olds (Y-POP-NOMIS), put back on the authorities of each year from the
    authorities the export is on (the changes between the two, reversed; see :func:`back_to_year`)."""
    if not len(nomis) or not set(NOMIS_BANDS) <= set(nomis["measure"]):
        return pd.DataFrame(columns=["la_code", "year", "value"])
    w = nomis.pivot_table(index="la_code", columns=["measure", "year"], values="value", aggfunc="first")
    years = sorted(
        y for y in set(w["pop_16"].columns) & {y + 1 for y in w["pop_16"].columns} if until is None or y < until
    )
    if not years:
        return pd.DataFrame(columns=["la_code", "year", "value"])
    under17 = sum(w[b][years] for b in NOMIS_BANDS)
    age17 = w["pop_16"][[y - 1 for y in years]].set_axis(years, axis=1)
    both = (under17 + age17).stack().rename("value").reset_index()
    geo = nomis["vintage"].str.extract(r"April (\d{4})", expand=False).dropna()
    geo_year = int(geo.iloc[0]) if len(geo) else None
    rows = [back_to_year(g, int(y), geo_year, pop, geography, flags) for y, g in both.groupby("year")]
    out = pd.concat(rows, ignore_index=True) if rows else both
    for col in ("pop_0_17", POP_PUBLISHED):
        flags += [(c, int(y), col, "derived", "Y-POP-NOMIS") for c, y in zip(out["la_code"], out["year"])]
    return out[["la_code", "year", "value"]]


def back_to_year(
    rows: pd.DataFrame, year: int, geo_year: int | None, pop: pd.DataFrame, geography: str, flags: list
) -> pd.DataFrame:
    """Rows published on the authorities of April ``geo_year`` put on those of ``year`` (from the April before
    it): each change of the table in between is reversed. Successors of one authority are summed into it; the
    successors of several (BCP and Dorset from Bournemouth, Poole and Dorset county) are added and shared out
    by the predecessors' proportions in the first year a population release gives them."""
    if geo_year is None:
        return rows
    vals = rows.set_index("la_code")["value"]
    recode = boundaries.same_area_recodes(geography)  # the tables carry these already
    groups: dict[str, tuple[set, set]] = {}
    between = [c for c in boundaries.CHANGES if year - 1 < c.year <= geo_year]
    for c in between:  # a change of several rows is one group; a change that only recodes needs nothing
        if any(d.rule == c.rule and d.how != "recode" for d in between):
            old, new = groups.setdefault(c.rule, (set(), set()))
            old.update(recode.get(x, x) for x in c.old)
            new.update(recode.get(x, x) for x in c.new)
    ref = boundaries.la(pop[pop["measure"] == "pop_0_17"]) if len(pop) else pop
    for rule, (old, new) in groups.items():
        have = vals.reindex(sorted(new))
        if have.isna().any():
            continue
        total = have.sum()
        if len(old) == 1:
            vals = vals.drop(list(new))
            vals[next(iter(old))] = total
            flags.append((next(iter(old)), year, "pop_0_17", "aggregated", rule))
            continue
        r = ref[ref["la_code"].isin(old)].dropna(subset=["value"]) if len(ref) else ref
        r = r[r["year"] == r["year"].min()].drop_duplicates("la_code").set_index("la_code")["value"] if len(r) else r
        if len(r) != len(old):
            continue  # no proportions to share it by: the check of coverage names the gap
        vals = vals.drop(list(new))
        for code, v in (total * r / r.sum()).round().items():
            vals[code] = v
            flags.append((code, year, "pop_0_17", "apportioned", rule))
    return vals.rename("value").reset_index().assign(year=year)


def back_derive_population(panel: pd.DataFrame, cin: pd.DataFrame, geography: str, flags: list) -> pd.DataFrame:
    """Where no population estimate is read, the children-in-need count over its published rate (DfE's own
    denominator), flagged derived under Y-POP, in both series."""
    rate = pick(boundaries.la(cin), "cin_rate")
    cnt = pick(boundaries.la(cin), "cin_31mar")
    rc = cnt.merge(rate, on=["la_code", "year"], suffixes=("_n", "_r"))
    rc["pop"] = rc["value_n"] * PER / rc["value_r"]
    if geography == "2018":
        rc["la_code"] = rc["la_code"].map(boundaries.on_2018())
    panel = panel.merge(
        rc[["la_code", "year", "pop"]].drop_duplicates(["la_code", "year"]), on=["la_code", "year"], how="left"
    )
    for col in ("pop_0_17", POP_PUBLISHED):
        if col not in panel:
            panel[col] = np.nan
        need = panel[col].isna() & panel["pop"].notna() & np.isfinite(panel["pop"])
        for r in panel[need].itertuples():
            flags.append((r.la_code, r.year, col, "derived", "Y-POP"))
        panel.loc[need, col] = panel.loc[need, "pop"].round()
    return panel.drop(columns="pop")


def check_coverage(panel: pd.DataFrame, T: dict[str, pd.DataFrame], names: dict) -> None:
    """Every authority of the footprint with a count in a year that a population file covers has a population
    then; otherwise the file is named with the authorities it lacks. The successors and predecessors of a
    boundary change are left to its rule (their gaps are flagged)."""
    moved = panel["la_code"].isin(set(boundaries.RULE_OF))  # a boundary change makes or ends it: its gaps are flagged
    counted = panel[[c for c in COUNTS if c in panel and c != "pop_0_17"]].notna().any(axis=1)  # it existed
    lacking_pop = panel["pop_0_17"].isna() & ~moved & counted
    for source in ("population", "population_nomis"):
        t = T.get(source, pd.DataFrame())
        if not len(t):
            continue
        years = set(t["year"]) if source == "population" else {y for y in set(t["year"]) if y - 1 in set(t["year"])}
        miss = panel[panel["year"].isin(years) & lacking_pop]
        if len(miss):
            year = int(miss["year"].min())
            lacking = sorted({names.get(c) or c for c in miss.loc[miss["year"] == year, "la_code"]})
            files = t.loc[t["year"] == year, "file"] if "file" in t else pd.Series(dtype=str)
            where = files.iloc[-1] if len(files) else source
            raise UserError(
                where,
                f"no 0-17 population for {len(lacking)} authorities of the footprint in {year - 1}-{year % 100:02d}: "
                + ", ".join(lacking[:8])
                + (" ..." if len(lacking) > 8 else ""),
                "population-coverage",
            )
