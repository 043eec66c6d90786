"""The boundary and code changes of English upper-tier authorities, as one table, and the steps that put
every row of the panel onto one footprint.

Each row of :data:`CHANGES` says how the values published under its ``old`` and ``new`` codes meet on a
footprint: ``recode`` (the same area under another code), ``sum`` (several authorities added into one) or
``share`` (one authority's counts split between its successors by their 0-17 population). ``year`` is the
April in which the change took effect. A footprint keeps the authorities of a year: ``"2018"`` those of
2017-18 (from April 2017), ``"latest"`` today's. On a footprint that begins after a change the row maps the
old codes onto the new ones; on one that begins before it (the 2018 footprint and a change of April 2018
or later) the new codes are mapped back onto the old. A change older than every footprint is applied to
every table as it is read. Every code mapping below is derived from the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from cscbook.harmonise import finance

HOWS = ("recode", "sum", "share")
#: The April from which each footprint's authorities are those it keeps.
FOOTPRINT_START = {"2018": 2017, "latest": math.inf}
BOTH = ("2018", "latest")
#: The flag a cell gets when a change moved it onto the footprint.
FLAG_OF = {"sum": "aggregated", "share": "apportioned", "recode": "derived"}


@dataclass(frozen=True)
class Change:
    """One boundary or code change: old code(s), new code(s), how they meet, when, where, and its rule."""

    rule: str
    year: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    how: str
    footprints: tuple[str, ...] = BOTH

    def __post_init__(self):
        if self.how not in HOWS or not set(self.footprints) <= set(FOOTPRINT_START) or not self.rule.startswith("G-"):
            raise ValueError(f"bad change {self}")
        if self.before_every_footprint() and self.how != "recode":  # only recodes are applied as tables are read
            raise ValueError(f"{self.rule}: a {self.how} older than every footprint cannot be applied")
        for fp in self.footprints:
            source, target = self.sides(fp)
            ok = {
                "recode": len(source) == len(target) == 1,
                "sum": len(source) >= 1 and len(target) == 1,
                "share": len(source) == 1 and len(target) >= 2 and self.forward(fp),  # no split back in time
            }[self.how]
            if not ok:
                raise ValueError(f"{self.rule}: {self.how} cannot map {source} onto {target} on footprint {fp}")

    def before_every_footprint(self) -> bool:
        """True for a change older than every footprint (applied to every table as it is read)."""
        return self.year <= min(FOOTPRINT_START.values())

    def forward(self, footprint: str) -> bool:
        """True when the footprint begins after the change (old codes are mapped onto new ones)."""
        return self.year <= FOOTPRINT_START[footprint]

    def sides(self, footprint: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(codes moved, codes they land on) on the footprint."""
        return (self.old, self.new) if self.forward(footprint) else (self.new, self.old)


CHANGES: tuple[Change, ...] = (
    Change("G-RECODE-2013", 2013, ("E06000048",), ("E06000057",), "recode"),
    Change("G-RECODE-2013", 2013, ("E08000020",), ("E08000037",), "recode"),
    # the 2018 footprint ends in 2018-19: BCP and Dorset cannot be split back into the 2018 authorities
    Change("G-BCP-2019", 2019, ("E06000028", "E06000029"), ("E06000058",), "sum", ("latest",)),
    Change("G-BCP-2019", 2019, ("E10000009",), ("E06000059",), "recode", ("latest",)),
    Change("G-BUCKS-2020", 2020, ("E10000002",), ("E06000060",), "recode"),
    Change("G-NORTHANTS-2021", 2021, ("E10000021",), ("E06000061", "E06000062"), "sum", ("2018",)),
    Change("G-NORTHANTS-2021", 2021, ("E10000021",), ("E06000061", "E06000062"), "share", ("latest",)),
    Change("G-2023", 2023, ("E10000006",), ("E06000063", "E06000064"), "sum", ("2018",)),
    Change("G-2023", 2023, ("E10000006",), ("E06000063", "E06000064"), "share", ("latest",)),
    Change("G-2023", 2023, ("E10000023",), ("E06000065",), "recode"),
    Change("G-2023", 2023, ("E10000027",), ("E06000066",), "recode"),
    Change("G-RECODE-2025", 2025, ("E08000016",), ("E08000038",), "recode"),
    Change("G-RECODE-2025", 2025, ("E08000019",), ("E08000039",), "recode"),
)


#: The districts (2019 codes) that make each authority formed by a split, for figures published by district
#: (the Indices of Deprivation): North and West Northamptonshire (G-NORTHANTS-2021), Cumberland and Westmorland
#: and Furness (G-2023).
DISTRICTS_OF: dict[str, tuple[str, ...]] = {
    "E06000061": (
        "E07000150",
        "E07000152",
        "E07000153",
        "E07000156",
    ),  # Corby, East Northants, Kettering, Wellingborough
    "E06000062": ("E07000151", "E07000154", "E07000155"),  # Daventry, Northampton, South Northamptonshire
    "E06000063": ("E07000026", "E07000028", "E07000029"),  # Allerdale, Carlisle, Copeland
    "E06000064": ("E07000027", "E07000030", "E07000031"),  # Barrow-in-Furness, Eden, South Lakeland
}


