"""No chart's labels collide: a title (the figure's or a panel's) and the source line never overlap another
label, and one panel's labels never run into the next panel's. Checked on the drawn figure objects of every
chapter chart, for synthetic England and for the real edition, and on the profile canvases for the
authorities with the longest names and the most extreme values."""

from __future__ import annotations

import importlib
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from cscbook.chapters import context as chapter
from cscbook.present import figures

CHAPTERS = ["demand", "budgets", "variation", "ofsted", "preventative", "decomposition", "studies"]


def test_the_check_finds_a_title_drawn_over_a_neighbouring_panel():
    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
    left.plot(range(10), [v * 1000 for v in range(10)])
    right.plot(range(10), range(10))
    right.set_ylabel("A long label on the right panel's y-axis")
    left.set_title("A panel title long enough to run across into the right-hand panel")
    found = figures.collisions(fig)
    plt.close(fig)
    assert any("A panel title" in f and "(title)" in f for f in found), found


def test_a_clean_figure_has_no_collisions():
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.plot(range(10), range(10))
    left.set_title("Left")
    right.plot(range(10), range(10))
    right.set_title("Right")
    right.set_ylabel("count")
    fig.suptitle("A finding")
    fig.tight_layout()
    found = figures.collisions(fig)
    plt.close(fig)
    assert found == [], "\n".join(found)


def _chapter_collisions(name: str, values: dict) -> tuple[list[str], int]:
    """Every chart the chapter shows (all it glues), checked for labels that collide and for legends and labels
    drawn over its lines."""
    module = importlib.import_module(f"cscbook.chapters.{name}")
    values = {**values, "n_boot": 5} if name == "decomposition" else values
    ctx = chapter.load(name, values)
    module.glue_all(ctx, module.results(ctx))
    shown = [(k, v) for k, v in ctx.glued.items() if isinstance(v, figures.Figure) and v.fig is not None]
    drawn = [(k, v.fig) for k, v in shown] + [(f"{k} (phone)", v.phone_fig) for k, v in shown if v.phone_fig]
    side = [
        k
        for k, v in shown
        if figures.column_count(v.fig) > 1 and (v.phone_fig is None or figures.column_count(v.phone_fig) != 1)
    ]
    found = [f"{name} {field}: panels side by side with no phone layout of one column" for field in side]
    return found + [f"{name} {field}: {c}" for field, fig in drawn for c in figures.collisions(fig)], len(drawn)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_no_chapter_chart_has_colliding_labels(name, england, panel_dir, tmp_path, monkeypatch):
    """Synthetic England highlighting its largest authority, and the real edition highlighting the
    authority with one of the longest names (Kingston upon Hull, City of)."""
    monkeypatch.chdir(tmp_path)  # a chapter writes its downloads beside it
    last = england.panel[england.panel["year"] == england.panel["year"].max()]
    big = last.set_index("la_code")["pop_0_17"].astype(float).idxmax()
    found, n = _chapter_collisions(name, {"panel_dir": str(panel_dir), "data": "synthetic", "highlight": big})
    more, m = _chapter_collisions(name, {"highlight": "E06000010"})
    assert n > 0 and m > 0, "no figure found: the check would pass on anything"
    assert found + more == []


@pytest.mark.slow
def test_no_profile_chart_has_colliding_labels(latest):
    """The profile canvases keep one layout for every authority, so the longest names and the extremes
    (Blackpool, the Isles of Scilly, the City of London) must fit it: nothing overlaps, nothing runs off."""
    from cscbook import contract
    from cscbook.profiles import core as profiles
    from cscbook.profiles import figures as profile_figures

    folder, years = latest
    first, last = int(years[:4]), int(years[-4:])
    names = contract.read_prepared(Path(folder)).panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    longest = names.str.len().sort_values().index[-3:]
    found = []
    for code in ("E06000009", "E06000053", "E09000001", *longest):
        pf = profiles.Profile(folder, code, years)
        for draw in (profile_figures.series, profile_figures.positions, profile_figures.spending):
            draw(pf)  # each draws on its kept canvas, checked below as the profile left it
        canvases = [
            profile_figures._series_canvas(first, last)[0],
            profile_figures._series_canvas(first, last, True)[0],
            profile_figures._positions_canvas(pf.s.panel_key)[0],
            profile_figures._spending_canvas()[0],
        ]
        found += [f"{code}: {c}" for canvas in canvases for c in figures.collisions(canvas.fig, inside=True)]
    assert found == [], "\n".join(found)


def test_the_check_finds_a_legend_and_a_label_drawn_over_a_line():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(range(10), range(10), label="rising")
    ax.plot(range(10), [9 - v for v in range(10)], label="falling")
    ax.legend(loc="center")  # the lines cross under it
    ax.text(4.5, 4.5, "a note on the crossing")
    found = figures.collisions(fig)
    plt.close(fig)
    assert any("legend is drawn over 'rising'" in f for f in found), found
    assert any("label 'a note on the crossing' is drawn over" in f for f in found), found


def test_a_key_between_the_title_and_the_panels_clears_both():
    fig, axes = plt.subplots(1, 3, figsize=(8, 3))
    for ax in axes:
        ax.plot(range(5), range(5), label="one")
        ax.plot(range(5), [4 - v for v in range(5)], label="two")
        ax.set_title("A panel", loc="left")
    figures.top_key(fig, *axes[0].get_legend_handles_labels())
    figures.finish(fig, "A finding long enough to fill the width of the figure's top line", "alt", "a source")
    found = figures.collisions(fig)
    plt.close(fig)
    assert found == [], found
