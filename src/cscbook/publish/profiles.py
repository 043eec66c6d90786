"""Authority profiles: one page per authority, made from ``book/profiles/template.ipynb``.

A profile sets an authority's series against its region, England and its statistical neighbours,
shows where it sits in each distribution, its spending mix and its Ofsted history.

Statistical neighbours come from the data folder when it carries DfE's published list
(``neighbours.csv``); otherwise they are the ten nearest authorities on standardised deprivation
(IDACI and IMD average scores) and the logarithm of the child population, in the last year. On
synthetic England those are the generator's own characteristics of each authority.

The notebooks share what every profile needs (the panel, the pooled series, the neighbours), so
it is computed once per kernel: see :func:`shared`.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures
from cscbook.publish import figures

N_NEIGHBOURS = 10
#: Authorities with fewer children than this get a warning about small counts on their profile.
SMALL_POPULATION = 5000
#: Characteristics for computed neighbours (standardised; population on a log scale).
NEIGHBOUR_FEATURES = ["idaci_score", "imd_score", "log_pop_0_17"]

#: The measures a profile shows: label and the count behind each rate.
MEASURES = {
    "referrals": "Referrals",
    "s47_enquiries": "Section 47 enquiries",
    "cpp_31mar": "Child protection plans (31 March)",
    "cin_31mar": "Children in need (31 March)",
    "cla_31mar": "Looked-after children (31 March)",
    "spend_pc_real": "Spending per child (£, real terms)",
}
RATE_UNIT = "per 10,000 children"
SPEND_SHOWN = measures.SOCIAL_CARE  # every category except capital from revenue
SPEND_LABELS = {c: measures.SPEND_LABELS[c] for c in SPEND_SHOWN}


class ProfileFigure(figures.Figure):
    """A profile figure: the PNG of a figure drawn with a fixed layout (see :class:`Canvas`)."""

    def __init__(self, png: bytes, alt: str, source: str):
        self.fig, self.alt, self.source, self.name, self.png = None, alt, f"Source: {source}", "", png


class Canvas:
    """A figure kept for every profile a kernel draws: the axes, the background (every authority)
    and the styling are made once, and each profile only changes its own data and titles.

    It is drawn once per profile with a fixed layout (no tight bounding box, which draws twice), at
    a lower resolution and with light PNG compression, since a build draws several hundred.
    """

    DPI = 72

    def __init__(self, fig, **layout: float):
        self.fig = fig
        self.title = fig.suptitle("", x=0.01, y=0.99, ha="left", va="top", fontweight="bold", fontsize=12)
        self.source = fig.text(0.01, 0.005, "", ha="left", va="bottom", fontsize=8, color="#444444")
        fig.subplots_adjust(**({"left": 0.08, "right": 0.98, "bottom": 0.1, "top": 0.88} | layout))

    def render(self, title: str, alt: str, source: str) -> ProfileFigure:
        import io

        self.title.set_text(title)
        self.source.set_text(f"Source: {source}")
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
        return ProfileFigure(buf.getvalue(), alt, source)

    def render_over(self, dynamic: list, title: str, alt: str, source: str) -> ProfileFigure:
        """Draw only ``dynamic`` artists (and the title) over the background drawn the first time.

        For a figure whose axes never change, this skips redrawing the axes, ticks and every
        authority's dot for each profile.
        """
        import io

        from PIL import Image

        canvas = self.fig.canvas
        self.source.set_text(f"Source: {source}")
        if getattr(self, "_background", None) is None:
            for artist in (*dynamic, self.title):
                artist.set_animated(True)
            self.fig.set_dpi(self.DPI)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        canvas.restore_region(self._background)
        self.title.set_text(title)
        for artist in dynamic:
            artist.axes.draw_artist(artist)
        self.fig.draw_artist(self.title)
        buf = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB").save(buf, "png", compress_level=1)
        return ProfileFigure(buf.getvalue(), alt, source)


def unit(col: str) -> str:
    return "£ per child aged 0-17, real terms" if col == "spend_pc_real" else RATE_UNIT


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


PROFILES_ENV = "CSCBOOK_PROFILES"


def profiles_built() -> set[str]:
    """The la_codes whose profile pages the build makes, from ``CSCBOOK_PROFILES`` (comma-separated
    codes, or ``all``); empty when it is unset, as when a notebook runs outside the build."""
    return {c.strip() for c in os.environ.get(PROFILES_ENV, "").split(",") if c.strip()}


def has_profile(code: str | None) -> bool:
    built = profiles_built()
    return bool(code) and (code in built or "all" in {c.lower() for c in built})


def link(code: str | None, name: str | None, here: str = "profiles/") -> str:
    """The authority's name as MyST Markdown: a link to its profile page when the build makes it,
    otherwise in bold. ``here`` is the path from the linking page to the profiles folder ('' from
    another profile)."""
    label = str(name or code or "")
    if has_profile(code):
        title = label.replace("`", "'").replace("<", "(").replace(">", ")")
        return f"{{doc}}`{title} <{here}{code}>`"
    return f"**{md_escape(label)}**"


def md_escape(text: str) -> str:
    """``text`` with the characters that Markdown would read as markup escaped."""
    return re.sub(r"([\\`*_\[\]<>{}|$~#])", r"\\\1", text)


# --- measures ---------------------------------------------------------------------------------


def pooled(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rates over a group of authorities: summed counts over the summed population where known."""
    out = {}
    for c in MEASURES:
        if c == "spend_pc_real":
            real = measures.spend_total(df) / df["deflator"].astype("float64")
            known = df.assign(_v=real)[real.notna()]
            g = known.groupby(by)
            out[c] = g["_v"].sum() / g["pop_0_17"].sum().astype("float64")
        else:
            known = df[df[c].notna()]
            g = known.groupby(by)
            out[c] = g[c].sum().astype("float64") / g["pop_0_17"].sum().astype("float64") * measures.PER
    return pd.DataFrame(out)


