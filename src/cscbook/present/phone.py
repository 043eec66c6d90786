"""A figure's phone layout: panels drawn side by side for a laptop are drawn one under another for a phone's
narrow screen (see :class:`cscbook.present.figures.Figure`, which keeps both and lets the page choose)."""

from __future__ import annotations

import textwrap

import numpy as np

from cscbook.present import layout

#: A phone's chart is drawn this wide (inches; at the book's DPI about 440 pixels, shown at 330 to 400).
WIDTH = 4.0
#: The screens that get a chart's phone layout instead of its panels side by side.
MEDIA = "(max-width: 640px)"


def phone_layout(fig, width: float = WIDTH) -> None:
    """Lay a finished figure out for a phone, in place: its panels one under another in reading order; the
    title, the source line and the keys wrapped to the narrower width; a key for every panel under the title
    (:func:`top_key`), any other key of the figure (or of a panel that only holds a key) under the last panel,
    and the source line under everything. Each panel keeps its tick labels, except that more than four panels
    sharing a year axis label it on the last only. A panel whose labels do not fit widens the figure."""
    import warnings

    from matplotlib.gridspec import GridSpec

    for a in [a for a in fig.axes if a.get_visible() and not a.axison and a.get_legend() is not None]:
        _key_to_figure(a)  # a panel that only holds a key: the key goes under the panels, with the figure's
    shown = layout.panels(fig)
    w0, h0 = fig.get_size_inches()
    boxes = {a: a.get_position() for a in shown}
    shown.sort(key=lambda a: (-round(boxes[a].y1, 2), round(boxes[a].x0, 2)))  # reading order
    many = len(shown) > 4
    shape = float(np.median([boxes[a].height * h0 / (boxes[a].width * w0) for a in shown]))
    panel_h = min(max(shape * width * 0.8, 1.6), 1.5 if many else 2.6)
    grid = GridSpec(len(shown), 1, figure=fig)
    for n, a in enumerate(shown):
        if a.get_subplotspec() is not None:
            a.set_subplotspec(grid[n])
        else:
            a.set_position(grid[n].get_position(fig))
        shared_x = a.get_shared_x_axes().get_siblings(a) != [a]
        a.tick_params(labelleft=True, labelbottom=not (many and shared_x) or a is shown[-1])
        if not a.get_ylabel() and a.get_shared_y_axes().get_siblings(a) != [a]:  # only the left column had it
            named = [b.get_ylabel() for b in a.get_shared_y_axes().get_siblings(a) if b.get_ylabel()]
            a.set_ylabel(named[0] if named else "", fontsize=a.yaxis.label.get_fontsize())
    title = getattr(fig, "_suptitle", None)
    source = [t for t in fig.texts if t is not title and t.get_text().startswith("Source:")]
    keys = [*fig.legends, *(a.get_legend() for a in shown if a.get_legend() is not None)]
    height = len(shown) * (panel_h + 0.7) + 1.2
    for _ in range(6):  # at most a few passes: each measures the drawn layout and corrects the size
        fig.set_size_inches(width, height)
        _wrap(title, width, 0.62)
        for t in source:
            _wrap(t, width, 0.55)
        renderer = layout.drawn_renderer(fig)  # once a pass: a legend measures itself undrawn
        for legend in keys:
            _wrap(legend.get_title(), width, 0.55)
            _fit_columns(legend, fig.bbox.width, renderer)
        if title is not None:
            title.set(y=1.0, va="top")
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            fig.tight_layout()  # makes room for the title and a label for every panel (supylabel)
        drawn = [a.get_position() for a in shown]
        if any("not applied" in str(w.message) for w in said) or min(b.width for b in drawn) < 0.5:
            width += 0.75  # a panel's labels leave it too little room: widen the figure
            continue
        short = panel_h - min(b.height for b in drawn) * height
        if abs(short) < 0.1:
            break
        height += short * len(shown)
    layout.room_for_key(fig)
    for a in shown:
        if a.get_legend() is not None:
            _clear_legend(fig, a)
    to_fig, renderer = fig.transFigure.inverted(), layout.drawn_renderer(fig)  # drawn once: a key finds its place
    low = min(to_fig.transform(a.get_tightbbox(renderer))[0][1] for a in shown)  # when asked, undrawn
    for legend in [lg for lg in fig.legends if not getattr(lg, "cscbook_top", False)]:
        legend.set_loc("upper left")
        legend.set_bbox_to_anchor((0.0, low - 0.005), transform=fig.transFigure)
        low = to_fig.transform(legend.get_window_extent(renderer))[0][1]
    for t in source:
        t.set(position=(0.01, low - 0.01), va="top")


def _key_to_figure(ax) -> None:
    """Turn the key a panel without axes holds into the figure's key, and hide the panel."""
    legend = ax.get_legend()
    title = legend.get_title()
    ax.figure.legend(
        list(legend.legend_handles),
        [t.get_text() for t in legend.get_texts()],
        ncols=legend._ncols,
        frameon=legend.get_frame_on(),
        fontsize=legend._fontsize,
        title=title.get_text() or None,
        title_fontsize=title.get_fontsize(),
    )
    ax.set_visible(False)


def _clear_legend(fig, ax) -> None:
    """Move a panel's legend, if it covers the panel's lines or labels, to the first corner that covers none."""
    legend, renderer = ax.get_legend(), layout.drawn_renderer(fig)
    for loc in ("current", "upper left", "upper right", "lower right", "lower left", "center left", "center right"):
        if loc != "current":
            legend.set_loc(loc)
        if not layout.legend_faults(fig, legend, [ax], renderer):
            return
    legend.set_loc("upper left")
    legend.set_bbox_to_anchor((0.0, -0.15), transform=ax.transAxes)  # nowhere inside: under the panel


def _wrap(text, width: float, glyph: float) -> None:
    """Wrap a text to ``width`` inches at a glyph width of ``glyph`` times its font size (bold is wider)."""
    if text is not None and text.get_text():
        chars = max(20, int(width * 72 / (text.get_fontsize() * glyph)))
        text.set_text(textwrap.fill(" ".join(text.get_text().split()), chars))
        text.set_wrap(False)


def _fit_columns(legend, width: float, renderer) -> None:
    """Refold a legend into the most columns (no more than it has) that keep it within ``width`` pixels."""
    handles, texts = list(legend.legend_handles), legend.get_texts()
    labels, colours = [t.get_text() for t in texts], [t.get_color() for t in texts]
    title = legend.get_title()
    title_text, title_font = title.get_text(), title.get_fontproperties().copy()
    while legend._ncols > 1 and legend.get_window_extent(renderer).width > width:
        legend._ncols -= 1  # matplotlib packs the columns when a legend is made: pack them again
        legend._init_legend_box(handles, labels)
        legend._legend_box.set_offset(legend._findoffset)  # placed as before (a legend does this when drawn)
        legend.set_title(title_text, prop=title_font)
        for t, colour in zip(legend.get_texts(), colours):
            t.set_color(colour)
