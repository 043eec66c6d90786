"""Every measure the book quotes, defined once: rates, national series, indices, growth,
spending per child, and the comparison with published figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import reference
from cscbook.contract import PER, POP_PUBLISHED, SPEND_CATEGORIES

#: Activity series in the order the book shows them, with their labels.
SERIES = {
    "referrals": "Referrals",
    "s47_enquiries": "Section 47 enquiries",
    "icpcs": "Initial child protection conferences",
    "cpp_31mar": "Child protection plans (31 March)",
    "cin_31mar": "Children in need (31 March)",
    "cla_31mar": "Looked-after children (31 March)",
    "cla_16plus": "Looked-after children aged 16+",
}
POPULATION = {"pop_0_17": "Population aged 0-17"}

#: Readable names of the section 251 categories (contract order).
SPEND_LABELS = {
    "sure_start": "Sure Start and under-5s",
    "cla": "Children looked after",
    "other_cfs": "Other children and family services",
    "safeguarding": "Safeguarding",
    "family_support": "Family support",
    "young_people": "Services for young people",
    "youth_justice": "Youth justice",
    "cera": "Capital from revenue (CERA)",
}

#: Categories counted as spending on children's social care (capital from revenue excluded).
SOCIAL_CARE = [c for c in SPEND_CATEGORIES if c != "cera"]


def lower_first(text: str) -> str:
    """A label or definition made to run on inside a sentence: its first letter lower-cased, unless it starts
    an acronym ('IDACI' stays)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('' for none)."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: The population series a rate may be put on (the ``population`` parameter): the consistent one, or the
#: estimates as ONS first published them, which DfE's rates of the time used.
POPULATIONS = {"consistent": "pop_0_17", "as-published": POP_PUBLISHED}


def with_population(panel: pd.DataFrame, choice: str) -> pd.DataFrame:
    """The panel with the chosen series as ``pop_0_17``, the denominator of every rate. Data without the
    published series (synthetic England) keep the one they have."""
    col = POPULATIONS[choice]
    if col == "pop_0_17" or col not in panel.columns:
        return panel
    return panel.assign(
        pop_0_17=panel[col].where(panel[col].notna(), panel["pop_0_17"]), **{CONSISTENT: panel["pop_0_17"]}
    )


#: Where the consistent series is kept when another is put under the rates.
CONSISTENT = "pop_0_17_consistent"


def population_growth(panel: pd.DataFrame, col: str, start: int, end: int) -> tuple[float, float, float, int]:
    """England's children (summed over the authorities with both years) in ``start`` and ``end`` on one
    population series, the growth between them in percent, and how many authorities that is."""
    w = panel.pivot_table(index="la_code", columns="year", values=col, aggfunc="first").astype("float64")
    if not {start, end} <= set(w.columns):
        return np.nan, np.nan, np.nan, 0
    both = w[[start, end]].dropna()
    a, b = float(both[start].sum()), float(both[end].sum())
    return a, b, (b / a - 1) * 100 if a else np.nan, len(both)


def breaks_within(meta: dict, first: int, last: int) -> dict[str, dict]:
    """The declared breaks (meta ``breaks``) inside ``first``..``last``, by column: a change from ``first`` to
    ``last`` in such a column would be a reclassification, not a change."""
    return {b["column"]: b for b in meta.get("breaks", []) if first < int(b["year"]) <= last}


def rate(df: pd.DataFrame, col: str) -> pd.Series:
    """Per 10,000 children aged 0-17."""
    return df[col].astype("float64") / df["pop_0_17"].astype("float64") * PER


def spend_total(df: pd.DataFrame, categories: list[str] | None = None) -> pd.Series:
    cats = categories or SOCIAL_CARE
    return df[[f"spend_{c}" for c in cats]].astype("float64").sum(axis=1, min_count=1)


def spend_per_child(df: pd.DataFrame) -> pd.Series:
    """Spending on children's social care (nominal £) per child aged 0-17."""
    return spend_total(df) / df["pop_0_17"].astype("float64")


