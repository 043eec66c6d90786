"""One figure style for the whole book: seaborn, a colour-blind-safe palette, a title that states
the finding, axes with units, a source line, and alt text.

Figures are shown as HTML (an <img> carrying its alt text), with PNG metadata fixed so that the same
inputs give byte-identical images. Chapters glue them and show them with ``{glue:figure}``, which
adds the number and caption.

Colours: series take ``colours(n)``, the seaborn "colorblind" palette without the three colours that
have another job or too little contrast: vermilion is ``HIGHLIGHT`` (the highlighted authority
only), grey is close to ``MUTED`` (reference lines and context), and yellow is too pale on white.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = "colorblind"
HIGHLIGHT = "#d55e00"  # vermilion, from the colour-blind-safe palette
MUTED = "#9a9a9a"
DPI = 110
_RESERVED = {"#d55e00", "#949494", "#ece133"}  # HIGHLIGHT, near MUTED, too pale on white
SERIES = [c for c in sns.color_palette(PALETTE, 10).as_hex() if c not in _RESERVED]


def setup() -> None:
    """Apply the book's theme (call once per notebook), and fix the random state seaborn uses for jitter."""
    np.random.seed(20190101)
    sns.set_theme(style="whitegrid", palette=SERIES, context="notebook")
    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.titlelocation": "left",
            "svg.hashsalt": "cscbook",
            "svg.fonttype": "none",  # text in an SVG download stays text, editable on a slide
            "text.parse_math": False,  # a '$' in a name from the data is text, never mathematics
        }
    )


def colours(n: int) -> list:
    """``n`` series colours from the colour-blind-safe palette, never the highlight colour.

    More than the seven distinct colours repeats them; a chart with that many series must tell
    them apart by line style or label as well.
    """
    return sns.color_palette(SERIES, n)


def text_colour(background) -> str:
    """Black or white, whichever contrasts more with ``background`` (the WCAG ratio the site check uses)."""
    from cscbook.present.colour import contrast_ratio

    rgb = tuple(c * 255 for c in matplotlib.colors.to_rgb(background))
    return "black" if contrast_ratio(rgb, (0, 0, 0)) > contrast_ratio(rgb, (255, 255, 255)) else "white"


def box_points(ax, data=None, *, x=None, y=None, order=None, colour=None, width: float = 0.55, size: float = 3) -> None:
    """The book's distribution plot: a pale box with every authority as a point (no outlier markers)."""
    box = {"color": colour or colours(1)[0], "fliersize": 0, "boxprops": {"alpha": 0.35}, "width": width}
    sns.boxplot(data, x=x, y=y, order=order, ax=ax, **box)
    sns.stripplot(data, x=x, y=y, order=order, ax=ax, color="#333333", size=size, alpha=0.6, jitter=0.2)


def clip_high(ax, values, names, keep: float | None = None, k: float = 4.0, fmt: str = "{:,.0f}") -> list[str]:
    """Stop one outlier squeezing a panel: values beyond the upper quartile plus ``k`` interquartile ranges
    are named with their value at the top of the panel (and not drawn), and the axis ends just above the rest.
    ``keep`` (the highlighted authority's value) is never clipped. Returns the names clipped."""
    import pandas as pd

    v = pd.Series(values, dtype="float64").dropna()
    if len(v) < 8:
        return []
    q1, q3 = v.quantile([0.25, 0.75])
    cap = max(q3 + k * (q3 - q1), keep if keep is not None else -np.inf)
    over = v[v > cap]
    if over.empty:
        return []
    low, highest = ax.get_ylim()[0], v[v <= cap].max()
    band = 0.13 * len(over) + 0.05  # the top of the panel, kept clear of data for the names
    ax.set_ylim(low, low + (highest - low) / (1 - band))
    shown = []
    for i, (idx, value) in enumerate(over.sort_values(ascending=False).items()):
        name = str(names.get(idx, idx)) if hasattr(names, "get") else str(idx)
        ax.text(0.04, 0.985 - 0.11 * i, f"▲ {name}\n{fmt.format(value)}, off scale", transform=ax.transAxes,
                fontsize=7, ha="left", va="top", color="#333333")  # fmt: skip
        shown.append(name)
    return shown