def authority_measures(panel: pd.DataFrame) -> pd.DataFrame:
    """Each authority's measures by year (la_code, year index)."""
    return pooled(panel, ["la_code", "year"])


def compute_neighbours(panel: pd.DataFrame, k: int = N_NEIGHBOURS) -> pd.DataFrame:
    """The ``k`` nearest authorities on the standardised characteristics of the last year.

    A characteristic missing for every authority is dropped; one missing for a few authorities is
    filled with the median, so that every authority has neighbours.
    """
    last = panel[panel["year"] == panel["year"].max()].drop_duplicates("la_code").set_index("la_code")
    feats = pd.DataFrame(index=last.index)
    for f in NEIGHBOUR_FEATURES:
        if f == "log_pop_0_17":
            feats[f] = np.log(last["pop_0_17"].astype("float64"))
        else:
            feats[f] = last[f].astype("float64")
    feats = feats.loc[:, feats.notna().any()]
    feats = feats.fillna(feats.median())
    z = (feats - feats.mean()) / feats.std(ddof=0).replace(0, 1)
    x = z.to_numpy()
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    rows = []
    codes = z.index.to_numpy()
    for i, code in enumerate(codes):
        order = np.argsort(dist[i], kind="stable")[:k]
        for rank, j in enumerate(order, start=1):
            rows.append((code, rank, codes[j], float(dist[i, j])))
    out = pd.DataFrame(rows, columns=["la_code", "rank", "neighbour", "distance"])
    out["source"] = "computed: " + ", ".join(feats.columns)
    return out


def neighbours_for(prepared: contract.Prepared) -> pd.DataFrame:
    """DfE's published neighbours when the data folder has them, else computed ones."""
    published = prepared.extra.get("neighbours")
    if published is not None and len(published):
        known = set(prepared.panel["la_code"])
        published = published[published["la_code"].isin(known) & published["neighbour"].isin(known)].copy()
        if "source" not in published:
            published["source"] = "DfE published statistical neighbours"
        if "distance" not in published:
            published["distance"] = np.nan
        missing = known - set(published["la_code"])
        computed = compute_neighbours(prepared.panel)
        return pd.concat([published, computed[computed["la_code"].isin(missing)]], ignore_index=True)
    return compute_neighbours(prepared.panel)


# --- what every profile shares ----------------------------------------------------------------


@dataclass
class Shared:
    prepared: contract.Prepared
    panel: pd.DataFrame  # the chosen years
    by_la: pd.DataFrame  # measures, index (la_code, year)
    region: pd.DataFrame  # pooled measures, index (region, year)
    england: pd.DataFrame  # pooled measures, index year
    neighbours: pd.DataFrame
    names: pd.Series  # la_code -> la_name
    regions: pd.Series  # la_code -> region
    last: int
    first: int
    panel_key: str = ""


