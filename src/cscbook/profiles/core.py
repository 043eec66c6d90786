"""Authority profiles: one page per authority, made from ``book/profiles/template.ipynb``.

A profile sets an authority's series against its region, England and its statistical neighbours,
shows where it sits in each distribution, its spending mix and its Ofsted history.

This is the kernel side: the template builds a :class:`Profile` and glues its page
(:func:`glue_page`). Statistical neighbours are :mod:`cscbook.analyse.neighbours`; the figures are
:mod:`cscbook.profiles.figures`; the build's side (which authorities, in which batches) is
:mod:`cscbook.build.profile_run`.

The notebooks share what every profile needs (the panel, the pooled series, the neighbours), so
it is computed once per kernel: see :func:`shared`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures
from cscbook.analyse.neighbours import neighbours_for
from cscbook.present import figures
from cscbook.present.markdown import link, md_escape

#: What a profile says where the data have no budget and outturn to compare for its authority.
NO_BUDGET = "These data have no budget and outturn to compare for this authority."
#: Authorities with fewer children than this get a warning about small counts on their profile.
SMALL_POPULATION = 5000

#: The measures a profile shows: label and the count behind each rate.
MEASURES = {
    "referrals": "Referrals",
    "s47_enquiries": "Section 47 enquiries",
    "cpp_31mar": "Child protection plans (31 March)",
    "cin_31mar": "Children in need (31 March)",
    "cla_31mar": "Looked-after children (31 March)",
    "spend_pc_real": "Spending per child (£, real terms)",
}
#: Panel titles short enough for half the page width at body-text size, and what each axis counts.
SHORT = {
    "referrals": "Referrals",
    "s47_enquiries": "Section 47 enquiries",
    "cpp_31mar": "Child protection plans",
    "cin_31mar": "Children in need",
    "cla_31mar": "Looked-after children",
    "spend_pc_real": "Spending per child",
}
AXIS = {c: "per 10,000 children" + (", 31 March" if c.endswith("31mar") else "") for c in SHORT} | {
    "spend_pc_real": "£ per child, real terms"
}


def label(col: str) -> str:
    """A measure with its unit, as a table row or a CSV column names it."""
    return f"{SHORT[col]} ({AXIS[col]})"


SPEND_SHOWN = measures.SOCIAL_CARE  # every category except capital from revenue
SPEND_LABELS = {c: measures.SPEND_LABELS[c] for c in SPEND_SHOWN}


# --- measures ---------------------------------------------------------------------------------


def pooled(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rates over a group of authorities: summed counts over the summed population where known
    (:func:`cscbook.analyse.measures.pooled_rates`), and real spending per child likewise."""
    rates = measures.pooled_rates(df, [c for c in MEASURES if c != "spend_pc_real"], by)
    out = {}
    for c in MEASURES:
        if c == "spend_pc_real":
            real = measures.spend_total(df) / df["deflator"].astype("float64")
            known = df.assign(_v=real)[real.notna()]
            g = known.groupby(by)
            out[c] = g["_v"].sum() / g["pop_0_17"].sum().astype("float64")
        else:
            out[c] = rates[c]
    return pd.DataFrame(out)


def authority_measures(panel: pd.DataFrame) -> pd.DataFrame:
    """Each authority's measures by year (la_code, year index)."""
    return pooled(panel, ["la_code", "year"])


# --- what every profile shares ----------------------------------------------------------------


@dataclass
class Shared:
    prepared: contract.Prepared
    panel: pd.DataFrame  # the chosen years
    by_la: pd.DataFrame  # measures, index (la_code, year)
    region: pd.DataFrame  # pooled measures, index (region, year)
    england: pd.DataFrame  # pooled measures, index year
    names: pd.Series  # la_code -> la_name
    regions: pd.Series  # la_code -> region
    last: int
    first: int
    panel_key: str = ""
    #: (la_code, year) whose whole row is an estimate: a predecessor's figures shared out by population
    estimated: frozenset = frozenset()


