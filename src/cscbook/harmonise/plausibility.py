"""Plausibility rules: cells that are published but doubtful are flagged ``suspect``, never dropped or changed,
each rule with its id (P-*), so that a reader of the data log, and the chapters, can see them.

- P-ZERO-NA: a zero that a later release calls not applicable, in an authority of fewer than 5,000 children
  (the cell itself is missing by R-RELEASE; the flag says why an earlier table showed a zero).
- P-SAME-SPEND: a spending line equal to the year before to the pound (a figure carried forward, not a return).
- P-SPIKE: a count that moves by more than 60% in one year and is back within 25% of where it was the next
  (a one-year collapse or jump in the published figures).
"""

from __future__ import annotations

import pandas as pd

from cscbook import contract

SMALL = 5_000  # children aged 0-17: an authority this small may publish zeros where DfE now says 'z'
SPIKE = 0.6  # a one-year change larger than this share, undone the next year
BACK = 0.25  # undone: the year after is within this share of the year before
SPIKE_FLOOR = 50  # counts smaller than this move by more than 60% by chance
RULES = ("P-ZERO-NA", "P-SAME-SPEND", "P-SPIKE")


def check(panel: pd.DataFrame, flags: list) -> None:
    """Append a ``suspect`` flag for every cell a rule finds."""
    zero_na(panel, flags)
    same_spend(panel, flags)
    spikes(panel, flags)


def zero_na(panel: pd.DataFrame, flags: list) -> None:
    """P-ZERO-NA, from the revisions R-RELEASE logged: an earlier 0, a later 'z', a small authority."""
    pop = panel.set_index(["la_code", "year"])["pop_0_17"]
    for f in [f for f in flags if len(f) == 6 and f[4] == "R-RELEASE"]:
        code, year, col, _, _, detail = f
        before, _, after = detail.partition("; ")
        if before.endswith(": 0") and after.endswith(": z") and pop.get((code, year), SMALL) < SMALL:
            flags.append((code, year, col, "suspect", "P-ZERO-NA", detail))


def same_spend(panel: pd.DataFrame, flags: list) -> None:
    """P-SAME-SPEND: a positive spending line equal to its value the year before."""
    p = panel.sort_values(["la_code", "year"])
    for col in [c for c in contract.SPEND if c in p]:
        prev = p.groupby("la_code")[col].shift(1)
        same = (p[col] > 0) & (p[col] == prev) & (p.groupby("la_code")["year"].diff() == 1)
        for code, year, v in zip(p.loc[same, "la_code"], p.loc[same, "year"], p.loc[same, col]):
            flags.append((code, int(year), col, "suspect", "P-SAME-SPEND", f"£{v:,.0f} in both years"))


def spikes(panel: pd.DataFrame, flags: list) -> None:
    """P-SPIKE: |change| > 60% from the year before, and the year after back within 25% of the year before."""
    p = panel.sort_values(["la_code", "year"])
    for col in [c for c in contract.COUNTS if c != "pop_0_17" and c in p]:
        g = p.groupby("la_code")[col]
        before, after = g.shift(1), g.shift(-1)
        moved = (p[col] / before - 1).abs() > SPIKE
        back = (after / before - 1).abs() <= BACK
        hit = moved & back & (before >= SPIKE_FLOOR)
        for code, year, a, v, b in zip(
            p.loc[hit, "la_code"], p.loc[hit, "year"], before[hit], p.loc[hit, col], after[hit]
        ):
            flags.append((code, int(year), col, "suspect", "P-SPIKE", f"{a:,.0f}, {v:,.0f}, {b:,.0f} in three years"))
