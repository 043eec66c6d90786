"""What an authority profile says beyond its series: its neighbours one by one, its quartile bands and
trends, its rank over time with intervals, its place in each chapter's findings, and its context.

What every profile of a kernel needs (the funnel, the ranks of every year, the decomposition model's
authority effects, the preventative shares) is computed once per panel (:func:`shared_findings`);
each profile then reads its own rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures, models, stats
from cscbook.chapters.preventative import spending
from cscbook.present.markdown import md_escape
from cscbook.profiles.core import MEASURES, SHARED_BY_KEY, Profile, label

#: The measures whose rank a profile follows over the years.
RANKED = ("cpp_31mar", "cla_31mar", "cin_31mar")
#: Bootstrap draws and seed of the rank intervals (the variation chapter's defaults).
RANK_DRAWS, RANK_SEED = 200, 2019
#: The direction that counts as better, where one does: activity rates have none (a high rate can mean
#: more need, or more intervention, or both), as LAIT's bands of the same measures have none.
BETTER = {"sw_vacancy_rate": "Lower"}
NO_DIRECTION = "No agreed direction"
#: The preventative-share definition a profile reports (the preventative chapter's default).
SHARE_DEFINITION = "B"
QUARTERS = ("lowest quarter", "second quarter", "third quarter", "highest quarter")


@dataclass
class Findings:
    funnel: pd.DataFrame  # by la_code: the CPP rate last year, its limits and positions
    ranks: pd.DataFrame  # la_code, year, measure, rank, lo, hi, units
    effects: pd.DataFrame | None  # by la_code: effect, low, high (log CPP rate), or None
    effects_note: str
    shares: pd.DataFrame  # preventative share (%) by la_code x year
    england_shares: pd.Series  # by year


@functools.cache
def shared_findings(panel_key: str) -> Findings:
    s = SHARED_BY_KEY[panel_key]
    last = s.panel[(s.panel["year"] == s.last) & s.panel["cpp_31mar"].notna() & (s.panel["pop_0_17"] > 0)]
    theta = float(s.england.loc[s.last, "cpp_31mar"]) / measures.PER
    funnel = stats.funnel_frame(last["cpp_31mar"], last["pop_0_17"], theta, measures.PER)
    funnel.index = last["la_code"].to_numpy()
    rows = []
    observed = s.panel[[(c, int(y)) not in s.estimated for c, y in zip(s.panel["la_code"], s.panel["year"])]]
    for year, g in observed.groupby("year"):  # an estimated row is never ranked
        for c in RANKED:
            d = g[g[c].notna() & (g["pop_0_17"] > 0)]
            if len(d) < 2:
                continue
            r = stats.rank_intervals(d[c], d["pop_0_17"], RANK_DRAWS, RANK_SEED + int(year))
            rows.append(r.assign(la_code=d["la_code"].to_numpy(), year=int(year), measure=c, units=len(d)))
    ranks = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    effects, note = _effects(s.panel)
    shares = spending.authority_shares(spending.complete_spend(s.panel), SHARE_DEFINITION)
    england = spending.national_shares(s.panel)[SHARE_DEFINITION]
    return Findings(funnel, ranks, effects, note, shares, england)


def _effects(panel: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
    """The decomposition model's authority effects on the profile's panel, or why there are none."""
    try:
        fit = models.fit(panel, models.Spec())
        eff = models.authority_effects(fit).set_index("la_code")
    except Exception as err:  # too few complete rows, or a model that does not converge on a small panel
        return None, f"the model could not be fitted on these data ({type(err).__name__})"
    years = (
        f"{contract.year_label(int(fit.frame['year'].min()))} to {contract.year_label(int(fit.frame['year'].max()))}"
    )
    return eff, f"{len(fit.frame):,} authority-years, {years}"


# --- neighbours ---------------------------------------------------------------------------------


def neighbour_table(pf: Profile) -> pd.DataFrame:
    """Each neighbour's own value last year with DfE's closeness band, the neighbours' median (as DfE's
    tools show it), their pooled rate and the authority's own."""
    last = pf.s.by_la.xs(pf.s.last, level="year")
    rows = []
    for code, band in zip(pf.neighbour_codes, pf.neighbour_bands):
        vals = last.loc[code] if code in last.index else pd.Series(dtype=float)
        rows.append({"Authority": pf.s.names[code], "Closeness": band or "—"} | vals.to_dict())
    table = pd.DataFrame(rows, columns=["Authority", "Closeness", *MEASURES])
    values = table[list(MEASURES)].astype("float64")
    pooled = pf.neighbour_series.reindex([pf.s.last])
    extra = [
        {"Authority": "Neighbours' median", "Closeness": ""} | values.median().to_dict(),
        {"Authority": "Neighbours pooled", "Closeness": ""} | (pooled.iloc[0].to_dict() if len(pooled) else {}),
        {"Authority": pf.name, "Closeness": "(this authority)"}
        | (last.loc[pf.code].to_dict() if pf.code in last.index else {}),
    ]
    table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    return table.rename(columns=NEIGHBOUR_COLUMNS)


