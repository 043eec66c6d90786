"""The figures of an authority profile, drawn on canvases kept for every profile a kernel draws.

A build draws several hundred profile figures, so each kind of figure is set up once per kernel
(axes, styling, and for the position chart every authority's dot) and each profile only changes its
own data and titles; see :class:`Canvas`.
"""

from __future__ import annotations

import functools
import textwrap

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures
from cscbook.chapters import events
from cscbook.present import figures
from cscbook.profiles.core import (
    AXIS,
    MEASURES,
    SHARED_BY_KEY,
    SHORT,
    SPEND_LABELS,
    SPEND_SHOWN,
    Profile,
    Shared,
)


class ProfileFigure(figures.Figure):
    """A profile figure: the PNG of a figure drawn with a fixed layout (see :class:`Canvas`)."""

    def __init__(self, png: bytes, alt: str, source: str, stem: str = "chart", data=None, phone_png: bytes = b""):
        self.fig, self.alt, self.source, self.name, self.png = None, alt, f"Source: {source}", "", png
        # No SVG and no CSV of their own: 152 profiles' SVGs (26 MB) would outweigh the whole site, and
        # the page's tables and its CSV download hold the numbers the charts draw.
        self.svg, self.stem, self.data = b"", stem, data
        self.phone_fig, self.phone_png = None, phone_png


class Canvas:
    """A figure kept for every profile a kernel draws: the axes, the background (every authority)
    and the styling are made once, and each profile only changes its own data and titles.

    It is drawn once per profile with a fixed layout (no tight bounding box, which draws twice), at
    a lower resolution and with light PNG compression, since a build draws several hundred.
    """

    DPI = 72
    #: Characters per line of the source line (it wraps rather than run off the image).
    WRAP = 100

    def __init__(self, fig, **layout: float):
        self.fig = fig
        self.title = fig.suptitle("", x=0.01, y=0.99, ha="left", va="top", fontweight="bold", fontsize=12, wrap=True)
        self.source = fig.text(0.01, 0.005, "", ha="left", va="bottom", fontsize=8, color="#444444")
        fig.subplots_adjust(**({"left": 0.08, "right": 0.98, "bottom": 0.1, "top": 0.88} | layout))

    def render(self, title: str, alt: str, source: str, **download) -> ProfileFigure:
        self.title.set_text(title)
        self.source.set_text(textwrap.fill(f"Source: {source}", self.WRAP))
        from PIL import Image

        self.fig.set_dpi(self.DPI)
        self.fig.canvas.draw()
        image = Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba()))
        return ProfileFigure(figures.compact_png(image=image), alt, source, **download)

    def render_over(self, dynamic: list, title: str, alt: str, source: str, **download) -> ProfileFigure:
        """Draw only ``dynamic`` artists (and the title) over the background drawn the first time.

        For a figure whose axes never change, or change only in artists that ``dynamic`` names (an
        axis, a legend), this skips redrawing the rest (frames, titles, ticks, every authority's dot)
        for each profile.
        """
        from PIL import Image

        canvas = self.fig.canvas
        self.source.set_text(textwrap.fill(f"Source: {source}", self.WRAP))
        if getattr(self, "_background", None) is None:
            for artist in (*dynamic, self.title):
                artist.set_animated(True)
            self.fig.set_dpi(self.DPI)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        canvas.restore_region(self._background)
        self.title.set_text(title)
        for artist in dynamic:
            (artist.axes or self.fig).draw_artist(artist)
        self.fig.draw_artist(self.title)
        image = Image.fromarray(np.asarray(canvas.buffer_rgba()))
        return ProfileFigure(figures.compact_png(image=image), alt, source, **download)


