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

from cscbook.present import phone  # noqa: E402
from cscbook.present.layout import (  # noqa: E402, F401  (the book's charts name them as figures.*)
    _top_keys,
    collisions,
    drawn_renderer,
    legend_overlaps,
    panels,
    room_for_key,
    top_key,
)

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
        title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
        self.stem = name or slug(title)
        buf, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
        self.png, self.svg = compact_png(buf.getvalue()), svg.getvalue()
        self.phone_fig, self.phone_png = None, b""
        if column_count(fig) > 1:  # panels side by side: a phone gets them one under another
            import pickle

            self.phone_fig = pickle.loads(pickle.dumps(fig))  # a copy: the desktop layout stays checkable
            phone.phone_layout(self.phone_fig)
            buf = io.BytesIO()
            self.phone_fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
            self.phone_png = compact_png(buf.getvalue())
            plt.close(self.phone_fig)
        plt.close(fig)

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode()
        img = f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" style="max-width:100%" data-cscbook-zoom="1"/>'
        if self.phone_png:  # a phone's screen shows the panels one under another (the site writes both as files)
            small = base64.b64encode(self.phone_png).decode()
            img = f'<picture><source media="{phone.MEDIA}" srcset="data:image/png;base64,{small}">{img}</picture>'
        return f'<div class="cscbook-figure">{img}{self.downloads()}</div>'

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


def column_count(fig) -> int:
    """How many columns of panels a figure draws side by side."""
    return len({round(a.get_position().x0, 2) for a in panels(fig)})


def panel_count(fig) -> int:
    """How many panels a figure draws side by side or in a grid (visible axes with their frame)."""
    return len(panels(fig))


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
    room_for_key(fig)
    return Figure(fig, alt=alt, source=f"Source: {source}", name=name, data=data)