_SHARED_BY_KEY: dict[str, Shared] = {}


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
        neighbours=neighbours_for(prepared),
        names=ids["la_name"].astype(str),
        regions=ids["region"].astype(str),
        last=last,
        first=first,
        panel_key=f"{panel_dir}|{years}",
    )
    _SHARED_BY_KEY[out.panel_key] = out
    return out


# --- one profile --------------------------------------------------------------------------------


class Profile:
    """One authority's profile: its comparison series, positions, spending mix and Ofsted history."""

    def __init__(self, panel_dir: str, la_code: str, years: str):
        self.s = shared(panel_dir, years)
        if la_code not in self.s.names.index:
            from cscbook.errors import UserError

            raise UserError(
                "profile", f"{la_code!r} is not an authority in the data", "profiles are made per authority"
            )
        self.code = la_code
        self.name = self.s.names[la_code]
        self.region_name = self.s.regions[la_code]
        nb = self.s.neighbours[self.s.neighbours["la_code"] == la_code].sort_values("rank")
        self.neighbour_codes = nb["neighbour"].tolist()
        self.neighbour_source = str(nb["source"].iloc[0]) if len(nb) else "none"
        self.glued: dict[str, object] = {}
        figures.setup()

    # data ---------------------------------------------------------------------------------------
    @functools.cached_property
    def own(self) -> pd.DataFrame:
        return self.s.by_la.loc[self.code]

    @functools.cached_property
    def neighbour_series(self) -> pd.DataFrame:
        rows = self.s.panel[self.s.panel["la_code"].isin(self.neighbour_codes)]
        return pooled(rows, ["year"])

    @functools.cached_property
    def comparison(self) -> dict[str, pd.DataFrame]:
        return {
            self.name: self.own,
            "Statistical neighbours": self.neighbour_series,
            f"{self.region_name} region": self.s.region.loc[self.region_name],
            "England": self.s.england,
        }

    def last_year_table(self) -> pd.DataFrame:
        """The last year's value of each measure for the authority and its comparators."""
        last = self.s.last
        out = pd.DataFrame({k: v.reindex([last]).iloc[0] for k, v in self.comparison.items()})
        out.index = [f"{MEASURES[c]}, {unit(c)}" for c in out.index]
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
            "Statistical neighbours": p[p["la_code"].isin(self.neighbour_codes)],
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
                    measures.year_label(a) if a == b else f"{measures.year_label(a)} to {measures.year_label(b)}"
                    for a, b in zip(spans["min"], spans["max"])
                ],
            }
        )

    def download(self) -> pd.DataFrame:
        """The authority's series beside its comparators, long form, for the CSV download."""
        parts = []
        for k, v in self.comparison.items():
            d = v.reset_index().melt(id_vars="year", var_name="measure", value_name="value")
            d.insert(0, "series", k)
            parts.append(d)
        out = pd.concat(parts, ignore_index=True)
        out["unit"] = out["measure"].map(unit)
        return out

    # prose ---------------------------------------------------------------------------------------
    def intro_sentence(self) -> str:
        pop = self.s.panel.loc[
            (self.s.panel["la_code"] == self.code) & (self.s.panel["year"] == self.s.last), "pop_0_17"
        ]
        pop_text = f"{float(pop.iloc[0]):,.0f} children aged 0-17" if len(pop) and pd.notna(pop.iloc[0]) else None
        neighbours = ", ".join(link(c, self.s.names[c], here="") for c in self.neighbour_codes)
        source = (
            "DfE's published list"
            if self.neighbour_source.startswith("DfE")
            else "the nearest authorities on deprivation (IDACI and IMD) and child population"
        )
        first = f"{self.name} is in the {self.region_name} region"
        first += f" and had {pop_text} in {measures.year_label(self.s.last)}." if pop_text else "."
        text = f"{first} Its {len(self.neighbour_codes)} statistical neighbours ({source}) are {neighbours}."
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
            f"In {measures.year_label(self.s.last)} its highest position is for {_lower_first(hi['Measure'])} "
            f"(rank {hi['Rank (1 = highest)']}, higher than {hi['Percentile']:.0f}% of authorities) and its lowest "
            f"for {_lower_first(lo['Measure'])} (rank {lo['Rank (1 = highest)']}, higher than {lo['Percentile']:.0f}%)."
        )

    def spending_sentence(self) -> str:
        mix = self.spending_mix()
        own = mix[self.name].dropna()
        if own.empty:
            return "Spending by category is not available for this authority in the last year."
        top = own.idxmax()
        eng = mix.loc[top, "England"]
        return (
            f"The largest part of its spending in {measures.year_label(self.s.last)} went on "
            f"{top.lower()}: {own[top]:.0f}% of the total, against {eng:.0f}% in England."
        )

    def ofsted_sentence(self) -> str:
        hist = self.ofsted_history()
        if hist.empty:
            return "No Ofsted judgement is recorded for this authority in these data."
        latest = hist.iloc[-1]
        n = len(hist)
        return (
            f"The data record {n} inspection{'s' if n != 1 else ''}; the latest judgement in force, "
            f"from {latest['Inspection date']} under {latest['Framework']}, is {latest['Overall judgement'].lower()}."
        )

    # figures ------------------------------------------------------------------------------------------
    def fig_series(self) -> figures.Figure:
        canvas, axes, lines, legend = _series_canvas()
        for ax, c in zip(axes, MEASURES):
            for series, line in zip(self.comparison.values(), lines[c]):
                if c in series:
                    line.set_data(series.index.to_numpy(), series[c].to_numpy())
                else:
                    line.set_data([], [])
            ax.relim()
            ax.autoscale_view()
            ax.set_ylim(bottom=0)
        for text, label in zip(legend.get_texts(), self.comparison):
            text.set_text(label)
        alt = (
            f"Six line charts, {measures.year_label(self.s.first)} to {measures.year_label(self.s.last)}: "
            f"rates of referrals, section 47 enquiries, child protection plans, children in need and "
            f"looked-after children, and spending per child, for {self.name} (solid line with points), "
            f"its statistical neighbours, the {self.region_name} region and England."
        )
        return canvas.render(f"{self.name} against its neighbours, region and England", alt, self.source)

    def fig_positions(self) -> figures.Figure:
        canvas, own, nbrs = _positions_canvas(self.s.panel_key)
        rel = _relative_to_median(self.s)
        rows = {c: i for i, c in enumerate(MEASURES)}
        mine = [(rel.loc[self.code, c], rows[c]) for c in MEASURES if pd.notna(rel.loc[self.code, c])]
        theirs = [(rel.loc[n, c], rows[c]) for n in self.neighbour_codes for c in MEASURES if pd.notna(rel.loc[n, c])]
        own.set_offsets(np.array(mine).reshape(-1, 2))
        nbrs.set_offsets(np.array(theirs).reshape(-1, 2))
        year = measures.year_label(self.s.last)
        alt = (
            f"Six rows of dots, one per measure, each dot an authority in {year}, placed by its value as a "
            f"multiple of the median authority's; {self.name} is the large ringed dot and its statistical "
            f"neighbours are diamonds."
        )
        return canvas.render_over(
            [nbrs, own], f"Where {self.name} sits among all authorities, {year}", alt, self.source
        )

    def fig_spending(self) -> figures.Figure:
        canvas, bars, labels = _spending_canvas()
        mix = self.spending_mix().fillna(0)
        groups = list(mix.columns)
        left = np.zeros(len(groups))
        for rects, (_, row) in zip(bars, mix.iterrows()):
            vals = row[groups].to_numpy()
            for rect, x, w in zip(rects, left, vals):
                rect.set_x(x)
                rect.set_width(w)
            left += vals
        for text, group in zip(labels, groups):
            text.set_text(group)
        year = measures.year_label(self.s.last)
        alt = (
            f"Stacked horizontal bars of the share of spending in each section 251 category for {self.name}, "
            f"its statistical neighbours, the {self.region_name} region and England, {year}."
        )
        dynamic = [r for rects in bars for r in rects] + labels
        return canvas.render_over(dynamic, f"How {self.name} divides its spending, {year}", alt, self.source)

    @property
    def source(self) -> str:
        if self.s.prepared.synthetic:
            return f"synthetic England (seed {self.s.prepared.meta.get('seed')}); the authority is fictional"
        cited = self.s.prepared.meta.get("sources", [])
        return "; ".join(sorted({s.get("publisher", "") for s in cited if s.get("publisher")})) or "official statistics"