def series(pf: Profile) -> figures.Figure:
    """The authority's six series against its neighbours, region and England."""
    canvas = draw_series(pf)
    alt = (
        f"Six line charts, {contract.year_label(pf.s.first)} to {contract.year_label(pf.s.last)}: "
        f"rates of referrals, section 47 enquiries, child protection plans, children in need and "
        f"looked-after children, and spending per child, for {pf.name} (solid line with points), "
        f"its statistical neighbours, the {pf.region_name} region and England."
    ) + "".join(f" A dotted vertical line marks the {r.label}." for r in _reorganisations(pf))
    if pf.estimated_years:
        alt += " Its estimated years are drawn dashed with open points."
    title = f"{pf.name} against its neighbours, region and England"
    phone = draw_series(pf, phone=True).render_over(_series_dynamic(pf, True), title, alt, pf.source)
    out = canvas.render_over(_series_dynamic(pf), title, alt, pf.source, stem=f"{pf.code}-trends")
    out.phone_png = phone.png  # a phone's screen shows the six panels one under another
    return out


def _series_dynamic(pf: Profile, phone: bool = False) -> list:
    """What changes from one profile's series to the next, in drawing order: each panel's y axis with
    its grid (its limits are the authority's), the lines and reorganisation marks, and the legend (its
    names). The panels, titles, year axes and the pandemic's shading are the kept background."""
    _, axes, lines, legend, marks = _series_canvas(pf.s.first, pf.s.last, phone)
    out = [ax.yaxis for ax in axes]
    out += [line for c in MEASURES for line in lines[c]]
    return out + [line for pairs in marks for line in pairs] + [legend]


def draw_series(pf: Profile, phone: bool = False) -> Canvas:
    """Put the authority's series on the kept canvas (the phone's, one panel under another, if ``phone``),
    with each panel's limits, without rendering it."""
    canvas, axes, lines, legend, marks = _series_canvas(pf.s.first, pf.s.last, phone)
    changes = _reorganisations(pf)
    est = pf.estimated_years
    for ax, c in zip(axes, MEASURES):
        for series, line in zip(pf.comparison.values(), lines[c]):
            if c in series:
                line.set_data(series.index.to_numpy(), series[c].to_numpy())
            else:
                line.set_data([], [])
        own, estimate = lines[c][0], lines[c][-1]
        x, y = (np.asarray(v, dtype=float) for v in own.get_data())
        guess = np.isin(x, est)
        own.set_data(x, np.where(guess, np.nan, y))  # observed years only
        joined = guess | np.isin(x, [max(est) + 1] if est else [])  # the dashed line meets the first observed year
        estimate.set_data(x[joined], y[joined])
        ax.set_ylim(0, _top(lines[c]))
    for pairs in marks:  # the reorganisations the authority took part in, if any
        for i, line in enumerate(pairs):
            line.set_visible(i < len(changes))
            if i < len(changes):
                x = changes[i].first_year - 0.5  # the April it took effect
                line.set_xdata([x, x])
    key = legend.get_texts()[-1]  # the dotted line's entry in the key
    words = measures.and_list([r.label for r in changes])
    key.set_text(words[:1].upper() + words[1:])
    legend.legend_handles[-1].set_visible(bool(changes))
    for text, label in zip(legend.get_texts(), pf.comparison):
        text.set_text(label)
    return canvas


def _reorganisations(pf: Profile) -> list:
    """The reorganisations the authority took part in that fall within its series' years."""
    return [r for r in events.reorganisations_of(pf.code) if pf.s.first < r.first_year <= pf.s.last]


def _top(lines) -> float:
    """The top of a panel from zero: every line's highest value, the authority's own included, with room
    above it. Set for each profile (the canvas is kept, so a limit left by autoscaling would be the
    previous authority's)."""
    values = [np.asarray(line.get_ydata(), dtype=float) for line in lines]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    return float(finite.max()) * 1.08 if finite.size and finite.max() > 0 else 1.0


