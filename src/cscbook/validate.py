"""Checks on a prepared panel. Each rule is one function with a code and a message; every rule runs, and any
failure stops the run with one line that names the file and lists each failing rule with its column, row
and code."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cscbook import contract
from cscbook.errors import UserError

RULES: list[tuple[str, Callable[[contract.Prepared], str | None]]] = []


def rule(code: str):
    """Register a rule; it returns None when the panel passes, else a message."""

    def wrap(fn):
        RULES.append((code, fn))
        return fn

    return wrap


def _where(prep: contract.Prepared) -> str:
    return str(prep.path / "panel.parquet") if prep.path else "panel"


SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_length(9, 9), coerce=True),
        "la_name": pa.Column(str, coerce=True),
        "region": pa.Column(str, pa.Check.isin(contract.REGIONS), coerce=True),
        "year": pa.Column("int64", pa.Check.in_range(2000, 2100)),
        **{c: pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True) for c in contract.COUNTS + contract.SPEND},
        # net of income, a line can be below zero; a whole return cannot
        **{c: pa.Column(float, nullable=True, coerce=True) for c in contract.FINANCE},
        "sw_vacancy_rate": pa.Column(float, pa.Check.in_range(0, 1), nullable=True, coerce=True),
        "ofsted_overall": pa.Column(str, pa.Check.isin(contract.OFSTED_SCALE), nullable=True, coerce=True),
    },
    unique=["la_code", "year"],
    strict=False,
)


@rule("V01 schema")
def schema(prep: contract.Prepared) -> str | None:
    """Every column and check that fails (pandera's lazy validation), each with how many rows and the first."""
    try:
        SCHEMA.validate(prep.panel, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        out = []
        for (col, check), g in cases.groupby(["column", "check"], dropna=False, sort=False):
            first = g.iloc[0]
            idx, row = first.get("index"), ""
            if idx is not None and not pd.isna(idx) and int(idx) in prep.panel.index:
                r = prep.panel.loc[int(idx)]
                row = f" at {r['la_code']} {r['year']}"
            many = f" ({len(g)} rows)" if len(g) > 1 else ""
            name = col if isinstance(col, str) and col else "?"
            out.append(f"column {name}{row} (value {first.get('failure_case')!r}) fails {check}{many}")
        return "; ".join(out)
    return None


@rule("V02 every authority in every year")
def balanced(prep: contract.Prepared) -> str | None:
    p = prep.panel
    years = p["year"].nunique()
    per = p.groupby("la_code")["year"].nunique()
    short = per[per < years]
    if len(short):
        flagged = set(prep.flags.loc[prep.flags["column"] == "*", "la_code"]) if len(prep.flags) else set()
        unflagged = [c for c in short.index if c not in flagged]
        if unflagged:
            return (
                f"column la_code: {unflagged[0]} is present in {short[unflagged[0]]} of {years} years and not flagged"
            )
    return None


@rule("V03 rates consistent with counts and population")
def population_positive(prep: contract.Prepared) -> str | None:
    p = prep.panel
    bad = p[(p["pop_0_17"].astype("float64") <= 0)]
    if len(bad):
        r = bad.iloc[0]
        return f"column pop_0_17 at {r['la_code']} {r['year']}: population must be positive for rates"
    for c in ("cpp_31mar", "cla_31mar", "cin_31mar"):
        r_ = p[c].astype("float64") / p["pop_0_17"].astype("float64")
        over = p[r_ > 1]
        if len(over):
            r = over.iloc[0]
            return f"column {c} at {r['la_code']} {r['year']}: more children than the population"
    return None


@rule("V04 authorities sum to England")
def sums_to_england(prep: contract.Prepared) -> str | None:
    eng = getattr(prep, "england", None)
    if eng is None or len(eng) == 0:
        return None
    p = prep.panel
    for col in ("referrals", "cpp_31mar", "cin_31mar", "cla_31mar"):
        if col not in eng.columns:
            continue
        sums = p.groupby("year")[col].sum(min_count=1)
        # England rows include DfE's estimates for authorities that made no return: compare only the
        # years in which the authorities without a value (suppressed small counts) hold < 0.5% of
        # children; a missing authority of unknown population counts as large
        pop = p["pop_0_17"].astype("float64")
        share = pop / pop.groupby(p["year"]).transform("sum")
        large_gap = p[col].isna() & (share.isna() | (share >= 0.005))
        complete = ~large_gap.groupby(p["year"]).any()
        for year, pub in eng.set_index("year")[col].dropna().items():
            if (
                year in sums.index
                and complete.get(year, False)
                and not np.isnan(sums[year])
                and abs(sums[year] - pub) > 0.01 * pub
            ):
                return f"column {col} in {year}: authorities sum to {sums[year]:,.0f}, England is {pub:,.0f}"
    return None


#: The highest rate per 10,000 children aged 0-17 that any authority could report, for each count: several
#: times the highest in the published years (2010-11 to 2024-25), so that only a unit or column error
#: reaches it (a count read from the wrong column, England's total read as an authority's).
RATE_CEILING = {
    "referrals": 6000,
    "s47_enquiries": 3000,
    "icpcs": 1500,
    "cpp_31mar": 1000,
    "cpp_starts": 1000,
    "cin_31mar": 5000,
    "cin_episodes": 7000,
    "cla_31mar": 1000,
    "cla_starts": 1000,
    "cla_starts_16plus": 500,
    "cla_16plus": 500,
}
#: Section 251 spending per child aged 0-17, nominal pounds: a total below the floor is thousands of pounds
#: read as pounds (the published range is about £370 to £7,000); a category above the ceiling is pounds
#: read as thousands.
SPEND_FLOOR, SPEND_CEILING = 50, 30_000
#: Plain ranges for the other measures: children aged 0-17 in one authority (England has about 12 million),
#: the price index (base year 1), the deprivation scores, children's centres.
RANGES = {
    "pop_0_17": (10, 2_000_000),
    "deflator": (0.2, 5),
    "idaci_score": (0, 1),
    "imd_score": (0, 100),
    "childrens_centres": (0, 1000),
}
#: Counts that are part of another at the same date: never larger than it.
PARTS = [
    ("cla_16plus", "cla_31mar"),
    ("cla_starts_16plus", "cla_starts"),
    ("cpp_31mar", "cin_31mar"),
    ("cin_31mar", "cin_episodes"),
]


def _first(p: pd.DataFrame, bad: pd.Series) -> pd.Series | None:
    bad = bad.fillna(False).astype(bool)
    return p[bad].iloc[0] if bad.any() else None


@rule("V05 plausible per measure")
def plausible(prep: contract.Prepared) -> str | None:
    p = prep.panel
    pop = p["pop_0_17"].astype("float64")
    for col, (low, high) in RANGES.items():
        if col in p:
            v = p[col].astype("float64")
            if (r := _first(p, (v < low) | (v > high))) is not None:
                return f"column {col} at {r['la_code']} {r['year']}: {r[col]:,.6g} is outside {low:,}-{high:,}"
    for col, ceiling in RATE_CEILING.items():
        rate = p[col].astype("float64") / pop * contract.PER
        if (r := _first(p, rate > ceiling)) is not None:
            per = r[col] / r["pop_0_17"] * contract.PER
            return (
                f"column {col} at {r['la_code']} {r['year']}: {per:,.0f} per 10,000 children aged 0-17 "
                f"is above the plausible {ceiling:,}"
            )
    spend = p[contract.SPEND].astype("float64")
    for col in contract.SPEND:
        if (r := _first(p, spend[col] / pop > SPEND_CEILING)) is not None:
            return (
                f"column {col} at {r['la_code']} {r['year']}: £{r[col] / r['pop_0_17']:,.0f} per child aged 0-17 "
                f"is above the plausible £{SPEND_CEILING:,} (pounds read as thousands?)"
            )
    total = spend.sum(axis=1, min_count=len(contract.SPEND))
    if (r := _first(p, total / pop < SPEND_FLOOR)) is not None:
        per = total[r.name] / r["pop_0_17"]
        return (
            f"column spend_* at {r['la_code']} {r['year']}: £{per:,.2f} per child aged 0-17 in all "
            f"categories is below the plausible £{SPEND_FLOOR} (thousands read as pounds?)"
        )
    return None


@rule("V06 parts within their totals")
def parts(prep: contract.Prepared) -> str | None:
    p = prep.panel
    for part, whole in PARTS:
        if (r := _first(p, p[part].astype("float64") > p[whole].astype("float64"))) is not None:
            return f"column {part} at {r['la_code']} {r['year']}: {r[part]:,.0f} is more than {whole} ({r[whole]:,.0f})"
    return None


def validate_prepared(prep: contract.Prepared) -> None:
    """Run every rule and raise one UserError that lists every failure, each with its rule's code."""
    failures = [(code, msg) for code, fn in RULES if (msg := fn(prep))]
    if not failures:
        return
    if len(failures) == 1:
        code, msg = failures[0]
        raise UserError(_where(prep), msg, code)
    listed = "; ".join(f"{m} ({c})" for c, m in failures)
    raise UserError(_where(prep), listed, f"{len(failures)} checks fail")