def label_ends(ax, ends: list[tuple[str, float, float, str]], room: float = 2.8, size: float = 9) -> None:
    """Name each line at its last point instead of in a legend: ``ends`` holds (label, x, y, colour).
    Labels are spread apart so that none overlaps the next, and the x-axis is widened by ``room``."""
    ends = sorted((e for e in ends if np.isfinite(e[2])), key=lambda e: e[2])
    if not ends:
        return
    low, high = sorted(ax.get_ylim())  # an inverted axis (ranks) spreads the same way
    gap = (high - low) * 0.055
    placed: list[float] = []
    for _, _, y, _ in ends:
        placed.append(max(y, placed[-1] + gap) if placed else y)
    shift = max(0.0, placed[-1] - high + gap / 2)  # keep the top label inside the axes
    for (label, x, _, colour), y in zip(ends, placed):
        ax.text(x + 0.15 * min(room, 1), y - shift, label, color=colour, fontsize=size, va="center", ha="left")
    left, right = ax.get_xlim()
    ax.set_xlim(left, max(right, max(e[1] for e in ends) + room))


def mark(ax, x: float, y: float, label: str) -> None:
    """Mark the highlighted authority on an axis: a ringed point and its name (none if ``label`` is empty:
    on narrow panels, name it once with :func:`mark_key` instead)."""
    ax.scatter([x], [y], s=75, color=HIGHLIGHT, edgecolor="black", linewidth=0.8, zorder=5)
    if label:
        ax.annotate(
            label, (x, y), xytext=(7, 5), textcoords="offset points", fontsize=8, color=HIGHLIGHT, fontweight="bold"
        )


def mark_key(ax, label: str) -> None:
    """Name the highlighted authority once, in a key between the figure's title and its panels (see
    :func:`top_key`), for panels too narrow or too crowded to name it beside its point."""
    from matplotlib.lines import Line2D

    if _top_keys(ax.figure):
        return  # named once for the figure
    point = Line2D([], [], ls="", marker="o", ms=9, color=HIGHLIGHT, markeredgecolor="black", markeredgewidth=0.8)
    top_key(ax.figure, [point], [label], ncol=1)


#: Colours a chart's PNG keeps: charts have few colours and antialiased edges, so an adaptive palette of
#: this many looks the same and takes about a third of the bytes of full colour.
PNG_COLOURS = 128


def compact_png(png: bytes | None = None, image=None) -> bytes:
    """A chart's PNG (given as bytes or as a PIL image) in an adaptive palette, deterministically."""
    from PIL import Image

    im = image if image is not None else Image.open(io.BytesIO(png))
    out = io.BytesIO()
    im.convert("RGB").quantize(colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE).save(out, "png", compress_level=6)
    return out.getvalue()


class Figure:
    """A finished figure: renders as an <img> with its alt text (the title and source line are in the image),
    then a line of downloads: the PNG, the SVG (text kept as text, for slides) and, when given, the data
    drawn, as CSV. The site writes each as a file (see book/_ext)."""

    def __init__(self, fig, alt: str, source: str, name: str = "", data=None):
        self.fig, self.alt, self.source, self.name, self.data = fig, alt, source, name, data
        self.panels = panel_count(fig)
        title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
        self.stem = name or slug(title)
        buf, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
        self.png, self.svg = compact_png(buf.getvalue()), svg.getvalue()

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode()
        panels = " cscbook-panels" if self.panels > 1 else ""  # side by side: a phone swipes them
        return (
            f'<div class="cscbook-figure{panels}"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(self.alt)}" style="max-width:100%" data-cscbook-zoom="1"/>'
            f"{self.downloads()}</div>"
        )

    def downloads(self) -> str:
        """The figure's download line: each file as a base64 link the site turns into a file."""
        from cscbook.fsutil import csv_safe

        files = [("PNG", "image/png", self.png, "png")]
        if self.svg:
            files.append(("SVG", "image/svg+xml", self.svg, "svg"))
        if self.data is not None:
            import pandas as pd

            table = self.data if isinstance(self.data.index, pd.RangeIndex) else self.data.reset_index()
            table = csv_safe(table.round(2))
            files.append(("data (CSV)", "text/csv", table.to_csv(index=False).encode(), "csv"))
        links = " · ".join(
            f'<a href="data:{mime};base64,{base64.b64encode(raw).decode()}" download="{self.stem}.{ext}">{label}</a>'
            for label, mime, raw, ext in files
        )
        return f'<p class="cscbook-downloads">Download this chart: {links}</p>'

    def __repr__(self) -> str:
        """The plain-text form of the figure (what a text-only display shows): its alt text."""
        return f"Figure: {self.alt}"

    def save(self, path) -> None:
        with open(path, "wb") as fh:
            fh.write(self.png)


