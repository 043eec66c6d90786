"""Where a figure's words and keys sit once drawn: a key between the title and the panels, and the checks that
find labels that collide and keys drawn over lines or words (:func:`collisions`). Used by the book's figures
and by their phone layout."""

from __future__ import annotations

import numpy as np


def panels(fig) -> list:
    """A figure's panels: its visible axes that draw their frame (not a hidden slot, nor one that only holds a key)."""
    return [a for a in fig.axes if a.get_visible() and a.axison]


def drawn_renderer(fig):
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


def room_for_key(fig) -> None:
    """Move a :func:`top_key` under the title, and the panels (with their titles) under it."""
    keys = _top_keys(fig)
    if not keys:
        return
    to_fig = fig.transFigure.inverted()
    renderer = drawn_renderer(fig)
    title = to_fig.transform(fig._suptitle.get_window_extent(renderer))[0][1] if fig._suptitle else 1.0
    keys[0].set_bbox_to_anchor((0.5, title), transform=fig.transFigure)  # a key finds its place when asked: no redraw
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
    shown = [a for a in fig.axes if a.get_visible()]
    legends = [(a.get_legend(), [a]) for a in shown] + [(lg, shown) for lg in fig.legends]
    found = [f for lg, under in legends if lg is not None for f in legend_faults(fig, lg, under, renderer, pad)]
    for a in shown:
        lines = [(ln, _line_points(a, ln)) for ln in _data_lines(a)]
        for t in [t for t in a.texts if t.get_visible() and t.get_text().strip()]:
            b = t.get_window_extent(renderer)
            found += [
                f"the label {t.get_text()[:40]!r} is drawn over {_name(ln)[:40]!r}"
                for ln, pts in lines
                if len(pts) and _over(pts, b, pad)
            ]
    return found


def legend_faults(fig, legend, under, renderer, pad: float = 1.0) -> list[str]:
    """What ``legend`` is drawn over: a point of a line of the panels ``under`` it, or any label of ``fig``."""
    if not legend.get_visible():
        return []
    box = legend.get_window_extent(renderer)
    found = [
        f"the legend is drawn over {_name(ln)[:40]!r}"
        for a in under
        for ln in _data_lines(a)
        if len(pts := _line_points(a, ln)) and _over(pts, box, pad)
    ]
    return found + [
        f"the legend is drawn over the {role} {t.get_text()[:40]!r}"
        for _, role, t in _labels(fig)
        if (b := t.get_window_extent(renderer)).x0 + pad < box.x1
        and box.x0 + pad < b.x1
        and b.y0 + pad < box.y1
        and box.y0 + pad < b.y1
    ]


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
    renderer = drawn_renderer(fig)
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