def positions(pf: Profile) -> figures.Figure:
    """Where the authority and its neighbours sit among all authorities, last year."""
    canvas, own, nbrs = _positions_canvas(pf.s.panel_key)
    rel = _relative_to_median(pf.s)
    rows = {c: i for i, c in enumerate(MEASURES)}
    mine = [(rel.loc[pf.code, c], rows[c]) for c in MEASURES if pd.notna(rel.loc[pf.code, c])]
    theirs = [(rel.loc[n, c], rows[c]) for n in pf.neighbour_codes for c in MEASURES if pd.notna(rel.loc[n, c])]
    own.set_offsets(np.array(mine).reshape(-1, 2))
    nbrs.set_offsets(np.array(theirs).reshape(-1, 2))
    year = contract.year_label(pf.s.last)
    alt = (
        f"Six rows of dots, one per measure, each dot an authority in {year}, placed by its value as a "
        f"multiple of the median authority's; {pf.name} is the large ringed dot and its statistical "
        f"neighbours are diamonds."
    )
    title = f"Where {pf.name} sits among all authorities, {year}"
    return canvas.render_over([nbrs, own], title, alt, pf.source, stem=f"{pf.code}-position")


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
        text.set_text(textwrap.fill(group, SPEND_LABEL_WRAP))  # a long name in two lines, inside the margin
    year = contract.year_label(pf.s.last)
    alt = (
        f"Stacked horizontal bars of the share of spending in each section 251 category for {pf.name}, "
        f"its statistical neighbours, the {pf.region_name} region and England, {year}."
    )
    dynamic = [r for rects in bars for r in rects] + labels
    title = f"How {pf.name} divides its spending, {year}"
    return canvas.render_over(dynamic, title, alt, pf.source, stem=f"{pf.code}-spending")


def ranks(pf: Profile) -> figures.Figure:
    """The authority's rank by year for three rates, each with its 95% interval. The axes are the same
    for every profile (down to the most authorities ranked in any year), so only the lines and bands
    are drawn for each."""
    from cscbook.profiles.findings import RANKED, rank_history, shared_findings

    every = shared_findings(pf.s.panel_key).ranks
    top = int(every["units"].max()) if len(every) else 1
    canvas, ax, lines, fills = _ranks_canvas(pf.s.first, pf.s.last, top)
    hist = rank_history(pf)
    for f in fills:
        f.remove()
    fills.clear()
    for c, line in zip(RANKED, lines):
        h = hist[hist["measure"] == c] if len(hist) else hist
        line.set_data(h["year"].to_numpy() if len(h) else [], h["rank"].to_numpy() if len(h) else [])
        if len(h):
            band = ax.fill_between(h["year"], h["lo"], h["hi"], color=line.get_color(), alpha=0.18, lw=0)
            band.set_animated(True)
            fills.append(band)
    alt = (
        f"Line chart of {pf.name}'s rank among authorities (1 = the highest rate) for child protection plans, "
        f"looked-after children and children in need, {contract.year_label(pf.s.first)} to "
        f"{contract.year_label(pf.s.last)}, each with a shaded band where chance alone could place it (95%)."
    )
    title = f"{pf.name}'s rank over time, with the range chance allows"
    return canvas.render_over([*fills, *lines], title, alt, pf.source, stem=f"{pf.code}-ranks")


@functools.cache
def _ranks_canvas(first: int, last: int, top: int):
    import matplotlib.pyplot as plt

    from cscbook.profiles.findings import RANKED

    figures.setup()
    fig, ax = plt.subplots(figsize=(10, 6))
    pal = figures.colours(3)
    styles = ["-", "--", "-."]
    lines = [
        ax.plot([], [], color=col, ls=ls, lw=2.6, marker="o", ms=5, label=SHORT[c])[0]
        for col, ls, c in zip(pal, styles, RANKED)
    ]
    ax.set_xlim(first - 0.5, last + 0.5)
    year_axis(ax, first, last)
    ax.tick_params(labelsize=TEXT)
    ax.set_ylabel("Rank (1 = highest rate)", fontsize=SMALL)
    ax.set_ylim(top + 1, 0)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=TEXT)
    canvas = Canvas(fig, left=0.1, right=0.97, bottom=0.14, top=0.76)
    canvas.title.set_fontsize(TEXT + 2)
    canvas.source.set_fontsize(SMALL - 2)
    return canvas, ax, lines, []