def panel_count(fig) -> int:
    """How many panels a figure draws side by side or in a grid (visible axes with their frame)."""
    return sum(1 for ax in fig.axes if ax.get_visible() and ax.axison)


def slug(text: str) -> str:
    """A file name from a title: lower case, words joined by hyphens, at most 60 characters."""
    import re

    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:60].rstrip("-") or "chart"


def finish(fig, title: str, alt: str, source: str, name: str = "", data=None) -> Figure:
    """Title the figure with its finding, add the source line, and wrap it for display; ``data``: the table
    drawn, offered as CSV beside the chart."""
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12, wrap=True)  # wraps at the figure's edge
    # wrapped to the figure's width (about 15 characters an inch at 8 points), so that it never widens the image
    line = textwrap.fill(f"Source: {source}", max(40, int(fig.get_figwidth() * 15)))
    fig.text(0.01, -0.01, line, ha="left", va="top", fontsize=8, color="#444444")
    fig.tight_layout()
    _room_for_key(fig)
    return Figure(fig, alt=alt, source=f"Source: {source}", name=name, data=data)


def _renderer(fig):
    """The figure drawn, and its renderer (a closed figure keeps only the base canvas: give it one)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def top_key(fig, handles, labels, ncol: int = 3) -> None:
    """A key for every panel of a figure, between its title and its panels (:func:`finish` makes the room)."""
    legend = fig.legend(handles, labels, loc="upper center", ncol=ncol, frameon=False, fontsize=9)
    legend.cscbook_top = True


def _top_keys(fig) -> list:
    """The figure's keys made by :func:`top_key`."""
    return [lg for lg in fig.legends if getattr(lg, "cscbook_top", False)]


def _room_for_key(fig) -> None:
    """Move a :func:`top_key` under the title, and the panels (with their titles) under it."""
    keys = _top_keys(fig)
    if not keys:
        return
    to_fig = fig.transFigure.inverted()
    renderer = _renderer(fig)
    title = to_fig.transform(fig._suptitle.get_window_extent(renderer))[0][1] if fig._suptitle else 1.0
    keys[0].set_bbox_to_anchor((0.5, title), transform=fig.transFigure)
    renderer = _renderer(fig)
    bottom = to_fig.transform(keys[0].get_window_extent(renderer))[0][1]
    shown = [a for a in fig.axes if a.get_visible()]
    top = max(a.get_position().y1 for a in shown)  # the panels' frames
    reach = max(to_fig.transform(a.get_tightbbox(renderer))[1][1] for a in shown)  # with their titles
    if reach > bottom - 0.01:
        fig.subplots_adjust(top=top - (reach - bottom + 0.01))


def _shown(ticks, limits, axis: int) -> list:
    """The tick labels inside the axis' limits: matplotlib keeps labels for ticks it does not draw."""
    low, high = sorted(limits)
    slack = (high - low) * 1e-9
    return [t for t in ticks if low - slack <= t.get_position()[axis] <= high + slack]


def _labels(fig) -> list[tuple[object, str, object]]:
    """A figure's drawn labels as (owner, role, text): the owner is the figure or a panel's index."""
    title = getattr(fig, "_suptitle", None)
    out = [("figure", "title", title)] if title is not None else []
    out += [("figure", "note", t) for t in fig.texts if t is not title]
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        out += [(i, "title", t) for t in (ax.title, ax._left_title, ax._right_title)]
        out += [(i, "xlabel", ax.xaxis.label), (i, "ylabel", ax.yaxis.label)]
        out += [(i, "text", t) for t in ax.texts]
        out += [(i, "xtick", t) for t in _shown(ax.get_xticklabels(), ax.get_xlim(), 0)]
        out += [(i, "ytick", t) for t in _shown(ax.get_yticklabels(), ax.get_ylim(), 1)]
    return [(o, r, t) for o, r, t in out if t.get_visible() and t.get_text().strip()]


def _line_points(ax, line):
    """A line's points in pixels: its vertices and, where it is drawn as a line, points along each segment."""
    import numpy as np

    xy = np.asarray(line.get_xydata(), dtype=float)  # units (years as text) already converted
    if len(xy) > 1 and line.get_linestyle() not in ("None", "none", " ", ""):
        t = np.linspace(0, 1, 12)[:, None, None]
        xy = (xy[:-1] * (1 - t) + xy[1:] * t).reshape(-1, 2)
    return ax.transData.transform(xy[np.isfinite(xy).all(axis=1)]) if len(xy) else np.empty((0, 2))