#: Recodes whose area changed too: the new authority is not quite the old one (Dorset's county gave Christchurch to
#: Bournemouth, Christchurch and Poole in April 2019). Every other recode keeps its area (North Yorkshire, Somerset).
RECODES_WITH_NEW_AREA = frozenset({"E10000009", "E06000059"})

#: The districts of 2019 (IoD2019's codes) abolished since, with the authority of today that took them: those of a
#: county split in two (:data:`DISTRICTS_OF`), and those of a county that became one unitary authority.
FORMER_DISTRICTS: dict[str, str] = {
    **{d: la for la, ds in DISTRICTS_OF.items() for d in ds},
    **dict.fromkeys(("E07000004", "E07000005", "E07000006", "E07000007"), "E06000060"),  # Buckinghamshire, 2020
    **dict.fromkeys(("E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168", "E07000169"),
                    "E06000065"),  # North Yorkshire, 2023
    **dict.fromkeys(("E07000187", "E07000188", "E07000189", "E07000246"), "E06000066"),  # Somerset, 2023
}  # fmt: skip


class Move(NamedTuple):
    """One code's values moved onto one code of the footprint."""

    source: str
    target: str
    how: str
    rule: str


def moves(footprint: str) -> list[Move]:
    """The moves that put rows onto the footprint, in table order (changes older than every footprint
    are applied as tables are read: see :func:`recode_before`)."""
    out = []
    for c in CHANGES:
        if footprint in c.footprints and not c.before_every_footprint():
            source, target = c.sides(footprint)
            out += [Move(s, t, c.how, c.rule) for s in source for t in target]
    return out


def recode_before() -> dict[str, str]:
    """Code changes older than every footprint (old files carry the old codes): old -> new."""
    return {o: n for c in CHANGES if c.before_every_footprint() and c.how == "recode" for o, n in zip(c.old, c.new)}


def same_area_recodes(footprint: str) -> dict[str, str]:
    """The footprint's recodes (same area, other code): code moved -> code kept."""
    return {m.source: m.target for m in moves(footprint) if m.how == "recode"}


def to_2018() -> dict[str, tuple[str, str]]:
    """Successor code -> (2018 code, how)."""
    return {m.source: (m.target, m.how) for m in moves("2018")}


def to_latest() -> dict[str, list[tuple[str, str]]]:
    """Old code -> [(new code, how)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in moves("latest"):
        out.setdefault(m.source, []).append((m.target, m.how))
    return out


def rule_of() -> dict[str, str]:
    """Every code a footprint step moves or lands on -> the rule of its change."""
    return {code: c.rule for c in CHANGES if not c.before_every_footprint() for code in c.old + c.new}


def split_rule() -> dict[str, str]:
    """Successors of a split -> its rule (a joint row of theirs is shared under that rule)."""
    return {n: c.rule for c in CHANGES if c.how == "share" for n in c.new}


def on_2018():
    """A function giving any code's code on the 2018 footprint."""
    back = to_2018()
    return lambda c: back.get(c, (c,))[0]


# public, fixed at import, for readers of the code tables; the steps below derive theirs from CHANGES
RECODE = recode_before()
TO_2018 = to_2018()
TO_LATEST = to_latest()
RULE_OF = rule_of()


def la(t: pd.DataFrame) -> pd.DataFrame:
    """The authority rows of a long table."""
    return t[t["level"] == "la"] if len(t) else t


def one_code_per_authority(T: dict[str, pd.DataFrame], geography: str):
    """The tables with one code per authority, and the code tables: old (3-digit) to new codes, names, regions."""
    cin = T["cin"]
    coded = pd.concat(
        [
            t[["la_code", "old_la_code", "la_name"] + (["region"] if "region" in t else [])]
            for t in (cin, T["cla"], T.get("population", cin))
            if len(t)
        ]
    )
    coded = coded[coded["la_code"].notna()]
    coded["la_code"] = coded["la_code"].replace(recode_before())
    old_to_new = (
        coded.dropna(subset=["old_la_code"])
        .drop_duplicates("old_la_code", keep="last")
        .set_index("old_la_code")["la_code"]
        .to_dict()
    )
    names = coded.drop_duplicates("la_code", keep="last").set_index("la_code")["la_name"].to_dict()
    regions = (
        coded.dropna(subset=["region"]).drop_duplicates("la_code", keep="last").set_index("la_code")["region"].to_dict()
        if "region" in coded
        else {}
    )
    # same-footprint code changes are applied before sources are compared, so one authority has one code
    recode = {**recode_before(), **same_area_recodes(geography)}
    if "finance" in T:  # MHCLG's codes carried to ONS codes first (F-CODES)
        T = {**T, "finance": finance.with_codes(T["finance"], recode)}
    for name in ("cin", "cla", "population", "population_nomis", "workforce", "lait"):
        if name in T and len(T[name]):  # SFR files before 2012-13 and LAIT carry 3-digit codes only
            t = T[name].copy()
            if "la_code" not in t:
                t["la_code"] = pd.Series(pd.NA, index=t.index, dtype="object")
            t["la_code"] = t["la_code"].fillna(t["old_la_code"].map(old_to_new)).replace(recode)
            T = {**T, name: t}
    return T, old_to_new, names, regions