#: The neighbour table's column heads: short enough for eight columns on a page (the units are in the caption).
NEIGHBOUR_COLUMNS = {
    "referrals": "Referrals",
    "s47_enquiries": "S47 enquiries",
    "cpp_31mar": "CPPs",
    "cin_31mar": "CIN",
    "cla_31mar": "CLA",
    "spend_pc_real": "Spend per child (£)",
}


def neighbour_sentence(pf: Profile) -> str:
    if not pf.neighbour_codes:
        return "No statistical neighbours are known for this authority."
    last = pf.s.by_la.xs(pf.s.last, level="year")
    own = last["cpp_31mar"].get(pf.code, np.nan)
    theirs = last["cpp_31mar"].reindex(pf.neighbour_codes).dropna()
    bands = pd.Series([b for b in pf.neighbour_bands if b]).value_counts()
    band_text = (
        " DfE rates " + measures.and_list([f"{n} of them {b.lower()}" for b, n in bands.items()]) + "."
        if len(bands)
        else ""
    )
    if pd.isna(own) or theirs.empty:
        return f"Its {len(pf.neighbour_codes)} neighbours are listed below with their own values.{band_text}"
    higher = int((theirs > own).sum())
    return (
        f"In {contract.year_label(pf.s.last)} its child protection plan rate, {own:.1f} per 10,000, was higher "
        f"than {len(theirs) - higher} of its {len(theirs)} neighbours with a value (their median "
        f"{theirs.median():.1f}).{band_text}"
    )


# --- bands and trends ---------------------------------------------------------------------------


def _values(pf: Profile) -> pd.DataFrame:
    """The authority's measures and the social-worker vacancy rate (%) by year, for every authority."""
    vac = pf.s.panel.set_index(["la_code", "year"])["sw_vacancy_rate"].astype("float64") * 100
    return pf.s.by_la.join(vac.rename("sw_vacancy_rate"))


def quarter(col: pd.Series, v: float) -> str:
    """The quarter of the authorities' values that ``v`` falls in (ties share the lower quarter)."""
    col = col.dropna()
    if pd.isna(v) or col.empty:
        return "—"
    share = float((col < v).sum()) / len(col)
    return QUARTERS[min(int(share * 4), 3)]


def bands_table(pf: Profile) -> pd.DataFrame:
    """LAIT-style bands: the value, its quarter among all authorities, the direction that counts as better,
    and the change since last year and over five years."""
    vals = _values(pf)
    est = pf.s.estimated
    vals = vals[[k not in est for k in zip(vals.index.get_level_values(0), vals.index.get_level_values(1))]]
    last = pf.s.last  # estimated rows are gone: never banded, never the start or end of a change
    labels = {c: label(c) for c in MEASURES} | {"sw_vacancy_rate": "Social-worker vacancy rate (%, 30 September)"}
    rows = []
    for c, name in labels.items():
        col = vals[c].xs(last, level="year") if last in vals.index.get_level_values("year") else pd.Series()
        own = vals[c].get(pf.code, pd.Series(dtype=float))
        v = own.get(last, np.nan)
        rows.append(
            {
                "Measure": name,
                "Value": v,
                "Band among authorities": quarter(col, v) if (pf.code, last) not in est else "estimate: not banded",
                "Better is": BETTER.get(c, NO_DIRECTION),
                "Change since last year": v - own.get(last - 1, np.nan),
                "Change over five years": v - own.get(last - 5, np.nan),
            }
        )
    return pd.DataFrame(rows)


