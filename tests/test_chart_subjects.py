"""No chart hides its subject: on every chapter chart, the highlighted authority's marks lie inside the
axes' limits, for the synthetic authorities that stress a chart most (the smallest, the largest, the
lowest and highest rates)."""

from __future__ import annotations

import importlib

import matplotlib.colors as mcolors
import numpy as np
import pytest

from cscbook.chapters import context as chapter
from cscbook.present import figures
from tests.conftest import chapter_figures, extreme_authorities

CHAPTERS = ["demand", "variation", "ofsted", "preventative"]


def _is_highlight(colour) -> bool:
    try:
        return np.allclose(mcolors.to_rgba(colour)[:3], mcolors.to_rgb(figures.HIGHLIGHT), atol=0.02)
    except (ValueError, TypeError):
        return False


def hidden_marks(fig) -> tuple[list[str], int]:
    """Each highlighted line or point of ``fig`` that lies outside its axes' limits, and how many there are."""
    out, seen = [], 0
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        points = []
        for line in ax.get_lines():
            if _is_highlight(line.get_color()):
                points += list(zip(np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)))
        for coll in ax.collections:
            faces = coll.get_facecolors()
            if len(faces) and all(_is_highlight(c) for c in faces):
                points += [tuple(p) for p in np.asarray(coll.get_offsets(), float)]
        seen += len(points)
        for x, y in points:
            if np.isfinite(x) and np.isfinite(y) and not (x0 <= x <= x1 and y0 <= y <= y1):
                out.append(
                    f"{ax.get_title() or (fig._suptitle.get_text() if fig._suptitle else 'chart')}: ({x:g}, {y:g}) outside x {x0:g}-{x1:g}, y {y0:g}-{y1:g}"
                )
    return out, seen


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_the_highlighted_authority_is_on_every_chart(name, england, panel_dir):
    module = importlib.import_module(f"cscbook.chapters.{name}")
    shown, seen = [], 0
    for code in extreme_authorities(england):
        ctx = chapter.load(name, {"panel_dir": str(panel_dir), "data": "synthetic", "highlight": code})
        res = module.results(ctx)
        for field, fig in chapter_figures(res):
            hidden, n = hidden_marks(fig)
            shown += [f"{code} {field} {m}" for m in hidden]
            seen += n
    assert seen > 0, "no highlighted mark found: the check would pass on anything"
    assert shown == []


@pytest.mark.slow
def test_the_highlighted_authority_is_on_the_decomposition_charts(england, panel_dir):
    """The model is fitted once (the highlight changes no estimate); each extreme authority is then drawn on
    the chart of authority effects, the one chart that marks it."""
    from cscbook.chapters import decomposition
    from cscbook.chapters.decomposition import charts

    values = {"panel_dir": str(panel_dir), "data": "synthetic", "n_boot": 20}
    codes = extreme_authorities(england)
    res = decomposition.results(chapter.load("decomposition", {**values, "highlight": codes[0]}))
    shown, seen = [], 0
    for code in codes:
        fig = charts.fig_effects(chapter.load("decomposition", {**values, "highlight": code}), res)
        hidden, n = hidden_marks(fig.fig)
        shown += [f"{code} {m}" for m in hidden]
        seen += n
    assert seen > 0, "no highlighted mark found: the check would pass on anything"
    assert shown == []


def test_the_check_finds_a_highlight_drawn_off_the_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1, 2, 30], color=figures.HIGHLIGHT)
    ax.scatter([2], [50], color=figures.HIGHLIGHT)
    ax.plot([1, 2], [1, 2], color="#000000")
    ax.set_ylim(0, 10)
    hidden, seen = hidden_marks(fig)
    plt.close(fig)
    assert seen == 4 and len(hidden) == 2


def test_one_outlier_is_named_at_the_edge_unless_it_is_the_subject():
    import matplotlib.pyplot as plt
    import pandas as pd

    values = pd.Series([700, 750, 800, 820, 850, 900, 950, 1000, 1050, 3575], index=list("abcdefghij"))
    names = dict(zip(values.index, [*"ABCDEFGHI", "City of London"]))
    fig, ax = plt.subplots()
    ax.scatter([0] * len(values), values)
    assert figures.clip_high(ax, values, names) == ["City of London"]
    assert ax.get_ylim()[1] < 3575 and "City of London" in " ".join(t.get_text() for t in ax.texts)
    fig2, ax2 = plt.subplots()
    ax2.scatter([0] * len(values), values)
    assert figures.clip_high(ax2, values, names, keep=3575) == [] and ax2.get_ylim()[1] >= 3575
    plt.close(fig)
    plt.close(fig2)