def onto_footprint(long: pd.DataFrame, T: dict[str, pd.DataFrame], geography: str, flags: list):
    """The long table on the footprint, the footprint's authorities and its last year."""
    return footprint_2018(long, T, flags) if geography == "2018" else footprint_latest(long, flags)


def footprint_2018(long: pd.DataFrame, T: dict[str, pd.DataFrame], flags: list):
    """The 152 authorities of 2017-18: successors' rows mapped back (summed or recoded, each flagged)."""
    back = {m.source: m for m in moves("2018")}
    lc, ll = la(T["cin"]), la(T["cla"])
    base = set(lc[lc["year"] == 2018]["la_code"].dropna()) | set(ll[ll["year"] == 2018]["la_code"].dropna())
    base = {back[c].target if c in back else c for c in base}  # later releases show 2017-18 under successor codes
    long["how"] = long["la_code"].map(lambda c: back[c].how if c in back else "keep")
    moved = long[long["how"] != "keep"]
    for (code, _how), g in moved.groupby(["la_code", "how"]):
        m = back[code]
        for y in g["year"].unique():
            flags.append((m.target, int(y), "*", FLAG_OF[m.how], m.rule))
    long["la_code"] = long["la_code"].map(lambda c: back[c].target if c in back else c)
    return long, base, 2019  # BCP and Dorset (April 2019) cannot be split back into the 2018 authorities


def footprint_latest(long: pd.DataFrame, flags: list):
    """Today's authorities: predecessors' rows summed, shared by population (apportioned) or recoded."""
    forward: dict[str, list[Move]] = {}
    for m in moves("latest"):
        forward.setdefault(m.source, []).append(m)
    present = set(long["la_code"])  # a successor whose predecessors are all absent is not on the footprint
    base = (present - set(forward)) | {m.target for old, ms in forward.items() if old in present for m in ms}
    share = shares(long)
    rows = []
    for old, targets in forward.items():
        g = long[long["la_code"] == old]
        if not len(g):
            continue
        for m in targets:
            w = share.get(m.target, 1 / len(targets)) if m.how == "share" else 1.0
            gg = g.assign(la_code=m.target)
            rate = gg["measure"].isin(["sw_vacancy_rate", "deflator"])
            gg.loc[~rate, "value"] = gg.loc[~rate, "value"] * w
            rows.append(gg)
            for y in g["year"].unique():
                flags.append((m.target, int(y), "*", FLAG_OF[m.how], m.rule))
    long = pd.concat([long[~long["la_code"].isin(forward)]] + rows, ignore_index=True)
    # Y-END: the panel ends in the last year an authority measure other than the workforce reaches
    return long, base, int(long.loc[long["measure"] != "sw_vacancy_rate", "year"].max())


def shares(long: pd.DataFrame) -> dict[str, float]:
    """Successors' share of their predecessor's 0-17 population, first year both successors are published."""
    out = {}
    pop = long[long["measure"] == "pop_0_17"]
    for _old, targets in to_latest().items():
        codes = [n for n, h in targets if h == "share"]
        if not codes:
            continue
        p = pop[pop["la_code"].isin(codes)].pivot_table(index="year", columns="la_code", values="value").dropna()
        if len(p) and len(p.columns) == len(codes):
            row = p.iloc[0]
            out.update((row / row.sum()).to_dict())
    return out


def on_grid(long: pd.DataFrame, base: set, last_year: int, flags: list) -> tuple[pd.DataFrame, list[int]]:
    """The long table as one row per authority of the footprint and year from 2010-11 (G-OUTSIDE for the rest)."""
    outside = long[~long["la_code"].isin(base)]
    for code, g in outside.groupby("la_code"):
        flags.append((code, int(g["year"].min()), "*", "missing", "G-OUTSIDE"))
    long = long[long["la_code"].isin(base)]
    rate_m = {"sw_vacancy_rate"}  # rates of apportioned authorities are identical values: mean, not sum
    agg = long.groupby(["la_code", "year", "measure"])["value"].agg(
        lambda v: v.mean() if v.name in rate_m else v.sum(min_count=1)
    )
    panel = agg.unstack("measure").reset_index()
    years = list(range(2011, last_year + 1))
    grid = pd.MultiIndex.from_product([sorted(base), years], names=["la_code", "year"]).to_frame(index=False)
    return grid.merge(panel, on=["la_code", "year"], how="left"), years


def carry_names(names: dict, regions: dict) -> tuple[dict, dict]:
    """A recoded authority keeps its name (and region) from its old code when no source names the new one."""
    for old, targets in to_latest().items():
        for new, how in targets:
            if how == "recode":
                names.setdefault(new, names.get(old))
                regions.setdefault(new, regions.get(old))
    return names, regions
