"""Declared breaks in a published series: a year from which a line counts something else, so that a change
across it is a reclassification, not a change in what is spent or done. Each break has its rule id, what
changed and the source that shows it; the panel's cells keep their published values, the first year after a
break is flagged ``break`` in every authority, and the meta lists the breaks for the chapters, which draw a
series with a gap there and never headline a change across it."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Break(NamedTuple):
    column: str
    year: int  # the first year (ending 31 March) on the new basis
    rule: str
    what: str
    source: str


BREAKS: tuple[Break, ...] = (
    Break(
        "spend_other_cfs",
        2013,
        "B-S251-2013",
        "section 251's list of lines changed in 2012-13, and other children and family services covers fewer "
        "of them from then, so its fall that year is reclassification, not a cut",
        "Department for Education, Section 251 outturn Table A1, 2011-12 and 2012-13, as published (the line "
        "lists and their totals)",
    ),
)


def mark(panel: pd.DataFrame, flags: list) -> list[dict]:
    """Flag the first year after each break whose column has values on both sides; the breaks for the meta."""
    out = []
    for b in BREAKS:
        if b.column not in panel:
            continue
        v = panel.dropna(subset=[b.column])
        if not ((v["year"] < b.year).any() and (v["year"] >= b.year).any()):
            continue
        for code in sorted(set(v.loc[v["year"] == b.year, "la_code"])):
            flags.append((code, b.year, b.column, "break", b.rule))
        out.append({"column": b.column, "year": b.year, "rule": b.rule, "what": b.what, "source": b.source})
    return out
