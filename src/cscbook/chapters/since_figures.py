"""The marks and axes of the charts that carry a finding past 2017-18 (see :mod:`cscbook.chapters.since`): the
NAO's last year, the pandemic year, Ofsted's change of framework, the reorganisations of authorities, the change
from Table A1 to LAIT, and years as DfE writes them."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters import events
from cscbook.present import figures

NAO_END = reference.NAO_END
PANDEMIC = events.PANDEMIC


def shade_pandemic(ax, y: float, **label) -> None:
    """The pandemic year (2020-21) shaded, and named at height ``y`` (a fraction of the axes)."""
    ax.axvspan(PANDEMIC - 0.5, PANDEMIC + 0.5, color="#ececec", zorder=0, lw=0)
    ax.text(PANDEMIC, y, "pandemic", transform=ax.get_xaxis_transform(), ha="center", **label)


def mark_years(ax, a1_last: int | None = None, ilacs: bool = False, reorganised: bool = False) -> None:
    """A dashed line at the NAO's last year, the pandemic year (2020-21) shaded, and, for spending, a dotted
    line after the last Table A1 year. ``ilacs``: a line where Ofsted's ILACS framework began (January 2018),
    for charts of judgements; ``reorganised``: a triangle under each year that began with reorganised
    authorities, for charts of statistics across authorities (their number and areas change there)."""
    on_x = ax.get_xaxis_transform()
    shade_pandemic(ax, 0.02, fontsize=8, color="#555555")
    ax.axvline(NAO_END, color=figures.MUTED, ls="--", lw=1)
    ax.text(NAO_END, 1.0, " NAO's last year", transform=on_x, fontsize=8, va="top")
    if ilacs:
        x = events.ILACS + events.JANUARY
        ax.axvline(x, color=figures.MUTED, ls="-.", lw=1)
        ax.text(x, 0.10, " ILACS inspections from January 2018", transform=on_x, fontsize=8, ha="left")
    if reorganised:
        years = sorted({r.first_year for r in events.reorganisations()})
        ax.plot(years, [0.0] * len(years), "^", ms=7, color="#555555", transform=on_x, clip_on=False)
        ax.text(years[-1] + 0.15, 0.01, "reorganised", transform=on_x, fontsize=8, color="#555555")
    if a1_last is not None:
        ax.axvline(a1_last + 0.5, color=figures.MUTED, ls=":", lw=1.2)
        ax.text(a1_last + 0.5, 1.0, "Table A1 | LAIT", transform=ax.get_xaxis_transform(), fontsize=8, va="bottom",
                ha="center")  # fmt: skip  # above the panel: over no line


def year_axis(ax, first: int, last: int) -> None:
    """The years on the axis labelled as DfE writes them ('2017-18'): every other one, the last always."""
    shown = list(range(last, first - 1, -2))[::-1]  # every other year, counted back from the last
    ax.set_xticks(shown, [contract.year_label(y) for y in shown], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(first - 0.5, last + 0.5)


def line_figure(
    frame: pd.DataFrame, ylabel: str, title: str, alt: str, source: str, a1_last: int | None = None, reorganised=False
):
    """Lines of ``frame`` (index: year; one column per series), gaps left as gaps, with the year marks."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    for col, colour in zip(frame.columns, figures.colours(len(frame.columns))):
        ax.plot(frame.index, frame[col], marker="o", ms=3, lw=1.5, color=colour, label=col)
    mark_years(ax, a1_last, reorganised=reorganised)
    year_axis(ax, int(frame.index.min()), int(frame.index.max()))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside, never over
    data = frame.rename(index=contract.year_label).rename_axis("Year")
    return figures.finish(fig, title, alt, source, data=data)


def reorganised_words() -> str:
    """The sentence that says what the triangles under a chart mark."""
    aprils = sorted({r.first_year - 1 for r in events.reorganisations() if r.first_year > NAO_END})
    return (
        f"Triangles under the chart mark the years that began with reorganised authorities (April "
        f"{measures.and_list([str(a) for a in aprils])}), where the authorities compared change."
    )


def brief_figure(frame: pd.DataFrame, ylabel: str, title: str, alt: str, source: str):
    """A small line chart for the home page, read at about 450 px wide: few series, each named at its end,
    the first, pandemic and last years on the axis, the pandemic year shaded and 100 marked. ``frame``: index
    year, one column per series."""
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    ends = []
    for col, colour in zip(frame.columns, figures.colours(len(frame.columns))):
        ax.plot(frame.index, frame[col], marker="o", ms=3, lw=2, color=colour)
        last = frame[col].dropna()
        if len(last):
            ends.append((col, last.index[-1], last.iloc[-1], colour))
    shade_pandemic(ax, 0.98, fontsize=9, va="top")
    ax.axhline(100, color=figures.MUTED, lw=0.8)
    first, last = int(frame.index.min()), int(frame.index.max())
    shown = sorted({first, last} | ({PANDEMIC} if first + 1 < PANDEMIC < last - 1 else set()))
    ax.set_xticks(shown, [contract.year_label(y) for y in shown])
    ax.set_xlim(first - 0.3, last + 0.3)
    ax.set_ylabel(ylabel)
    figures.label_ends(ax, ends, room=3.2, size=10)
    data = frame.rename(index=contract.year_label).rename_axis("Year")
    return figures.finish(fig, title, alt, source, data=data)