def rank_history(pf: Profile) -> pd.DataFrame:
    """The authority's rank (1 = highest rate) by year with its 95% interval, for each ranked measure."""
    r = shared_findings(pf.s.panel_key).ranks
    if r.empty:
        return r
    return r[r["la_code"] == pf.code].sort_values(["measure", "year"]).reset_index(drop=True)


def bands_sentence(pf: Profile) -> str:
    t = bands_table(pf)
    hist = rank_history(pf)
    year = contract.year_label(pf.s.last)
    cpp = t.iloc[list(MEASURES).index("cpp_31mar")]
    if pd.isna(cpp["Value"]):
        return (
            f"Its count of child protection plans is not published for {year} (suppressed or not available), "
            "so that rate has no band or rank this year; the table gives the measures that have one."
        )
    text = f"In {year} its child protection plan rate was in the {cpp['Band among authorities']} of authorities"
    if pd.notna(cpp["Change over five years"]):
        text += f", {_signed(cpp['Change over five years'])} per 10,000 over five years"
    text += "."
    mine = hist[(hist["measure"] == "cpp_31mar") & (hist["year"] == pf.s.last)] if len(hist) else hist
    if len(mine):
        row = mine.iloc[0]
        text += (
            f" Its rank for that rate was {int(row['rank'])} of {int(row['units'])}, and chance alone could place it "
            f"anywhere from {int(row['lo'])} to {int(row['hi'])}."
        )
    return text


def _signed(x: float, digits: int = 1) -> str:
    return ("up " if x > 0 else "down " if x < 0 else "unchanged ") + (f"{abs(x):.{digits}f}" if x else "")


# --- the authority in every chapter -------------------------------------------------------------


def chapter_table(pf: Profile) -> pd.DataFrame:
    """The authority's place in each chapter's finding."""
    f = shared_findings(pf.s.panel_key)
    year = contract.year_label(pf.s.last)
    rows = [
        ("Variation between authorities", f"Funnel position, child protection plans, {year}", _funnel_text(pf, f)),
        ("The decomposition model", "Authority effect on the plan rate", _effect_text(pf, f)),
        (
            "The shift from preventative spending",
            f"Preventative share (definition {SHARE_DEFINITION})",
            _share_text(pf, f),
        ),  # fmt: skip
        ("Spending against Ofsted", "Latest judgement in force", _ofsted_text(pf)),
    ]
    return pd.DataFrame(rows, columns=["Chapter", "Finding", "This authority"])


def _funnel_text(pf: Profile, f: Findings) -> str:
    if pf.code not in f.funnel.index:
        return "No rate this year."
    row = f.funnel.loc[pf.code]
    eng = f.funnel.attrs["theta"] * measures.PER
    return (
        f"{row['rate']:.1f} per 10,000 against England's {eng:.1f}: {_place(row['position'])} of the exact "
        f"binomial limits; {_place(row['position_od'])} of the limits allowing for overdispersion."
    )


def _place(position: str) -> str:
    """A funnel position ('above 99.8%', 'within 95%') in words."""
    side, level = position.split(" ")
    if side == "within":
        return "within the 95% band"
    beyond = {"95%": " (inside the 99.8% band)", "99.8%": ""}[level]
    return f"{side} the {level} band{beyond}"


def _effect_text(pf: Profile, f: Findings) -> str:
    if f.effects is None or pf.code not in f.effects.index:
        if f.effects is None:
            return f"Not estimated: {f.effects_note}."
        return "Not in the model's rows: in none of its years are the plan count and every covariate known."
    e = f.effects.loc[pf.code]
    return (
        f"{e['effect']:+.2f} on the log rate (95% interval {e['low']:+.2f} to {e['high']:+.2f}): "
        f"×{np.exp(e['effect']):.2f} the rate its deprivation, spending and vacancies predict ({f.effects_note})."
    )


