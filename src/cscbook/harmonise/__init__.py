"""Harmonise the ingested official tables into one LA-year panel on one stated footprint.

Every boundary change has one rule (``RULES``); each rule's id is the ``rule`` of the flags it causes.
Year = year ending 31 March (2018 = 2017-18). Rates are never stored.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.errors import UserError
from cscbook.harmonise import boundaries
from cscbook.harmonise.boundaries import RECODE, RULE_OF, TO_2018, TO_LATEST
from cscbook.harmonise.boundaries import la as _la
from cscbook.ingest import IngestResult

__all__ = ["harmonise", "RULES", "RECODE", "RULE_OF", "TO_2018", "TO_LATEST"]

RULES: dict[str, str] = {
    "G-BCP-2019": "Bournemouth (E06000028), Poole (E06000029) and Dorset county (E10000009) became BCP (E06000058) and Dorset (E06000059) in April 2019. 2018 footprint: the old three are kept and the panel ends in 2018-19; latest footprint: Bournemouth+Poole -> BCP, Dorset county -> Dorset (Christchurch moved from Dorset to BCP; not adjusted).",
    "G-BUCKS-2020": "Buckinghamshire E10000002 -> E06000060 in April 2020, same footprint: recoded.",
    "G-NORTHANTS-2021": "Northamptonshire E10000021 split into North (E06000061) and West (E06000062) Northamptonshire in April 2021. 2018 footprint: the two are summed; latest: Northamptonshire counts are apportioned by the successors' 0-17 population shares. The joint children's trust rows in the workforce census are split with each member taking the joint rate.",
    "G-2023": "Cumbria (E10000006) -> Cumberland (E06000063) + Westmorland and Furness (E06000064); North Yorkshire E10000023 -> E06000065 and Somerset E10000027 -> E06000066 (same footprints, recoded), April 2023. 2018 footprint: Cumbria's successors summed; latest: Cumbria apportioned by population share.",
    "G-RECODE-2025": "Barnsley and Sheffield codes reissued (E08000038 -> E08000016, E08000039 -> E08000019).",
    "G-RECODE-2013": "Northumberland E06000048 -> E06000057 and Gateshead E08000020 -> E08000037 (2013 code changes, same boundaries).",
    "G-NAMES": "Ofsted 2023 gives names only; names are matched to codes after removing case, punctuation and 'City of'/'County of', with the published differences (Bedford Borough, Bristol, Durham, Herefordshire, Kingston Upon Hull, Richmond Upon Thames, St Helens) mapped explicitly.",
    "G-OLDCODE": "3-digit DfE codes (s251, LAIT) are mapped to 9-character ONS codes through the code pairs published in the CIN, CLA and EES files.",
    "G-OUTSIDE": "A row for an authority outside the chosen footprint that no rule maps is left out and flagged.",
    "W-LAIT": "Vacancy rates for census years the workforce files do not cover (September 2016) come from DfE's LAIT table, which carries the same measure (identical where both exist), matched by Y-CSWW.",
    "Y-CSWW": "Workforce census at 30 September Y is matched to the year ending 31 March Y+1 (Sept 2017 census -> 2017-18).",
    "Y-POP": "Population: the mid-year estimate for the June inside the year (mid-2017 for 2017-18), from the earliest DfE release that has it (the denominator of the rates DfE published); where no release has it, pop = cin_31mar * 10000 / published CIN rate (DfE's own denominator).",
    "S-CIN": "Children in need: EES from 2012-13 (latest release), SFR before; an EES gap is filled from the SFR of the same year.",
    "S-CLA": "Children looked after: SFR to 2016-17, EES from 2017-18; cla_16plus from SFR only.",
    "S-S251": "Section 251 gross expenditure by category as in ingest.s251 (sub-totals, never double-counted); financial year ending 31 March.",
    "S-IOD": "IoD2015 for years to 2018-19, IoD2019 from 2019-20 (average scores).",
    "S-OFSTED": "Ofsted: the latest graded judgement (SLAC, CPI, SIF or ILACS) published on or before 31 March of the year.",
    "S-NOSOURCE": "No source in the folder provides this column: all missing.",
    "S-MISSING": "The published cell is missing (the publisher's symbol is in the ingest flags) or the authority has no row.",
}

OFSTED_NAMES = {
    "bedford borough": "bedford",
    "bristol": "bristol",
    "durham": "county durham",
    "herefordshire": "herefordshire",
    "kingston upon hull": "kingston upon hull",
    "richmond upon thames": "richmond upon thames",
    "st helens": "st helens",
}
CIN_MEASURES = ["referrals", "s47_enquiries", "icpcs", "cpp_31mar", "cin_31mar", "cin_episodes"]
SOURCES = [
    (
        "Department for Education",
        "Characteristics of children in need (SFR underlying data 2009-10 to 2016-17; EES releases)",
    ),
    (
        "Department for Education",
        "Children looked after in England including adoptions (SFR underlying data; EES releases)",
    ),
    ("Department for Education", "Section 251 outturn, Table A1 (LA and school expenditure)"),
    ("Department for Education", "Children's social work workforce (EES)"),
    ("Office for National Statistics", "Mid-year population estimates (DfE format; Nomis)"),
    (
        "Ministry of Housing, Communities and Local Government",
        "English Indices of Deprivation 2015 and 2019, upper-tier summaries",
    ),
    ("Ofsted", "Children's social care data in England 2023; LA inspection outcomes as at 31 March 2025"),
    ("HM Treasury", "GDP deflators at market prices"),
    ("Department for Education", "Local Authority Interactive Tool (cross-check only)"),
]


def _norm(name: str) -> str:
    s = str(name).lower().replace("&", "and").replace(".", "").replace(",", "")
    return " ".join(re.sub(r"\b(city|county) of\b", " ", s).split())


def _pick(t: pd.DataFrame, measure: str, vintage_order: str = "latest") -> pd.DataFrame:
    """One value per (la_code, year) for ``measure``: the latest (or earliest) vintage that has a number."""
    if not len(t):
        return pd.DataFrame(columns=["la_code", "year", "value", "vintage"])
    d = t[(t["measure"] == measure) & t["la_code"].notna()].copy()
    d["_v"] = d["vintage"].str.extract(r"(\d{4})", expand=False).astype(float)
    d = d.sort_values(["la_code", "year", "_v"], ascending=[True, True, vintage_order == "earliest"])
    with_value = d[d["value"].notna()].drop_duplicates(["la_code", "year"])
    rest = d.drop_duplicates(["la_code", "year"])
    return pd.concat([with_value, rest]).drop_duplicates(["la_code", "year"])[
        ["la_code", "year", "value", "vintage", "file"]
    ]


def harmonise(result: IngestResult, geography: str = "2018") -> contract.Prepared:
    """One LA-year panel on the 2018 footprint (152 authorities of 2017-18) or the latest one."""
    if geography not in ("2018", "latest"):
        raise UserError("geography", f"unknown geography {geography!r}; use '2018' or 'latest'", "geography")
    _require_cin_and_cla(result)
    flags: list[tuple] = []  # (la_code, year, column, flag, rule), in the order the steps find them
    tables, old_to_new, names, regions = boundaries.one_code_per_authority(result.tables, geography)
    long, overlap = _long_table(tables, old_to_new, flags)
    long, base, last_year = boundaries.onto_footprint(long, tables, geography, flags)
    panel, years = boundaries.on_grid(long, base, last_year, flags)
    panel = _back_derive_population(panel, tables["cin"], geography, flags)
    panel, meta_defl = _context(panel, tables, names, flags)
    panel = _names_and_regions(panel, names, regions, flags)
    _flag_missing_cells(panel, flags)
    fl = pd.DataFrame(flags, columns=contract.FLAG_COLUMNS).drop_duplicates()
    fl["year"] = fl["year"].astype("int64")
    meta = _meta(result, geography, years, meta_defl, panel, fl)
    prep = contract.Prepared(panel=panel, flags=fl, meta=meta, england=_england(result, years))
    overlap_df = pd.concat(overlap, ignore_index=True)
    prep.extra["sfr_ees_overlap"] = overlap_df[overlap_df["value_sfr"].notna() | overlap_df["value_ees"].notna()]
    nb = result.tables.get("neighbours")
    if nb is not None and len(nb):
        known = set(panel["la_code"])
        nb = nb[nb["la_code"].isin(known) & nb["neighbour"].isin(known)]
        prep.extra["neighbours"] = nb[["la_code", "rank", "neighbour"]].drop_duplicates(["la_code", "rank"])
    return prep


def _require_cin_and_cla(result: IngestResult) -> None:
    """A panel needs both children-in-need and looked-after files; say which is missing and what was not read."""
    cin, cla = result.tables.get("cin", pd.DataFrame()), result.tables.get("cla", pd.DataFrame())
    if len(cin) and len(cla):
        return
    inv = result.inventory
    unrec = inv[inv["status"] == "unrecognised"] if len(inv) else inv
    why = "; ".join(f"{r.path}: {r.note}" for r in unrec.itertuples())
    have = "children-in-need" if len(cin) else "looked-after" if len(cla) else "neither"
    raise UserError(
        result.folder or "ingest",
        f"a panel needs both children-in-need and looked-after files; found {have}"
        + (f" (unrecognised: {why})" if why else ""),
        "missing-source",
    )


def _long_table(T: dict[str, pd.DataFrame], old_to_new: dict, flags: list) -> tuple[pd.DataFrame, list]:
    """Every numeric panel input as (la_code, year, value, measure), one source picked per cell, and the
    children-in-need overlap of the SFR and EES layouts."""
    parts, overlap = _cin_parts(T["cin"], flags)
    parts += _cla_parts(T["cla"])
    pop = _pick(_la(T.get("population", pd.DataFrame())), "pop_0_17", "earliest")
    parts.append(pop[["la_code", "year", "value"]].assign(measure="pop_0_17"))
    parts += _s251_parts(T.get("s251", pd.DataFrame()), old_to_new, flags)
    parts += _vacancy_parts(T.get("workforce", pd.DataFrame()), T.get("lait", pd.DataFrame()), old_to_new, flags)
    return pd.concat(parts, ignore_index=True), overlap


def _cin_parts(cin: pd.DataFrame, flags: list) -> tuple[list, list]:
    """Children in need: EES from 2012-13, its gaps filled from the SFR (S-CIN), the SFR before."""
    parts, overlap = [], []
    ees_cin, sfr_cin = _la(cin[cin["vintage"].str.startswith("EES")]), _la(cin[cin["vintage"].str.startswith("SFR")])
    for m in CIN_MEASURES:
        e, s = _pick(ees_cin, m), _pick(sfr_cin, m)
        e = e[e["year"] >= 2013]
        both = e.merge(s, on=["la_code", "year"], suffixes=("_ees", "_sfr"))
        overlap.append(both.assign(measure=m)[["la_code", "year", "measure", "value_sfr", "value_ees"]])
        fill = both[both["value_ees"].isna() & both["value_sfr"].notna()]
        for r in fill.itertuples():
            flags.append((r.la_code, r.year, m, "imputed", "S-CIN"))
        e = e.merge(fill[["la_code", "year", "value_sfr"]], on=["la_code", "year"], how="left")
        e["value"] = e["value"].fillna(e["value_sfr"])
        keep_s = s[~s.set_index(["la_code", "year"]).index.isin(e.set_index(["la_code", "year"]).index)]
        parts.append(
            pd.concat([e[["la_code", "year", "value"]], keep_s[["la_code", "year", "value"]]]).assign(measure=m)
        )
    return parts, overlap


def _cla_parts(cla: pd.DataFrame) -> list:
    """Looked-after children: the SFR where it exists, EES for the years after it."""
    parts = []
    cla_la = _la(cla)
    for m in ("cla_31mar", "cla_16plus"):
        s = _pick(cla_la[cla_la["vintage"].str.startswith("SFR")], m)
        e = _pick(cla_la[cla_la["vintage"].str.startswith("EES")], m)
        e = e[e["year"] > s["year"].max()] if len(s) else e
        parts.append(pd.concat([s, e])[["la_code", "year", "value"]].assign(measure=m))
    return parts


def _s251_parts(s251: pd.DataFrame, old_to_new: dict, flags: list) -> list:
    """Section 251 spending, on 3-digit codes mapped to ONS codes (an unmapped code is flagged, G-OLDCODE)."""
    if not len(s251):
        return []
    s = s251.copy()
    s["la_code"] = s["la_code"].fillna(s["old_la_code"].map(old_to_new))
    for r in s[s["la_code"].isna()].drop_duplicates("old_la_code").itertuples():
        flags.append((f"old:{r.old_la_code}", r.year, "spend_*", "missing", "G-OLDCODE"))
    s = s[s["la_code"].notna()]
    return [
        s.sort_values("vintage").drop_duplicates(["la_code", "year", "measure"], keep="last")[
            ["la_code", "year", "value", "measure"]
        ]
    ]


def _vacancy_parts(wf: pd.DataFrame, lait: pd.DataFrame, old_to_new: dict, flags: list) -> list:
    """Social-worker vacancy rates from the workforce census (Y-CSWW: September's census is the next
    March's year), and from LAIT for the census before the workforce files begin (W-LAIT)."""
    if not len(wf):
        return []
    v = _pick(_la(wf), "sw_vacancy_rate")
    v["year"] = v["year"] + 1  # Y-CSWW
    parts = [v[["la_code", "year", "value"]].assign(measure="sw_vacancy_rate")]
    ap = wf[wf.get("apportioned", False) == True]  # noqa: E712
    for r in ap[ap["measure"] == "sw_vacancy_rate"].itertuples():
        rule = boundaries.split_rule().get(r.la_code, "csww-joint-row")
        flags.append((r.la_code, r.year + 1, "sw_vacancy_rate", "apportioned", rule))
    lait = _la(lait)
    if not len(lait):
        return parts
    lv = lait[lait["measure"] == "sw_vacancy_rate"].copy()
    lv["la_code"] = lv["la_code"].fillna(lv["old_la_code"].map(old_to_new))
    lv = _pick(lv, "sw_vacancy_rate")
    lv["year"] = lv["year"] + 1  # Y-CSWW
    have = set(zip(v["la_code"], v["year"]))
    new = np.array([(c, y) not in have for c, y in zip(lv["la_code"], lv["year"])], dtype=bool)
    before = (lv["year"] < v["year"].min()).to_numpy() if len(v) else True
    lv = lv[new & before & lv["value"].notna().to_numpy()]
    parts.append(lv[["la_code", "year", "value"]].assign(measure="sw_vacancy_rate"))
    for r in lv.itertuples():
        flags.append((r.la_code, int(r.year), "sw_vacancy_rate", "derived", "W-LAIT"))
    return parts


def _back_derive_population(panel: pd.DataFrame, cin: pd.DataFrame, geography: str, flags: list) -> pd.DataFrame:
    """Y-POP: where no population estimate is read, the children-in-need count over its published rate."""
    rate = _pick(_la(cin), "cin_rate")
    cnt = _pick(_la(cin), "cin_31mar")
    rc = cnt.merge(rate, on=["la_code", "year"], suffixes=("_n", "_r"))
    rc["pop"] = rc["value_n"] * 10000 / rc["value_r"]
    rc["la_code"] = rc["la_code"].map(boundaries.la_code_of(geography)) if geography == "2018" else rc["la_code"]
    panel = panel.merge(
        rc[["la_code", "year", "pop"]].drop_duplicates(["la_code", "year"]), on=["la_code", "year"], how="left"
    )
    if "pop_0_17" not in panel:
        panel["pop_0_17"] = np.nan
    need = panel["pop_0_17"].isna() & panel["pop"].notna() & np.isfinite(panel["pop"])
    for r in panel[need].itertuples():
        flags.append((r.la_code, r.year, "pop_0_17", "derived", "Y-POP"))
    panel.loc[need, "pop_0_17"] = panel.loc[need, "pop"].round()
    return panel.drop(columns="pop")


def _context(panel: pd.DataFrame, T: dict[str, pd.DataFrame], names: dict, flags: list):
    """The deflator (2017-18 = 1), deprivation scores (IoD 2015 to 2018-19, IoD 2019 after) and Ofsted."""
    defl = T.get("deflator", pd.DataFrame())
    meta_defl = None
    if len(defl):
        d = defl.set_index("year")["value"]
        if 2018 in d.index:
            panel["deflator"] = panel["year"].map(d / d[2018])
            meta_defl = "HMT GDP deflator, 2017-18 = 1"
    iod = T.get("iod", pd.DataFrame())
    if len(iod):
        for m in ("idaci_score", "imd_score"):
            e = iod[iod["measure"] == m]
            i15 = e[e["year"] == 2015].set_index("la_code")["value"]
            i19 = e[e["year"] == 2019].set_index("la_code")["value"]
            panel[m] = np.where(panel["year"] <= 2019, panel["la_code"].map(i15), panel["la_code"].map(i19))
    return _ofsted(panel, T.get("ofsted", pd.DataFrame()), names, flags), meta_defl


def _names_and_regions(panel: pd.DataFrame, names: dict, regions: dict, flags: list) -> pd.DataFrame:
    """Names and canonical regions, every contract column (S-NOSOURCE where no source has it), in order."""
    names, regions = boundaries.carry_names(names, regions)
    panel["la_name"] = panel["la_code"].map(names)
    # publishers differ in case ("The Humber") and some split London into Inner and Outer London
    canonical = {r.lower(): r for r in contract.REGIONS} | {"inner london": "London", "outer london": "London"}
    panel["region"] = panel["la_code"].map(regions).map(lambda r: canonical.get(str(r).strip().lower(), r))
    for c in contract.COLUMNS:
        if c not in panel.columns:
            panel[c] = np.nan if c in contract.NUMERIC else None
            flags.append(("*", 0, c, "missing", "S-NOSOURCE"))
    return contract.order_panel(panel)


def _flag_missing_cells(panel: pd.DataFrame, flags: list) -> None:
    """S-MISSING for every empty cell of a measure that no earlier rule has explained."""
    present = {(f[0], f[1], f[2]) for f in flags}
    for c in contract.COUNTS + contract.SPEND + ["sw_vacancy_rate", "idaci_score", "ofsted_overall"]:
        miss = panel[panel[c].isna()]
        for la, y in zip(miss["la_code"], miss["year"]):
            if (la, y, c) not in present and ("*", 0, c) not in present:
                flags.append((la, int(y), c, "missing", "S-MISSING"))


def _meta(result: IngestResult, geography: str, years: list[int], deflator, panel, fl) -> dict:
    """The prepared folder's meta.json: geography, years, rules, sources and every input file's hash."""
    return {
        "source": "official",
        "geography": geography,
        "years": [years[0], years[-1]],
        "deflator": deflator,
        "rules": RULES,
        "sources": [{"publisher": p, "title": t, "licence": "Open Government Licence v3.0"} for p, t in SOURCES],
        "inputs": {
            r.path: {"sha256": r.sha256, "rows": int(r.rows), "source": r.source, "vintage": r.vintage}
            for r in result.inventory.itertuples()
        },
        "rows": {"panel": int(len(panel)), "flags": int(len(fl))},
    }


def _ofsted(panel: pd.DataFrame, of: pd.DataFrame, names: dict[str, str], flags: list) -> pd.DataFrame:
    """Latest graded judgement published on or before 31 March of each year (S-OFSTED, G-NAMES)."""
    if not len(of):
        return panel
    by_name = {}
    for code, nm in names.items():
        by_name.setdefault(_norm(nm), code)
    of = of.copy()
    key = of["la_name"].map(lambda n: OFSTED_NAMES.get(_norm(n), _norm(n)))
    of["la_code"] = of["la_code"].where(of["la_code"].notna() & (of["la_code"] != ""), key.map(by_name))
    of["la_code"] = of["la_code"].replace(boundaries.same_area_recodes("2018"))
    for nm in of.loc[of["la_code"].isna(), "la_name"].unique():
        flags.append((f"name:{nm}", 0, "ofsted_overall", "missing", "G-NAMES"))
    of = of.dropna(subset=["la_code"]).sort_values("date")
    of["la_code"] = of["la_code"].astype(str)
    of["date"] = pd.to_datetime(of["date"]).astype("datetime64[ns]")
    p = panel[["la_code", "year"]].copy()
    p["la_code"] = p["la_code"].astype(str)
    p["_cut"] = pd.to_datetime(p["year"].astype(str) + "-03-31").astype("datetime64[ns]")
    p = p.sort_values("_cut")
    m = pd.merge_asof(
        p,
        of[["la_code", "date", "framework", "judgement"]]
        .rename(columns={"date": "_cut2"})
        .assign(_cut=lambda d: d["_cut2"]),
        on="_cut",
        by="la_code",
        direction="backward",
    )
    m["ofsted_overall"] = m["judgement"]
    m["ofsted_framework"] = m["framework"]
    m["ofsted_date"] = m["_cut2"].dt.strftime("%Y-%m-%d")
    return panel.merge(
        m[["la_code", "year", "ofsted_overall", "ofsted_framework", "ofsted_date"]], on=["la_code", "year"], how="left"
    )


def _england(result: IngestResult, years: list[int]) -> pd.DataFrame:
    """England rows as published, from the same sources the panel prefers (year x count columns)."""
    T = result.tables
    cols = {}
    cin = T.get("cin", pd.DataFrame())
    eng = cin[cin["level"] == "england"] if len(cin) else cin
    for m in CIN_MEASURES:
        e = eng[(eng["measure"] == m)]
        e_ees = (
            e[e["vintage"].str.startswith("EES") & (e["year"] >= 2013)]
            .sort_values("vintage")
            .drop_duplicates("year", keep="last")
        )
        e_sfr = e[e["vintage"].str.startswith("SFR") & ~e["year"].isin(e_ees["year"])]
        cols[m] = pd.concat([e_ees, e_sfr]).set_index("year")["value"]
    cla = T.get("cla", pd.DataFrame())
    c = cla[(cla["level"] == "england")] if len(cla) else cla
    for m in ("cla_31mar", "cla_16plus"):
        cm = c[c["measure"] == m]
        s = cm[cm["vintage"].str.startswith("SFR")]
        e = (
            cm[cm["vintage"].str.startswith("EES") & ~cm["year"].isin(s["year"])]
            .sort_values("vintage")
            .drop_duplicates("year", keep="last")
        )
        cols[m] = pd.concat([s, e]).set_index("year")["value"]
    pop = T.get("population", pd.DataFrame())
    if len(pop):
        p = pop[(pop["level"] == "england")].sort_values("vintage").drop_duplicates("year", keep="first")
        cols["pop_0_17"] = p.set_index("year")["value"]
    df = pd.DataFrame(cols).reindex(years)
    df.index.name = "year"
    return df.reset_index()
