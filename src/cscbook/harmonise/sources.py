"""The source picked for each measure: children in need (S-CIN), looked after (S-CLA), section 251 (S-S251),
social-worker vacancies from the workforce census or LAIT (Y-CSWW, W-LAIT), deprivation (S-IOD), Ofsted
(S-OFSTED, G-NAMES), the deflator, and the England rows as published."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import cscbook.harmonise.boundaries as boundaries
import cscbook.harmonise.deprivation as deprivation
import cscbook.harmonise.finance as finance
import cscbook.harmonise.lait as lait
from cscbook.harmonise.boundaries import la as _la
from cscbook.ingest import IngestResult

OFSTED_NAMES = {
    "bedford borough": "bedford",
    "bristol": "bristol",
    "durham": "county durham",
    "herefordshire": "herefordshire",
    "kingston upon hull": "kingston upon hull",
    "richmond upon thames": "richmond upon thames",
    "st helens": "st helens",
}
#: The looked-after counts the SFR and EES releases give.
CLA_MEASURES = ["cla_31mar", "cla_16plus", "cla_starts", "cla_starts_16plus"]
CIN_MEASURES = ["referrals", "s47_enquiries", "icpcs", "cpp_31mar", "cpp_starts", "cin_31mar", "cin_episodes"]


def _norm(name: str) -> str:
    s = str(name).lower().replace("&", "and").replace(".", "").replace(",", "")
    return " ".join(re.sub(r"\b(city|county) of\b", " ", s).split())


def pick(t: pd.DataFrame, measure: str, vintage_order: str = "latest") -> pd.DataFrame:
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


def long_table(T: dict[str, pd.DataFrame], old_to_new: dict, flags: list) -> tuple[pd.DataFrame, list, dict]:
    """Every numeric panel input as (la_code, year, value, measure), one source picked per cell; the
    children-in-need overlap of the SFR and EES layouts; and which years the primary files and LAIT cover."""
    parts, overlap = _cin_parts(T["cin"], flags)
    parts += _cla_parts(T["cla"], flags)
    pop = pick(_la(T.get("population", pd.DataFrame())), "pop_0_17", "earliest")  # LAIT's rates' denominator
    parts += _s251_parts(T.get("s251", pd.DataFrame()), old_to_new, flags)
    primary = pd.concat(parts, ignore_index=True)
    extra, coverage = lait.lait_parts(T.get("lait", pd.DataFrame()), pop, old_to_new, primary, flags)
    parts += extra
    parts += _vacancy_parts(T.get("workforce", pd.DataFrame()), T.get("lait", pd.DataFrame()), old_to_new, flags)
    parts += finance.panel_parts(T.get("finance", pd.DataFrame()), flags)
    return pd.concat(parts, ignore_index=True), overlap, coverage


#: Symbols of a later release that are its word on the cell (not applicable, low reliability): they win over an
#: earlier release's number. Any other gap (not available, suppressed) takes the latest earlier number (R-EARLIER).
FINAL_SYMBOLS = {"z", "u"}


def release_year(vintage: str) -> int:
    """The year a release came out: 'EES 2025' -> 2025, 'SFR 2016-17' -> 2017, 'SFR 2019' -> 2019."""
    m = re.search(r"(\d{4})-(\d{2})\b", vintage)
    if m:
        return int(m.group(1)) + 1
    years = re.findall(r"\d{4}", vintage)
    return max(int(y) for y in years) if years else 0


def latest_releases(t: pd.DataFrame, measure: str, flags: list) -> pd.DataFrame:
    """One value per (la_code, year) for ``measure``: the latest release that gives the cell wins (R-RELEASE; an
    earlier release's different number is logged with both values); where it gives a symbol of
    :data:`FINAL_SYMBOLS` the cell is missing for that reason; where it gives no number for another reason the
    latest earlier number is used, flagged imputed (R-EARLIER)."""
    d = t[(t["measure"] == measure) & t["la_code"].notna()]
    keys = ["la_code", "year"]
    if not len(d):
        return pd.DataFrame(columns=[*keys, "value"])
    d = d.assign(_r=d["vintage"].map(release_year), _s=d["symbol"].fillna("").str.lower())
    d = d.sort_values([*keys, "_r"], kind="stable")
    last = d.drop_duplicates(keys, keep="last")
    numbers = d[d["value"].notna()].merge(last[[*keys, "_r"]].rename(columns={"_r": "_lr"}), on=keys)
    older = numbers[numbers["_r"] < numbers["_lr"]].drop_duplicates(keys, keep="last")
    m = last.merge(older[[*keys, "value", "vintage"]], on=keys, how="left", suffixes=("", "_old"))
    new, old = m["value"].notna(), m["value_old"].notna()
    final = m["_s"].isin(FINAL_SYMBOLS)
    revised = old & ((new & (m["value"] != m["value_old"])) | (~new & final))
    filled = old & ~new & ~final
    shown = m["value"].map(lambda v: f"{v:,.0f}").where(new, m["_s"].replace("", "blank"))
    was = m["vintage_old"] + ": " + m["value_old"].map(lambda v: f"{v:,.0f}" if v == v else "")
    now = m["vintage"] + ": " + shown
    for code, year, detail in zip(m["la_code"][revised], m["year"][revised], (was + "; " + now)[revised]):
        flags.append((code, int(year), measure, "revised", "R-RELEASE", detail))
    for code, year, detail in zip(m["la_code"][filled], m["year"][filled], (now + "; " + was)[filled]):
        flags.append((code, int(year), measure, "imputed", "R-EARLIER", detail))
    m.loc[filled, "value"] = m.loc[filled, "value_old"]
    return m[[*keys, "value"]]


def _cin_parts(cin: pd.DataFrame, flags: list) -> tuple[list, list]:
    """Children in need: every release of the SFR and EES layouts, the latest winning (R-RELEASE, R-EARLIER)."""
    parts, overlap = [], []
    ees_cin, sfr_cin = _la(cin[cin["vintage"].str.startswith("EES")]), _la(cin[cin["vintage"].str.startswith("SFR")])
    for m in CIN_MEASURES:
        e, s = pick(ees_cin, m), pick(sfr_cin, m)
        both = e[e["year"] >= 2013].merge(s, on=["la_code", "year"], suffixes=("_ees", "_sfr"))
        overlap.append(both.assign(measure=m)[["la_code", "year", "measure", "value_sfr", "value_ees"]])
        parts.append(latest_releases(_la(cin), m, flags).assign(measure=m))
    return parts, overlap


def _cla_parts(cla: pd.DataFrame, flags: list) -> list:
    """Looked-after children: every SFR and EES release, the latest winning (R-RELEASE, R-EARLIER); aged 16 and
    over from the SFR files only, each for its own year."""
    return [latest_releases(_la(cla), m, flags).assign(measure=m) for m in CLA_MEASURES]


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
    v = pick(_la(wf), "sw_vacancy_rate")
    v["year"] = v["year"] + 1  # Y-CSWW
    parts = [v[["la_code", "year", "value"]].assign(measure="sw_vacancy_rate")]
    ap = wf[wf.get("apportioned", False) == True]  # noqa: E712
    split = boundaries.split_rule()  # a joint row of a split's successors is shared under the split's rule
    for r in ap[ap["measure"] == "sw_vacancy_rate"].itertuples():
        flags.append((r.la_code, r.year + 1, "sw_vacancy_rate", "apportioned", split.get(r.la_code, "csww-joint-row")))
    lait = _la(lait)
    if not len(lait):
        return parts
    lv = lait[lait["measure"] == "sw_vacancy_rate"].copy()
    lv["la_code"] = lv["la_code"].fillna(lv["old_la_code"].map(old_to_new))
    lv = pick(lv, "sw_vacancy_rate")
    lv["year"] = lv["year"] + 1  # Y-CSWW
    have = set(zip(v["la_code"], v["year"]))
    new = np.array([(c, y) not in have for c, y in zip(lv["la_code"], lv["year"])], dtype=bool)
    before = (lv["year"] < v["year"].min()).to_numpy() if len(v) else True
    lv = lv[new & before & lv["value"].notna().to_numpy()]
    parts.append(lv[["la_code", "year", "value"]].assign(measure="sw_vacancy_rate"))
    for r in lv.itertuples():
        flags.append((r.la_code, int(r.year), "sw_vacancy_rate", "derived", "W-LAIT"))
    return parts


#: The deflator's base year (year ending 31 March) and its text in the meta, by series (S-DEFLATOR).
DEFLATOR_BASE = {
    "ONS": (2025, "ONS GDP implied deflator (YBGB), financial years, 2024-25 = 1 (2024-25 prices)"),
    "HMT": (2018, "HMT GDP deflator, 2017-18 = 1"),
}


def deflator(panel: pd.DataFrame, defl: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """One index for every year (S-DEFLATOR): the ONS YBGB series where read, else HMT's; rebased to 1 in
    the series' base year. A year the series does not reach stays missing."""
    if not len(defl):
        return panel, None
    ons = defl[defl["vintage"].str.startswith("ONS")]
    series, d = ("ONS", ons) if len(ons) else ("HMT", defl)
    d = d.sort_values("vintage").drop_duplicates("year", keep="last").set_index("year")["value"]
    base, text = DEFLATOR_BASE[series]
    if base not in d.index:
        base = int(d.index.max())
        text = f"{series} GDP deflator, {base - 1}-{base % 100:02d} = 1 ({base - 1}-{base % 100:02d} prices)"
    panel["deflator"] = panel["year"].map(d / d[base])
    return panel, text


def context(panel: pd.DataFrame, T: dict[str, pd.DataFrame], names: dict, geography: str, flags: list):
    """The deflator (S-DEFLATOR), deprivation scores (S-IOD, :mod:`deprivation`) and Ofsted."""
    panel, meta_defl = deflator(panel, T.get("deflator", pd.DataFrame()))
    panel["la_name"] = panel["la_code"].map(names)  # for naming an authority a deprivation file lacks
    panel = deprivation.add_scores(panel, T, geography, flags)
    return _ofsted(panel, T.get("ofsted", pd.DataFrame()), names, geography, flags), meta_defl


def ofsted_codes(of: pd.DataFrame, names: dict[str, str], geography: str) -> pd.Series:
    """The footprint's code for each inspection row: its own code, or for an inspection published with a
    name only, the code of the authority of that name (G-NAMES); a code reissued for the same area is
    recoded to the one the footprint keeps (so that Buckinghamshire's inspections reach E06000060 on the
    latest footprint and E10000002 on the 2018 one)."""
    by_name: dict[str, str] = {}
    for code, nm in names.items():
        by_name.setdefault(_norm(nm), code)
    key = of["la_name"].map(lambda n: OFSTED_NAMES.get(_norm(n), _norm(n)))
    code = of["la_code"].astype("object").where(of["la_code"].notna() & (of["la_code"] != ""), key.map(by_name))
    return code.replace(boundaries.same_area_recodes(geography))


def _ofsted(panel: pd.DataFrame, of: pd.DataFrame, names: dict[str, str], geography: str, flags: list):
    """Latest graded judgement published on or before 31 March of each year (S-OFSTED, G-NAMES)."""
    if not len(of):
        return panel
    of = of.copy()
    of["la_code"] = ofsted_codes(of, names, geography)
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


def _lait_england(lait: pd.DataFrame, measure: str, have: pd.Series | None) -> pd.Series:
    """A published series with LAIT's England row for the years it lacks (L-LAIT-*; counts only)."""
    have = have if have is not None else pd.Series(dtype="float64")
    if not len(lait) or measure not in lait["measure"].values:
        return have
    e = lait[(lait["level"] == "england") & (lait["measure"] == measure) & lait["value"].notna()]
    e = e.drop_duplicates("year", keep="last").set_index("year")["value"]
    return pd.concat([have.dropna(), e[~e.index.isin(have.dropna().index)]]).sort_index()


def latest_release(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per year: the latest release's (a later release revises the years it repeats)."""
    order = rows["vintage"].map(release_year)
    return rows.assign(_v=order).sort_values(["year", "_v"], kind="stable").drop_duplicates("year", keep="last")


def england(result: IngestResult, years: list[int]) -> pd.DataFrame:
    """England rows as published, from the same sources the panel prefers (year x count columns)."""
    T = result.tables
    cols = {}
    cin = T.get("cin", pd.DataFrame())
    eng = cin[cin["level"] == "england"] if len(cin) else cin
    for m in CIN_MEASURES:
        e = eng[(eng["measure"] == m)]
        e_ees = latest_release(e[e["vintage"].str.startswith("EES") & (e["year"] >= 2013)])
        e_sfr = e[e["vintage"].str.startswith("SFR") & ~e["year"].isin(e_ees["year"])]
        cols[m] = pd.concat([e_ees, e_sfr]).set_index("year")["value"]
    cla = T.get("cla", pd.DataFrame())
    c = cla[(cla["level"] == "england")] if len(cla) else cla
    for m in CLA_MEASURES:
        cols[m] = latest_release(c[c["measure"] == m]).set_index("year")["value"]  # SFR and EES, the latest wins
    for m in [m for m in lait.RULE if not m.startswith("spend_")]:  # LAIT England counts, years the files lack
        cols[m] = _lait_england(T.get("lait", pd.DataFrame()), m, cols.get(m))
    pop = T.get("population", pd.DataFrame())
    if len(pop):
        p = pop[(pop["level"] == "england")].sort_values("vintage").drop_duplicates("year", keep="first")
        cols["pop_0_17"] = p.set_index("year")["value"]
    cols.update(finance.england(T.get("finance", pd.DataFrame())))
    before = {int(y) for s in cols.values() for y in s.dropna().index if y < years[0]}  # a year the panel starts after
    df = pd.DataFrame(cols).reindex(sorted(before) + list(years))
    df.index.name = "year"
    return df.reset_index()