def _data_lines(ax):
    """The lines a panel plots in data coordinates (not a marker line across the whole panel)."""
    return [ln for ln in ax.get_lines() if ln.get_visible() and ln.get_transform() == ax.transData]


def _over(pts, box, pad) -> bool:
    return bool(
        (
            (pts[:, 0] > box.x0 + pad)
            & (pts[:, 0] < box.x1 - pad)
            & (pts[:, 1] > box.y0 + pad)
            & (pts[:, 1] < box.y1 - pad)
        ).any()
    )


def legend_overlaps(fig, renderer, pad: float = 1.0) -> list[str]:
    """What is drawn over a chart's data or words: a legend (a panel's, or the figure's) over any point of a line
    plotted in data coordinates (markers, or the segments between them) or over any label; a placed label
    (``ax.text``) over a line."""
    found = []
    shown = [a for a in fig.axes if a.get_visible()]
    lines = {a: [(ln, _line_points(a, ln)) for ln in _data_lines(a)] for a in shown}
    labels = [(role, t, t.get_window_extent(renderer)) for _, role, t in _labels(fig)]
    legends = [(a.get_legend(), [a]) for a in shown] + [(lg, shown) for lg in fig.legends]
    for legend, under in [(lg, u) for lg, u in legends if lg is not None and lg.get_visible()]:
        box = legend.get_window_extent(renderer)
        found += [
            f"the legend is drawn over {_name(ln)[:40]!r}"
            for a in under
            for ln, pts in lines[a]
            if len(pts) and _over(pts, box, pad)
        ]
        found += [
            f"the legend is drawn over the {role} {t.get_text()[:40]!r}"
            for role, t, b in labels
            if b.x0 + pad < box.x1 and box.x0 + pad < b.x1 and b.y0 + pad < box.y1 and box.y0 + pad < b.y1
        ]
    for a in shown:
        for t in [t for t in a.texts if t.get_visible() and t.get_text().strip()]:
            b = t.get_window_extent(renderer)
            found += [
                f"the label {t.get_text()[:40]!r} is drawn over {_name(ln)[:40]!r}"
                for ln, pts in lines[a]
                if len(pts) and _over(pts, b, pad)
            ]
    return found


def _name(line) -> str:
    return line.get_label() if not str(line.get_label()).startswith("_") else "a line"


def collisions(fig, pad: float = 1.0, inside: bool = False) -> list[str]:
    """Labels of ``fig`` that overlap once drawn, each pair said as "'A' (role) overlaps 'B' (role)".

    Checked: a title (the figure's or a panel's) and the source line against every other label, each panel's
    labels against another panel's, the labels a chart places (``ax.text``) against each other, and each
    legend against the lines and labels of its panel. A panel's own tick and axis labels are matplotlib's to
    place.
    ``pad`` pixels of touching are allowed. ``inside``: a figure drawn at a fixed size (no tight bounding
    box, so a label past the edge is cut off) also reports each label that runs off it."""
    renderer = _renderer(fig)
    labels = [(o, r, t, t.get_window_extent(renderer)) for o, r, t in _labels(fig)]
    edge, found = fig.bbox, []
    if inside:
        found = [
            f"'{t.get_text()[:40]}' ({r}) runs off the figure"
            for _, r, t, b in labels
            if b.x0 < edge.x0 - pad or b.x1 > edge.x1 + pad or b.y0 < edge.y0 - pad or b.y1 > edge.y1 + pad
        ]
    found += legend_overlaps(fig, renderer, pad)
    for n, (o1, r1, t1, b1) in enumerate(labels):
        for o2, r2, t2, b2 in labels[n + 1 :]:
            checked = o1 != o2 or "title" in (r1, r2) or "note" in (r1, r2) or r1 == r2 == "text"
            if not checked or r1 == r2 == "title" and o1 == o2:
                continue
            if b1.x0 + pad < b2.x1 and b2.x0 + pad < b1.x1 and b1.y0 + pad < b2.y1 and b2.y0 + pad < b1.y1:
                found.append(f"'{t1.get_text()[:40]}' ({r1}) overlaps '{t2.get_text()[:40]}' ({r2})")
    return found
