"""The marks and axes of the charts that carry a finding past 2017-18 (see :mod:`cscbook.chapters.since`): the
NAO's last year, the pandemic year, the change from Table A1 to LAIT, and years as DfE writes them."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from cscbook.analyse import measures, reference
from cscbook.publish import figures

NAO_END = reference.NAO_END
#: The year ending 31 March 2021, the first year of the pandemic: shaded on the later series.
PANDEMIC = 2021


def mark_years(ax, a1_last: int | None = None) -> None:
    """A dashed line at the NAO's last year, the pandemic year (2020-21) shaded, and, for spending, a dotted
    line after the last Table A1 year."""
    ax.axvspan(PANDEMIC - 0.5, PANDEMIC + 0.5, color="#ececec", zorder=0, lw=0)
    ax.text(PANDEMIC, 0.02, "pandemic", transform=ax.get_xaxis_transform(), fontsize=8, ha="center", color="#555555")
    ax.axvline(NAO_END, color=figures.MUTED, ls="--", lw=1)
    ax.text(NAO_END, 1.0, " NAO's last year", transform=ax.get_xaxis_transform(), fontsize=8, va="top")
    if a1_last is not None:
        ax.axvline(a1_last + 0.5, color=figures.MUTED, ls=":", lw=1.2)
        ax.text(
            a1_last + 0.5,
            0.92,
            " Table A1 | LAIT",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
            va="top",
        )


def year_axis(ax, first: int, last: int) -> None:
    """The years on the axis labelled as DfE writes them ('2017-18'): every other one, the last always."""
    shown = list(range(last, first - 1, -2))[::-1]  # every other year, counted back from the last
    ax.set_xticks(shown, [measures.year_label(y) for y in shown], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(first - 0.5, last + 0.5)


def line_figure(frame: pd.DataFrame, ylabel: str, title: str, alt: str, source: str, a1_last: int | None = None):
    """Lines of ``frame`` (index: year; one column per series), gaps left as gaps, with the year marks."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    for col, colour in zip(frame.columns, figures.colours(len(frame.columns))):
        ax.plot(frame.index, frame[col], marker="o", ms=3, lw=1.5, color=colour, label=col)
    mark_years(ax, a1_last)
    year_axis(ax, int(frame.index.min()), int(frame.index.max()))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="best")
    data = frame.rename(index=measures.year_label).rename_axis("Year")
    return figures.finish(fig, title, alt, source, data=data)
