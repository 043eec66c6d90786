"""England's children's social care budget and outturn line by line (children looked after, safeguarding, family
support, Sure Start and the rest), from MHCLG's England rows (the prepared folder's ``finance_lines``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures
from cscbook.chapters.context import Context
from cscbook.chapters.since_figures import NAO_END
from cscbook.harmonise.finance import LINE_WORDS
from cscbook.present import figures

#: The first year of the children's lines as they are still published (2014-15: safeguarding, Sure Start and
#: services for young people began; commissioning, strategy and safety ended).
LINES_FROM = 2015


#: The lines the chapter names, as the harmoniser words them.
TOTAL, CLA = LINE_WORDS["total"], LINE_WORDS["cla"]


NO_LINES = "England's rows by line are not in these data (a region's chapter, or data without England's rows)."


def lines_table(ctx: Context) -> pd.DataFrame | None:
    """England's budget and outturn line by line (£m, cash and in the prices of the panel's last year), in the
    years of the lines as still published; None without England's rows (a region, synthetic England)."""
    lines = ctx.prepared.extra.get("finance_lines")
    if lines is None or ctx.p.region or not len(lines):
        return None
    deflator = ctx.view.groupby("year")["deflator"].mean()
    t = lines[(lines["year"] >= max(LINES_FROM, ctx.first)) & (lines["year"] <= ctx.last)].copy()
    t = t[t["year"].isin(deflator.index)]
    for col, words in (("budget", "Budget"), ("outturn", "Outturn")):
        t[f"{words} (£m)"] = t[col] / 1e6
        t[f"{words}, real (£m)"] = t[col] / 1e6 / t["year"].map(deflator)
    t["Outturn less budget (£m)"] = t["Outturn (£m)"] - t["Budget (£m)"]
    t = t.rename(columns={"line_name": "Line", "outturn_source": "Outturn from"})
    return t[["year", "Line", "Budget (£m)", "Outturn (£m)", "Outturn less budget (£m)", "Budget, real (£m)",
              "Outturn, real (£m)", "Outturn from"]].reset_index(drop=True)  # fmt: skip


def lines_years(lines: pd.DataFrame) -> tuple[int, int, int | None]:
    """The first and last years with the outturn by line, and the last with both England's budget and outturn by
    line (None if none)."""
    by_line = lines[lines["Line"] != TOTAL]
    out = sorted(by_line.dropna(subset=["Outturn (£m)"])["year"].unique())
    both = sorted(by_line.dropna(subset=["Budget (£m)", "Outturn (£m)"])["year"].unique())
    return int(out[0]), int(out[-1]), (int(both[-1]) if both else None)


def lines_gap_words(lines: pd.DataFrame) -> str:
    """The years whose outturn has its total only, and those without England's budget by line."""
    with_out = lines.dropna(subset=["Outturn (£m)"])
    total_only = sorted(set(with_out["year"]) - set(with_out.loc[with_out["Line"] != TOTAL, "year"]))
    no_budget = sorted(set(lines["year"]) - set(lines.dropna(subset=["Budget (£m)"])["year"]))
    words = []
    if total_only:
        words.append(f"The outturn of {_years(total_only)} gives its total only (no RO3 file is published).")
    if no_budget:
        words.append(f"England's budget by line is missing in {_years(no_budget)} (no file, or no England row).")
    return " ".join(words)


def _years(years) -> str:
    return measures.and_list([contract.year_label(int(y)) for y in years])


