"""An authority profile's page: what the template glues (sentences, figures, tables) and the downloads
written beside it (the series as CSV, every table in one CSV and in an Excel workbook).

The numbers come from :class:`cscbook.profiles.core.Profile` and
:mod:`cscbook.profiles.findings`, the figures from :mod:`cscbook.profiles.figures`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscbook import contract
from cscbook.fsutil import csv_safe
from cscbook.present.markdown import md_guard
from cscbook.profiles.core import Profile, label


def glue_page(pf: Profile, out_dir: str = ".") -> None:
    """Glue what the template's markdown shows (sentences, figures, tables, under the keys it names)
    and write the profile's CSV download into ``out_dir``."""
    from IPython.display import HTML, Markdown
    from myst_nb import glue

    from cscbook.chapters.context import styled_table, table_html
    from cscbook.profiles import figures as profile_figures
    from cscbook.profiles import findings as profile_findings

    key = pf.code.lower()
    glue("intro", Markdown(md_guard(pf.intro_sentence())), display=False)
    glue("neighbours", Markdown(md_guard(profile_findings.neighbour_sentence(pf))), display=False)
    glue("bands", Markdown(md_guard(profile_findings.bands_sentence(pf))), display=False)
    glue("chapters", Markdown(md_guard(profile_findings.chapters_md(pf))), display=False)
    glue(f"fig-{key}-ranks", profile_figures.ranks(pf), display=False)
    glue("position", Markdown(md_guard(pf.position_sentence())), display=False)
    glue("spending", Markdown(md_guard(pf.spending_sentence())), display=False)
    glue("ofsted", Markdown(md_guard(pf.ofsted_sentence())), display=False)
    glue("budget", Markdown(md_guard(pf.budget_sentence())), display=False)
    glue("context_note", Markdown(md_guard(profile_findings.vacancy_note(pf))), display=False)
    glue(f"fig-{key}-series", profile_figures.series(pf), display=False)
    glue(f"fig-{key}-positions", profile_figures.positions(pf), display=False)
    glue("live-positions", pf.live_positions(), display=False)
    glue(f"fig-{key}-spending", profile_figures.spending(pf), display=False)
    frames = page_tables(pf)
    for name, frame in frames.items():
        table = styled_table(frame, index=name in INDEXED)
        glue(f"tbl-{key}-{name}", HTML(table_html(table.set_uuid(f"{key}_{name}"))), display=False)
    write_downloads(pf, frames, Path(out_dir))


#: The page's tables whose index is a column of their own (the rest have a plain row number, hidden).
INDEXED = {"last", "spending"}
#: Sheet names of the Excel workbook (at most 31 characters), by table.
SHEETS = {
    "last": "Last year",
    "neighbours": "Neighbours",
    "bands": "Bands and trends",
    "ranks": "Rank over time",
    "positions": "Positions",
    "chapters": "In each chapter",
    "context": "Context",
    "spending": "Spending mix",
    "budget": "Budget and outturn",
    "ofsted": "Ofsted",
}


def page_tables(pf: Profile) -> dict[str, pd.DataFrame]:
    """Every table the page shows, by name, as data."""
    from cscbook.profiles import findings as pfind

    return {
        "last": pf.last_year_table(),
        "neighbours": pfind.neighbour_table(pf),
        "bands": pfind.bands_table(pf),
        "positions": pf.positions(),
        "chapters": pfind.chapter_table(pf),
        "context": pfind.context_table(pf),
        "spending": pf.spending_mix(),
        "budget": pf.budget_table(),
        "ofsted": pf.ofsted_history(),
    }


def download_tables(pf: Profile, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables as they download: the page's, with the rank history added and indexes as columns."""
    from cscbook.profiles import findings as pfind

    ranks = pfind.rank_history(pf)
    if len(ranks):
        ranks = ranks.assign(year=ranks["year"].map(contract.year_label), measure=ranks["measure"].map(label))
        ranks = ranks[["measure", "year", "rank", "lo", "hi", "units"]].rename(
            columns={"lo": "interval best", "hi": "interval worst", "units": "authorities ranked"}
        )
    out = {}
    for name in SHEETS:
        frame = ranks if name == "ranks" else frames[name]
        out[name] = frame.rename_axis("").reset_index() if name in INDEXED else frame.reset_index(drop=True)
    return out


def profile_downloads(code: str) -> list[str]:
    """The file names of an authority's downloads, as :func:`write_downloads` writes them."""
    return [f"{code}_profile.csv", f"{code}_tables.csv", f"{code}_profile.xlsx"]


def write_downloads(pf: Profile, frames: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """The profile's downloads: its series (CSV), every table in one CSV (a ``table`` column names each)
    and an Excel workbook with a sheet per table. Text cells a spreadsheet would run as a formula are
    neutralised in all three."""
    tables = {name: csv_safe(t) for name, t in download_tables(pf, frames).items()}
    series, every, book = (out_dir / name for name in profile_downloads(pf.code))
    csv_safe(pf.download()).to_csv(series, index=False, float_format="%.6g", lineterminator="\n")
    long = pd.concat(
        [t.astype("object").melt(ignore_index=False).reset_index().assign(table=SHEETS[n]) for n, t in tables.items()],
        ignore_index=True,
    ).rename(columns={"index": "row", "variable": "column"})
    long[["table", "row", "column", "value"]].to_csv(every, index=False, lineterminator="\n")
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        for name, t in tables.items():
            t.to_excel(xl, sheet_name=SHEETS[name], index=False)