def national(panel: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Sums over authorities by year (missing cells contribute nothing)."""
    return panel.groupby("year")[cols].sum(min_count=1).astype("float64")


def pooled_rates(df: pd.DataFrame, cols: list[str], by) -> pd.DataFrame:
    """Rates per 10,000 of groups of authorities (``by``: the groupby keys): the sum of counts over
    the sum of population, over the authorities whose count is known."""
    out = {}
    for c in cols:
        known = df[df[c].notna()]
        g = known.groupby(by)
        out[c] = g[c].sum().astype("float64") / g["pop_0_17"].sum().astype("float64") * PER
    return pd.DataFrame(out)


def national_rates(panel: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """National rates per 10,000: the sum of counts over the sum of population where the count is known."""
    return pooled_rates(panel, cols, "year")


def indexed(table: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Each column divided by its value in ``base_year``, times 100."""
    return table.div(table.loc[base_year]).mul(100)


def growth(table: pd.DataFrame, col: str, start: int, end: int) -> float:
    """Percentage change in ``col`` from ``start`` to ``end``."""
    return float((table.loc[end, col] / table.loc[start, col] - 1) * 100)


def population_rate_split(counts: pd.Series, pop: pd.Series, start: int, end: int) -> dict[str, float]:
    """Split the change in a count into population and rate effects (symmetric shift-share).

    change = (pop1 - pop0) * mean rate + (rate1 - rate0) * mean population; the two parts sum to
    the change exactly.
    """
    c0, c1, p0, p1 = counts[start], counts[end], pop[start], pop[end]
    r0, r1 = c0 / p0, c1 / p1
    pop_eff = (p1 - p0) * (r0 + r1) / 2
    rate_eff = (r1 - r0) * (p0 + p1) / 2
    change = c1 - c0
    return {
        "change": float(change),
        "population": float(pop_eff),
        "rate": float(rate_eff),
        "population_share": float(pop_eff / change * 100) if change else float("nan"),
    }


def compare(rows: list[dict]) -> pd.DataFrame:
    """The 'How this compares with the NAO' table.

    Each row gives ``key`` (in the reference table), ``ours`` (our value on the definition the publisher's
    words name), and optionally ``reason`` for a difference, and for the end of a range ``authority``, the
    authority at our end. A row passes when our value is within the published figure's tolerance (its
    rounding, unless the reference table gives a wider one with a reason) and, where the publisher names
    the authority at that end, ours is the same authority: never on the value alone.
    """
    out = []
    pub = reference.published()
    for r in rows:
        ref = pub.loc[r["key"]]
        theirs = float(ref["value"])
        ours = r.get("ours")
        unit = ref["unit"]
        tol_value, why = reference.tolerance(r["key"])
        notes = [r.get("reason", "")]
        if why != "the published figure's rounding":
            notes.append(f"tolerance widened: {why}")
        if ours is None or (isinstance(ours, float) and np.isnan(ours)):
            ok, tol, verdict = False, reference.within(r["key"], 0.0)[1], "n/a"
        else:
            ok, tol = reference.within(r["key"], float(ours))
            named, mine = reference.named_authority(r["key"]), r.get("authority")
            if named and mine and named != mine:
                ok = False
                end = "lowest" if ref["kind"] == "range_min" else "highest"
                notes.insert(0, f"our {end} authority is {mine}, the NAO's {named}: not the same end")
            verdict = "pass" if ok else "fail"
        out.append(
            {
                "Measure": ref["measure"],
                "NAO / published": _fmt(theirs, unit, ref["kind"]),
                "Ours": "—" if verdict == "n/a" else _fmt(float(ours), unit, ref["kind"]),
                "Tolerance": tol,
                "Result": verdict,
                "Note": "; ".join(n for n in notes if n),
            }
        )
    return pd.DataFrame(out)


def _fmt(x: float, unit: str, kind: str = "") -> str:
    if unit == "percent":
        return f"{x:+.1f}%" if kind == "growth" else f"{x:.1f}%"
    if unit.startswith("pounds per"):
        return f"£{x:,.0f}"
    if unit == "pounds" and abs(x) < 1e9:
        return f"£{x / 1e6:,.1f}m"
    if unit == "pounds":
        return f"£{x / 1e9:,.2f}bn"
    if unit.startswith("per 10000"):
        return f"{x:,.0f} per 10,000"
    return f"{x:,.0f}"


def fmt_figure(key: str, x: float) -> str:
    """A value in the form of the published figure ``key`` ('+2.5%', '301 per 10,000', '£566')."""
    ref = reference.published().loc[key]
    return _fmt(float(x), ref["unit"], ref["kind"])