def lines_compare(lines: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Budget, outturn and outturn less budget by line (£m, cash) in each of ``years``."""
    parts = {}
    for y in years:
        one = lines[lines["year"] == y].set_index("Line")
        label = contract.year_label(y)
        parts[f"{label} budget"] = one["Budget (£m)"]
        parts[f"{label} outturn"] = one["Outturn (£m)"]
        parts[f"{label} over budget"] = one["Outturn less budget (£m)"]
    order = list(dict.fromkeys(lines["Line"]))
    return pd.DataFrame(parts).reindex([x for x in order if x in set(lines.loc[lines["year"].isin(years), "Line"])])


def lines_words(lines: pd.DataFrame, prices: str) -> str:
    """The real-terms change of the total outturn from the first to the last year of the lines, the looked-after
    line's part in it and its share of the total at each end, and the lines that fell."""
    first, last, _ = lines_years(lines)
    real = lines.pivot_table(index="Line", columns="year", values="Outturn, real (£m)", aggfunc="first")
    rise = real.loc[TOTAL, last] - real.loc[TOTAL, first]
    cla = real.loc[CLA]
    share = 100 * cla / real.loc[TOTAL]
    pct = (100 * (real[last] / real[first] - 1)).drop(TOTAL).dropna()
    fell = [f"{in_sentence(line)} ({v:+.0f}%)" for line, v in pct[pct < 0].sort_values().items()]
    a, b = contract.year_label(first), contract.year_label(last)
    return (
        f"From {a} to {b}, in {prices} prices, England's outturn on children's social care rose by "
        f"£{rise / 1e3:,.2f}bn ({100 * rise / real.loc[TOTAL, first]:+.0f}%). Children looked after account for "
        f"£{(cla[last] - cla[first]) / 1e3:,.2f}bn of that rise; their share of the total went from {share[first]:.0f}% "
        f"to {share[last]:.0f}%. "
        + (f"Spending fell in real terms on {measures.and_list(fell)}." if fell else "No line fell in real terms.")
    )


def in_sentence(line: str) -> str:
    """A line's name inside a sentence: lower case but for a name (Sure Start)."""
    return line if line.startswith("Sure Start") else line[0].lower() + line[1:]


def over_words(lines: pd.DataFrame, years: list[int]) -> str:
    """How much of England's outturn above its budget was on children looked after, in each of ``years``."""
    parts = []
    for y in years:
        one = lines[lines["year"] == y].set_index("Line")["Outturn less budget (£m)"]
        if pd.notna(one.get(CLA)) and pd.notna(one.get(TOTAL)):
            parts.append(f"£{one[CLA]:,.0f}m of £{one[TOTAL]:,.0f}m in {contract.year_label(y)}")
    if not parts:
        return ""
    return "England's outturn above its budget was mostly on children looked after: " + measures.and_list(parts) + "."


def fig_lines(ctx: Context, lines: pd.DataFrame) -> figures.Figure:
    """Outturn by line in real terms in the first and last years of the lines, as horizontal bars."""
    first, last, _ = lines_years(lines)
    real = lines.pivot_table(index="Line", columns="year", values="Outturn, real (£m)", aggfunc="first")
    real = real.drop(TOTAL, errors="ignore")[[first, last]].dropna().sort_values(last)
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    c1, c2 = figures.colours(2)
    ypos = np.arange(len(real))
    ax.barh(ypos + 0.2, real[first] / 1e3, height=0.4, color=c1, label=contract.year_label(first))
    ax.barh(ypos - 0.2, real[last] / 1e3, height=0.4, color=c2, label=contract.year_label(last))
    ax.set_yticks(ypos, real.index, fontsize=9)
    ax.set_xlabel(f"£ billion, {contract.year_label(ctx.last)} prices")
    ax.legend(frameon=False, fontsize=9, loc="lower right")
    top = real.index[-1]
    title = (
        f"{top} took £{real.loc[top, last] / 1e3:,.1f}bn of England's children's social care outturn in "
        f"{contract.year_label(last)}, against £{real.loc[top, first] / 1e3:,.1f}bn in {contract.year_label(first)} "
        f"({contract.year_label(ctx.last)} prices)"
    )
    alt = "Horizontal bar chart of England's outturn by line in real terms. " + "; ".join(
        f"{line}: £{r[first]:,.0f}m in {contract.year_label(first)}, £{r[last]:,.0f}m in {contract.year_label(last)}"
        for line, r in real.iloc[::-1].iterrows()
    )
    data = real.rename(columns=contract.year_label)
    return figures.finish(fig, title, alt, ctx.source, data=data)


def glue_lines(ctx: Context, lines: pd.DataFrame | None, fig: figures.Figure | str) -> None:
    """England's outturn by line: the figure, the words, the budget against the outturn by line in the NAO's year
    and the latest year with both, and the download of every line and year."""
    ctx.glue_figure("fig-budgets-lines", fig)
    ctx.glue("lines_from", contract.year_label(LINES_FROM))
    if lines is None:
        ctx.glue("lines_text", NO_LINES)
        ctx.glue("lines_years", NO_LINES)
        ctx.glue("lines_over", "")
        ctx.glue("lines_gaps", "")
        ctx.glue_table("tbl-budgets-lines", NO_LINES)
        for name in ("lines", "lines_compared"):  # the downloads, each a note
            ctx.table(pd.DataFrame({"Note": [NO_LINES]}), name, index=False)
        return
    first, last, both = lines_years(lines)
    ctx.glue("lines_text", lines_words(lines, contract.year_label(ctx.last)))
    shown = sorted({y for y in (NAO_END, both) if y is not None and y in set(lines["year"])})
    ctx.glue("lines_years", _years(shown))
    ctx.glue("lines_over", over_words(lines, shown))
    ctx.glue("lines_gaps", lines_gap_words(lines))
    ctx.glue_table(
        "tbl-budgets-lines",
        ctx.table(lines_compare(lines, shown), "lines_compared").format(precision=0, thousands=","),
    )
    ctx.table(lines.rename(columns={"year": "Year"}), "lines", index=False)