# --- canvases (one per kernel) --------------------------------------------------------------------


@functools.cache
def _series_canvas():
    import matplotlib.pyplot as plt

    figures.setup()
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharex=True)
    pal = figures.colours(4)
    styles = [
        (figures.HIGHLIGHT, "-", 2.4, "o"),
        (pal[0], "--", 1.6, None),
        (pal[2], "-.", 1.6, None),
        ("#333333", ":", 1.8, None),
    ]
    lines = {}
    for ax, c in zip(axes.flat, MEASURES):
        lines[c] = [
            ax.plot([], [], color=col, ls=ls, lw=lw, marker=m, ms=3, label=str(i))[0]
            for i, (col, ls, lw, m) in enumerate(styles)
        ]
        ax.set_title(MEASURES[c], fontsize=9, loc="left", y=1.0)  # a fixed y skips the title overlap search
        ax.set_ylabel(unit(c), fontsize=8)
        ax.tick_params(labelsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    legend = fig.legend(
        [lines[c][i] for c in list(MEASURES)[:1] for i in range(4)],
        ["", "", "", ""],
        loc="lower center",
        ncol=4,
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.5, 0.03),
    )
    canvas = Canvas(fig, bottom=0.17, top=0.87, hspace=0.35, wspace=0.32)
    return canvas, list(axes.flat), lines, legend