#: Characters a line of the spending chart's row labels holds in its left margin.
SPEND_LABEL_WRAP = 22


# --- canvases (one per kernel) --------------------------------------------------------------------


#: Text on profile figures, in points at the canvas's 72 DPI, so in pixels when the image is shown at its
#: own width (as on a desktop page): tick labels as large as the page's body text (16 px).
TEXT, SMALL = 16, 14


def year_axis(ax, first: int, last: int) -> None:
    """Years as DfE writes them ('2017-18'), at most four ticks, and the pandemic year shaded."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = max(1, -(-(last - first) // 3))
    ticks = list(range(last, first - 1, -step))[::-1]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: contract.year_label(int(round(x)))))
    if first <= PANDEMIC <= last:
        ax.axvspan(PANDEMIC - 0.5, PANDEMIC + 0.5, color="#e8e8e8", zorder=0, lw=0)


#: The year ending 31 March 2021: the first pandemic year, shaded on every time series.
PANDEMIC = events.PANDEMIC


#: The phone's series chart: six panels one under another, this wide and tall (inches, at the canvas' 72 DPI).
PHONE_SERIES = (6.2, 20.0)


def _series_canvas(first: int, last: int, phone: bool = False):
    """The kept series canvas for these years (the phone's if ``phone``): its canvas, panels, lines, key and
    reorganisation marks."""
    return _series_canvas_for(first, last, bool(phone))  # one cache key however it is called


@functools.cache
def _series_canvas_for(first: int, last: int, phone: bool):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figures.setup()
    fig, axes = plt.subplots(*((6, 1) if phone else (3, 2)), figsize=PHONE_SERIES if phone else (10, 12.5), sharex=True)
    pal = figures.colours(4)
    styles = [
        (figures.HIGHLIGHT, "-", 3, "o"),
        (pal[0], "--", 2.2, None),
        (pal[2], "-.", 2.2, None),
        ("#333333", ":", 2.4, None),
    ]
    lines = {}
    for ax, c in zip(axes.flat, MEASURES):
        lines[c] = [
            ax.plot([], [], color=col, ls=ls, lw=lw, marker=m, ms=5, label=str(i))[0]
            for i, (col, ls, lw, m) in enumerate(styles)
        ]
        # the authority's estimated years (a predecessor's figures shared out): dashed, open points
        lines[c].append(ax.plot([], [], color=figures.HIGHLIGHT, ls="--", lw=2, marker="o", ms=5, mfc="white")[0])
        ax.set_title(SHORT[c], fontsize=TEXT, loc="left", y=1.0, fontweight="bold")
        ax.set_ylabel(textwrap.fill(AXIS[c], 20) if phone else AXIS[c], fontsize=SMALL)  # a phone's panel is short
        ax.tick_params(labelsize=TEXT)
        ax.set_xlim(first - 0.5, last + 0.5)
        year_axis(ax, first, last)
        if phone:  # a phone scrolls: years under every panel (shared, they would be under the last only)
            ax.tick_params(labelbottom=True)
    marks = []
    for ax in axes.flat:  # a line per reorganisation, hidden until a profile needs them; the key names them
        marks.append([ax.axvline(first, color="#555555", ls=REORGANISED, lw=1.5, visible=False) for _ in range(2)])
    handles = [lines[next(iter(MEASURES))][i] for i in range(4)]
    if first <= PANDEMIC <= last:
        handles.append(Patch(color="#e8e8e8", label=contract.year_label(PANDEMIC) + " (pandemic)"))
    handles.append(Line2D([], [], color="#555555", ls=REORGANISED, lw=1.5))  # named when the authority has one
    legend = fig.legend(
        handles,
        [""] * len(handles),
        loc="lower left",
        ncol=1 if phone else 2,
        frameon=False,
        fontsize=TEXT,
        bbox_to_anchor=(0.01, 0.035 if phone else 0.04),  # above the lines of the source
    )
    if first <= PANDEMIC <= last:
        legend.get_texts()[4].set_text(contract.year_label(PANDEMIC) + " (pandemic)")
    if phone:
        canvas = Canvas(fig, left=0.23, right=0.95, bottom=0.17, top=0.93, hspace=0.42)
        canvas.WRAP = 60
    else:
        canvas = Canvas(fig, left=0.1, right=0.95, bottom=0.19, top=0.905, hspace=0.32, wspace=0.32)
    canvas.title.set_fontsize(TEXT + 2)
    canvas.source.set_fontsize(SMALL - 2)
    return canvas, list(axes.flat), lines, legend, marks


#: The dash of the line that marks a reorganisation.
REORGANISED = (0, (1, 2))

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
    fig, ax = plt.subplots(figsize=(10, 7))
    rng = np.random.default_rng(20190101)
    for i, c in enumerate(MEASURES):
        v = rel[c].dropna()
        ax.scatter(v, i + rng.uniform(-0.25, 0.25, len(v)), s=16, color="#b8b8b8", lw=0)  # solid: fewer colours
    pal = figures.colours(1)
    nbrs = ax.scatter([], [], s=50, color=pal[0], marker="D", lw=0, label="Statistical neighbours", zorder=4)
    own = ax.scatter([], [], s=160, color=figures.HIGHLIGHT, edgecolor="black", lw=1, label="This authority", zorder=5)
    ax.set_xscale("log", base=2)
    ticks = [t for t in (REL_FLOOR, 0.25, 0.5, 1, 2, 4, 8) if rel.min().min() / 1.5 <= t <= rel.max().max() * 1.5]
    ax.set_xlim(left=min(ticks[0], rel.min().min()) / 1.15)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"×{x:g}"))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.set_yticks(range(len(MEASURES)), [SHORT[c] for c in MEASURES], fontsize=TEXT)
    ax.tick_params(axis="x", labelsize=TEXT)
    ax.invert_yaxis()
    ax.axvline(1, color="#333333", lw=1, ls=":")
    ax.set_xlabel(f"× the median authority (log scale; below ×{REL_FLOOR:g} drawn at ×{REL_FLOOR:g})", fontsize=SMALL)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=TEXT)
    canvas = Canvas(fig, left=0.3, right=0.96, bottom=0.2, top=0.8)  # room for a title of two lines and the key
    canvas.title.set_fontsize(TEXT + 2)
    canvas.source.set_fontsize(SMALL - 2)
    return canvas, own, nbrs


@functools.cache
def _spending_canvas():
    """Stacked bars for four groups (the authority, its neighbours, its region, England)."""
    import matplotlib.pyplot as plt

    figures.setup()
    fig, ax = plt.subplots(figsize=(10, 6.2))
    pal = figures.colours(len(SPEND_SHOWN))
    rows = np.arange(4)
    bars = [
        ax.barh(rows, np.zeros(4), color=colour, label=SPEND_LABELS[c], edgecolor="white", lw=0.5)
        for colour, c in zip(pal, SPEND_SHOWN)
    ]
    ax.set_yticks(rows, [""] * 4)
    ax.set_ylim(3.6, -0.6)  # the authority on top
    labels = [ax.text(-2, y, "", ha="right", va="center", fontsize=TEXT) for y in rows]
    ax.set_xlim(0, 100)
    ax.tick_params(axis="x", labelsize=TEXT)
    ax.set_xlabel("Share of spending on children's social care (%)", fontsize=SMALL)
    ax.legend(loc="upper left", bbox_to_anchor=(-0.45, -0.22), ncol=2, frameon=False, fontsize=TEXT)
    canvas = Canvas(fig, left=0.33, right=0.96, bottom=0.5, top=0.9)
    canvas.title.set_fontsize(TEXT + 2)
    canvas.source.set_fontsize(SMALL - 2)
    return canvas, [list(b.patches) for b in bars], labels
