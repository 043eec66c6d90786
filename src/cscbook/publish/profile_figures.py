"""The figures of an authority profile, drawn on canvases kept for every profile a kernel draws.

A build draws several hundred profile figures, so each kind of figure is set up once per kernel
(axes, styling, and for the position chart every authority's dot) and each profile only changes its
own data and titles; see :class:`Canvas`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cscbook.analyse import measures
from cscbook.publish import figures
from cscbook.publish.profiles import MEASURES, SHARED_BY_KEY, SPEND_LABELS, SPEND_SHOWN, Profile, Shared, unit


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


def series(pf: Profile) -> figures.Figure:
    """The authority's six series against its neighbours, region and England."""
    canvas, axes, lines, legend = _series_canvas()
    for ax, c in zip(axes, MEASURES):
        for series, line in zip(pf.comparison.values(), lines[c]):
            if c in series:
                line.set_data(series.index.to_numpy(), series[c].to_numpy())
            else:
                line.set_data([], [])
        ax.relim()
        ax.autoscale_view()
        ax.set_ylim(bottom=0)
    for text, label in zip(legend.get_texts(), pf.comparison):
        text.set_text(label)
    alt = (
        f"Six line charts, {measures.year_label(pf.s.first)} to {measures.year_label(pf.s.last)}: "
        f"rates of referrals, section 47 enquiries, child protection plans, children in need and "
        f"looked-after children, and spending per child, for {pf.name} (solid line with points), "
        f"its statistical neighbours, the {pf.region_name} region and England."
    )
    return canvas.render(f"{pf.name} against its neighbours, region and England", alt, pf.source)


def positions(pf: Profile) -> figures.Figure:
    """Where the authority and its neighbours sit among all authorities, last year."""
    canvas, own, nbrs = _positions_canvas(pf.s.panel_key)
    rel = _relative_to_median(pf.s)
    rows = {c: i for i, c in enumerate(MEASURES)}
    mine = [(rel.loc[pf.code, c], rows[c]) for c in MEASURES if pd.notna(rel.loc[pf.code, c])]
    theirs = [(rel.loc[n, c], rows[c]) for n in pf.neighbour_codes for c in MEASURES if pd.notna(rel.loc[n, c])]
    own.set_offsets(np.array(mine).reshape(-1, 2))
    nbrs.set_offsets(np.array(theirs).reshape(-1, 2))
    year = measures.year_label(pf.s.last)
    alt = (
        f"Six rows of dots, one per measure, each dot an authority in {year}, placed by its value as a "
        f"multiple of the median authority's; {pf.name} is the large ringed dot and its statistical "
        f"neighbours are diamonds."
    )
    return canvas.render_over([nbrs, own], f"Where {pf.name} sits among all authorities, {year}", alt, pf.source)


def spending(pf: Profile) -> figures.Figure:
    """How the authority, its neighbours, its region and England divide their spending, last year."""
    canvas, bars, labels = _spending_canvas()
    mix = pf.spending_mix().fillna(0)
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
    year = measures.year_label(pf.s.last)
    alt = (
        f"Stacked horizontal bars of the share of spending in each section 251 category for {pf.name}, "
        f"its statistical neighbours, the {pf.region_name} region and England, {year}."
    )
    dynamic = [r for rects in bars for r in rects] + labels
    return canvas.render_over(dynamic, f"How {pf.name} divides its spending, {year}", alt, pf.source)


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
    s = SHARED_BY_KEY[panel_key]
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