#: Every ``shared`` result of this kernel by its panel_key (the position chart's background uses it).
SHARED_BY_KEY: dict[str, Shared] = {}


def estimated_rows(flags: pd.DataFrame) -> frozenset:
    """The authority-years a boundary step made by sharing out a predecessor's figures (flagged apportioned
    for the whole row): estimates, drawn as such and left out of bands, ranks and changes."""
    return frozenset(contract.apportioned_rows(flags))


@functools.cache
def shared(panel_dir: str, years: str) -> Shared:
    """Load the prepared folder and compute what every profile uses (once per kernel)."""
    prepared = contract.read_prepared(Path(panel_dir))
    first, last = (int(y) for y in years.split("-"))
    panel = prepared.panel[(prepared.panel["year"] >= first) & (prepared.panel["year"] <= last)].copy()
    ids = panel.drop_duplicates("la_code", keep="last").set_index("la_code")
    out = Shared(
        prepared=prepared,
        panel=panel,
        by_la=authority_measures(panel),
        region=pooled(panel, ["region", "year"]),
        england=pooled(panel, ["year"]),
        names=ids["la_name"].astype(str),
        regions=ids["region"].astype(str),
        last=last,
        first=first,
        panel_key=f"{panel_dir}|{years}",
        estimated=estimated_rows(prepared.flags),
    )
    SHARED_BY_KEY[out.panel_key] = out
    return out


@functools.cache
def neighbour_list(panel_key: str, which: str) -> pd.DataFrame:
    """Every authority's statistical neighbours of the kind ``which`` (once per kernel)."""
    return neighbours_for(SHARED_BY_KEY[panel_key].prepared, which or "dfe")


def comparator(s: Shared, compare: str, own: str) -> tuple[list[str], str]:
    """The codes and the label of the comparator a reader chose: one authority (its name) or several
    ('3 chosen authorities'), given by code or name separated by commas; ([], '') for none."""
    keys = [k.strip() for k in (compare or "").split(",") if k.strip()]
    codes = []
    for key in keys:
        code, _ = contract.find_authority(s.panel, key, "compare", "use authority codes or names separated by commas")
        if code != own and code not in codes:
            codes.append(code)
    if not codes:
        return [], ""
    return codes, s.names[codes[0]] if len(codes) == 1 else f"{len(codes)} chosen authorities"


# --- one profile --------------------------------------------------------------------------------