#: The position chart's left edge: a value below this multiple of the median (a zero count, say)
#: is drawn at the edge rather than dropped from the log scale.
REL_FLOOR = 0.125


def _relative_to_median(s: Shared) -> pd.DataFrame:
    last = s.by_la.xs(s.last, level="year")
    return (last / last.median()).clip(lower=REL_FLOOR)


@functools.cache
def _positions_canvas(panel_key: str):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter

    figures.setup()
    s = _SHARED_BY_KEY[panel_key]
    rel = _relative_to_median(s)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    rng = np.random.default_rng(20190101)
    for i, c in enumerate(MEASURES):
        v = rel[c].dropna()
        ax.scatter(v, i + rng.uniform(-0.25, 0.25, len(v)), s=10, color=figures.MUTED, alpha=0.7, lw=0)
    pal = figures.colours(1)
    nbrs = ax.scatter([], [], s=30, color=pal[0], marker="D", lw=0, label="Statistical neighbours", zorder=4)
    own = ax.scatter([], [], s=90, color=figures.HIGHLIGHT, edgecolor="black", lw=0.8, label="This authority", zorder=5)
    ax.set_xscale("log", base=2)
    ticks = [t for t in (REL_FLOOR, 0.25, 0.5, 1, 2, 4, 8) if rel.min().min() / 1.5 <= t <= rel.max().max() * 1.5]
    ax.set_xlim(left=min(ticks[0], rel.min().min()) / 1.15)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"×{x:g}"))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.set_yticks(range(len(MEASURES)), [MEASURES[c] for c in MEASURES], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1, color="#333333", lw=0.8, ls=":")
    ax.set_xlabel(
        f"Value as a multiple of the median authority's (log scale; below ×{REL_FLOOR:g} drawn at ×{REL_FLOOR:g})"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    canvas = Canvas(fig, left=0.3, right=0.8, bottom=0.16, top=0.88)
    return canvas, own, nbrs


@functools.cache
def _spending_canvas():
    """Stacked bars for four groups (the authority, its neighbours, its region, England)."""
    import matplotlib.pyplot as plt

    figures.setup()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    pal = figures.colours(len(SPEND_SHOWN))
    rows = np.arange(4)
    bars = [
        ax.barh(rows, np.zeros(4), color=colour, label=SPEND_LABELS[c], edgecolor="white", lw=0.5)
        for colour, c in zip(pal, SPEND_SHOWN)
    ]
    ax.set_yticks(rows, [""] * 4)
    ax.set_ylim(3.6, -0.6)  # the authority on top
    labels = [ax.text(-2, y, "", ha="right", va="center", fontsize=9) for y in rows]
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of spending on children's social care (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    canvas = Canvas(fig, left=0.26, right=0.68, bottom=0.2, top=0.84)
    return canvas, [list(b.patches) for b in bars], labels