def _share_text(pf: Profile, f: Findings) -> str:
    if pf.code not in f.shares.index:
        return "Spending by category is not known."
    own = f.shares.loc[pf.code].dropna()
    if len(own) < 2:
        return "Known in one year only."
    a, b = int(own.index[0]), int(own.index[-1])
    eng = f.england_shares
    text = f"{own[a]:.1f}% in {contract.year_label(a)}, {own[b]:.1f}% in {contract.year_label(b)} "
    text += f"({own[b] - own[a]:+.1f} points"
    if a in eng.index and b in eng.index:
        text += f"; England {eng[b] - eng[a]:+.1f}"
    return text + ")."


def _ofsted_text(pf: Profile) -> str:
    hist = pf.ofsted_history()
    if hist.empty:
        return "None recorded."
    row = hist.iloc[-1]
    return f"{row['Overall judgement']} ({row['Framework']}, inspected {row['Inspection date']})."


def chapters_md(pf: Profile, here: str = "../") -> str:
    """The chapter names as links to their pages, for the sentence above the table."""
    return (
        f"The {_doc(here, 'variation', 'variation chapter')}, the {_doc(here, 'decomposition', 'decomposition')}, "
        f"the {_doc(here, 'preventative', 'preventative-spending chapter')} and the "
        f"{_doc(here, 'ofsted', 'Ofsted chapter')} find for England as a whole; "
        f"{md_escape(pf.name)}'s place in each is in the table below."
    )


def _doc(here: str, page: str, text: str) -> str:
    return f"[{text}]({here}{page}.ipynb)"


# --- context ------------------------------------------------------------------------------------


def vacancy_note(pf: Profile) -> str:
    """A small-numbers note where the authority's social-worker vacancy rate sat at an end (0% or 100%) in any
    year: such rates come from very few posts, or from none returned vacant, and one post moves them by whole
    steps, as a handful of children moves a small authority's rates. '' otherwise."""
    p = pf.s.panel
    if "sw_vacancy_rate" not in p:
        return ""
    own = p[(p["la_code"] == pf.code)].set_index("year")["sw_vacancy_rate"].astype("float64").dropna()
    ends = own[(own <= 0) | (own >= 1)]
    if ends.empty:
        return ""
    said = measures.and_list([f"{100 * v:.0f}% in {contract.year_label(int(y))}" for y, v in ends.items()])
    return (
        f"A small number: its social-worker vacancy rate was {said}. A rate of 0% or 100% comes from very few "
        "posts, or from none returned vacant, and one post moves it a long way; read it as a count of a few."
    )


def context_table(pf: Profile) -> pd.DataFrame:
    """Deprivation, the social-worker vacancy rate and children's centres: the latest year each is known."""
    p = pf.s.panel
    edition = pf.s.prepared.meta.get("deprivation", {})  # an index of deprivation is dated by its edition
    rows = []
    for col, name, scale, unit, digits in (
        ("idaci_score", "Income deprivation affecting children (IDACI score)", 1, "", 3),
        ("imd_score", "Index of multiple deprivation (average score)", 1, "", 1),
        ("idaci_score_2025", "IDACI score, 2025 edition (not comparable with the row above)", 1, "", 3),
        ("imd_score_2025", "Index of multiple deprivation, 2025 edition", 1, "", 1),
        ("sw_vacancy_rate", "Social-worker vacancy rate", 100, "%", 1),
        ("childrens_centres", "Children's centres", 1, "", 0),
    ):
        if col not in p:
            continue
        known = p[p[col].notna()]
        own = known[known["la_code"] == pf.code].sort_values("year")
        if own.empty:
            rows.append({"Measure": name, "Year": "not known", "Value": "—", "Rank (1 = highest)": "—", "England": "—"})
            continue
        year = int(own["year"].iloc[-1])
        col_y = known[known["year"] == year].set_index("la_code")[col].astype("float64") * scale
        v = float(col_y[pf.code])
        eng = col_y.median() if col != "childrens_centres" else col_y.sum()
        rows.append(
            {
                "Measure": name,
                "Year": edition.get(col) or contract.year_label(year),
                "Value": f"{v:,.{digits}f}{unit}",
                "Rank (1 = highest)": f"{int((col_y > v).sum()) + 1} of {len(col_y)}",
                "England": (f"median {eng:,.{digits}f}{unit}" if col != "childrens_centres" else f"{eng:,.0f} in all"),
            }
        )
    return pd.DataFrame(rows)