class Profile:
    """One authority's profile: its comparison series, positions, spending mix and Ofsted history."""

    def __init__(
        self, panel_dir: str, la_code: str, years: str, links: str = "", neighbours: str = "dfe", compare: str = ""
    ):
        """``links``: the profile pages the build makes (the ``profile_links`` parameter; see
        :func:`profiles_built`), which the neighbours' names link to. ``neighbours``: whose statistical
        neighbours (:func:`cscbook.analyse.neighbours.neighbours_for`). ``compare``: the comparator the
        series and spending mix are set against instead of the neighbours, an authority or a group
        (codes or names separated by commas); empty for the neighbours."""
        self.s = shared(panel_dir, years)
        self.links = links
        if la_code not in self.s.names.index:
            from cscbook.errors import UserError

            raise UserError(
                "profile", f"{la_code!r} is not an authority in the data", "profiles are made per authority"
            )
        self.code = la_code
        self.name = self.s.names[la_code]
        self.region_name = self.s.regions[la_code]
        table = neighbour_list(self.s.panel_key, neighbours)
        nb = table[table["la_code"] == la_code].sort_values("rank")
        self.neighbour_codes = nb["neighbour"].tolist()
        self.neighbour_bands = [b if isinstance(b, str) else "" for b in nb["closeness"]]
        self.neighbour_source = str(nb["source"].iloc[0]) if len(nb) else "none"
        self.compare_codes, self.compare_label = comparator(self.s, compare, la_code)
        self.glued: dict[str, object] = {}
        figures.setup()

    # data ---------------------------------------------------------------------------------------
    @functools.cached_property
    def own(self) -> pd.DataFrame:
        return self.s.by_la.loc[self.code]

    @functools.cached_property
    def estimated_years(self) -> list[int]:
        """The years whose figures are estimates (a predecessor's shared out), in the profile's years."""
        return sorted(y for c, y in self.s.estimated if c == self.code and self.s.first <= y <= self.s.last)

    def estimates_sentence(self) -> str:
        """Say which years are estimates and what that means on the page ('' when none is)."""
        years = self.estimated_years
        if not years:
            return ""
        span = contract.year_label(years[0]) + ("" if len(years) == 1 else f" to {contract.year_label(years[-1])}")
        return (
            f" Its figures for {span} are estimates: the authority it was part of, shared out by children aged 0-17, "
            "so they are drawn dashed with open points and left out of its bands, ranks and changes."
        )

    @functools.cached_property
    def neighbour_series(self) -> pd.DataFrame:
        rows = self.s.panel[self.s.panel["la_code"].isin(self.neighbour_codes)]
        return pooled(rows, ["year"])

    @functools.cached_property
    def group_codes(self) -> list[str]:
        """The authorities of the comparator line: the chosen comparator, else the neighbours."""
        return self.compare_codes or self.neighbour_codes

    @functools.cached_property
    def group_label(self) -> str:
        return self.compare_label or "Statistical neighbours"

    @functools.cached_property
    def group_series(self) -> pd.DataFrame:
        if not self.compare_codes:
            return self.neighbour_series
        return pooled(self.s.panel[self.s.panel["la_code"].isin(self.compare_codes)], ["year"])

    @functools.cached_property
    def comparison(self) -> dict[str, pd.DataFrame]:
        return {
            self.name: self.own,
            self.group_label: self.group_series,
            f"{self.region_name} region": self.s.region.loc[self.region_name],
            "England": self.s.england,
        }

    def last_year_table(self) -> pd.DataFrame:
        """The last year's value of each measure for the authority and its comparators."""
        last = self.s.last
        out = pd.DataFrame({k: v.reindex([last]).iloc[0] for k, v in self.comparison.items()})
        out.index = [label(c) for c in out.index]
        return out

    def positions(self) -> pd.DataFrame:
        """Rank (1 = highest) and percentile of the authority among authorities with a value, last year."""
        last = self.s.by_la.xs(self.s.last, level="year")
        rows = []
        for c, label in MEASURES.items():
            col = last[c].dropna()
            v = last[c].get(self.code, np.nan)
            if pd.isna(v) or col.empty:
                rows.append({"Measure": label, "Value": np.nan, "Rank (1 = highest)": "—", "Percentile": np.nan})
                continue
            rank = int((col > v).sum()) + 1
            pct = float((col < v).sum() + 0.5 * ((col == v).sum() - 1)) / max(len(col) - 1, 1) * 100
            rows.append(
                {"Measure": label, "Value": v, "Rank (1 = highest)": f"{rank} of {len(col)}", "Percentile": pct}
            )
        return pd.DataFrame(rows)

    def spending_mix(self) -> pd.DataFrame:
        """Share of spending (%) by section 251 category, last year: authority, neighbours, region, England."""
        p = self.s.panel[self.s.panel["year"] == self.s.last]
        groups = {
            self.name: p[p["la_code"] == self.code],
            self.group_label: p[p["la_code"].isin(self.group_codes)],
            f"{self.region_name} region": p[p["region"] == self.region_name],
            "England": p,
        }
        cols = [f"spend_{c}" for c in SPEND_SHOWN]
        out = {}
        for k, g in groups.items():
            tot = g[cols].astype("float64").sum(min_count=1)
            out[k] = tot / tot.sum() * 100 if tot.notna().any() and tot.sum() > 0 else tot * np.nan
        df = pd.DataFrame(out)
        df.index = [SPEND_LABELS[c] for c in SPEND_SHOWN]
        return df

    def ofsted_history(self) -> pd.DataFrame:
        """Each judgement in force at 31 March of a year, once per inspection."""
        rows = self.s.prepared.panel
        rows = rows[(rows["la_code"] == self.code) & rows["ofsted_overall"].notna()]
        if rows.empty:
            return pd.DataFrame(columns=["Inspection date", "Framework", "Overall judgement", "In force at 31 March"])
        rows = rows.sort_values("year")
        g = rows.groupby(["ofsted_date", "ofsted_framework", "ofsted_overall"], dropna=False, sort=False)["year"]
        spans = g.agg(["min", "max"]).reset_index()
        return pd.DataFrame(
            {
                "Inspection date": spans["ofsted_date"].fillna("—").astype(str),
                "Framework": spans["ofsted_framework"].fillna("—").astype(str),
                "Overall judgement": spans["ofsted_overall"].astype(str),
                "In force at 31 March": [
                    contract.year_label(a) if a == b else f"{contract.year_label(a)} to {contract.year_label(b)}"
                    for a, b in zip(spans["min"], spans["max"])
                ],
            }
        )

    def download(self) -> pd.DataFrame:
        """The authority's series beside its comparators for the CSV download: a row per series and year
        (the year as DfE writes it), a column per measure with its unit in the name."""
        out = pd.concat(self.comparison, names=["series", "year"]).reset_index()
        out["year"] = out["year"].map(contract.year_label)
        return out.rename(columns={c: label(c) for c in MEASURES}).round(2)

    # prose ---------------------------------------------------------------------------------------
    def intro_sentence(self) -> str:
        pop = self.s.panel.loc[
            (self.s.panel["la_code"] == self.code) & (self.s.panel["year"] == self.s.last), "pop_0_17"
        ]
        pop_text = f"{float(pop.iloc[0]):,.0f} children aged 0-17" if len(pop) and pd.notna(pop.iloc[0]) else None
        neighbours = ", ".join(link(c, self.s.names[c], here="", links=self.links) for c in self.neighbour_codes)
        source = (
            self.neighbour_source.replace("DfE statistical neighbours", "DfE's statistical neighbours,")
            if self.neighbour_source.startswith("DfE")
            else "the nearest authorities on deprivation (IDACI and IMD) and child population"
        )
        first = f"{md_escape(self.name)} is in the {md_escape(self.region_name)} region"
        first += f" and had {pop_text} in {contract.year_label(self.s.last)}." if pop_text else "."
        text = f"{first} Its {len(self.neighbour_codes)} statistical neighbours ({source}) are {neighbours}."
        text += self.estimates_sentence()
        if self.compare_codes:
            text += f" This profile is set against {md_escape(self.compare_label)} instead of its neighbours."
        if len(pop) and pd.notna(pop.iloc[0]) and float(pop.iloc[0]) < SMALL_POPULATION:
            text += (
                " With so few children, its rates rest on very small counts: a handful of children moves them a "
                "long way, and counts small enough to identify children are suppressed."
            )
        return text

    def position_sentence(self) -> str:
        pos = self.positions().dropna(subset=["Percentile"])
        if pos.empty:
            return "None of the measures is available for this authority in the last year."
        hi = pos.loc[pos["Percentile"].idxmax()]
        lo = pos.loc[pos["Percentile"].idxmin()]
        return (
            f"In {contract.year_label(self.s.last)} its highest position is for {measures.lower_first(hi['Measure'])} "
            f"(rank {hi['Rank (1 = highest)']}, higher than {hi['Percentile']:.0f}% of authorities) and its lowest "
            f"for {measures.lower_first(lo['Measure'])} (rank {lo['Rank (1 = highest)']}, higher than {lo['Percentile']:.0f}%)."
        )

    def spending_sentence(self) -> str:
        mix = self.spending_mix()
        own = mix[self.name].dropna()
        if own.empty:
            return "Spending by category is not available for this authority in the last year."
        top = own.idxmax()
        eng = mix.loc[top, "England"]
        return (
            f"The largest part of its spending in {contract.year_label(self.s.last)} went on "
            f"{top.lower()}: {own[top]:.0f}% of the total, against {eng:.0f}% in England."
        )

    def budget_table(self) -> pd.DataFrame:
        """Its children's social care budget and outturn by year (£m), the outturn less the budget (£m and % of the
        budget), and its rank by that percentage among the authorities with both that year (1 = furthest below
        its budget); a year whose figures are a predecessor's shared out is marked an estimate."""
        p = self.s.panel
        pct = 100 * (p["outturn_csc"] / p["budget_csc"] - 1)
        ranks = pct.groupby(p["year"]).rank(method="min")
        counts = pct.groupby(p["year"]).transform("count")
        mine = (p["la_code"] == self.code) & (p["budget_csc"].notna() | p["outturn_csc"].notna())
        t = pd.DataFrame(
            {
                "Year": p.loc[mine, "year"].map(contract.year_label),
                "Budget (£m)": p.loc[mine, "budget_csc"] / 1e6,
                "Outturn (£m)": p.loc[mine, "outturn_csc"] / 1e6,
                "Outturn less budget (£m)": (p.loc[mine, "outturn_csc"] - p.loc[mine, "budget_csc"]) / 1e6,
                "Outturn less budget (% of budget)": pct[mine],
                "Rank (1 = furthest below budget)": ranks[mine],
                "Authorities with both": counts[mine].where(pct[mine].notna()),
                "Estimate": ["yes" if y in self.estimated_years else "" for y in p.loc[mine, "year"]],
            }
        )
        if t.empty:  # synthetic England models no budgets: the table says so in a row, as its downloads do
            return pd.DataFrame({"Note": [NO_BUDGET]})
        return t.reset_index(drop=True)

    def budget_sentence(self) -> str:
        t = self.budget_table()
        t = t.dropna(subset=["Outturn less budget (£m)"]) if "Year" in t else t.iloc[:0]
        if t.empty:
            return NO_BUDGET
        r = t.iloc[-1]
        word = "above" if r["Outturn less budget (£m)"] > 0 else "below"
        over = int((t["Outturn less budget (£m)"] > 0).sum())
        est = " (an estimate: a predecessor's figures shared out)" if r["Estimate"] else ""
        return (
            f"In {r['Year']}, the latest year with both, its outturn on children's social care was "
            f"£{abs(r['Outturn less budget (£m)']):,.1f}m {word} its budget ({r['Outturn less budget (% of budget)']:+.1f}% "
            f"of it){est}, {int(r['Rank (1 = furthest below budget)'])} of {int(r['Authorities with both'])} authorities "
            f"from the furthest below budget. It spent more than its budget in {over} of the {len(t)} years with both."
        )

    def ofsted_sentence(self) -> str:
        hist = self.ofsted_history()
        if hist.empty:
            return "No Ofsted judgement is recorded for this authority in these data."
        latest = hist.iloc[-1]
        n = len(hist)
        return (
            f"The data record {n} inspection{'s' if n != 1 else ''}; the latest judgement in force, "
            f"from {md_escape(latest['Inspection date'])} under {md_escape(latest['Framework'])}, is "
            f"{md_escape(latest['Overall judgement'].lower())}."
        )

    # figures (the static ones are drawn by profile_figures, which imports this module) ---------------
    def live_positions(self):
        """The interactive version of ``profile_figures.positions`` (hover names each authority, a reader picks
        one)."""
        from cscbook.present import interactive

        last = self.s.by_la.xs(self.s.last, level="year")
        names = [str(self.s.names[c]) for c in self.neighbour_codes if c in self.s.names.index]
        year = contract.year_label(self.s.last)
        return interactive.positions(last, self.s.names, SHORT, year, self.name, names, key=self.s.panel_key)

    @property
    def source(self) -> str:
        if self.s.prepared.synthetic:
            return f"synthetic England (seed {self.s.prepared.meta.get('seed')}); the authority is fictional"
        return "; ".join(contract.publishers(self.s.prepared.meta)) or "official statistics"
