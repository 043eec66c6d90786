"""Checks on a prepared panel. Each rule is one function with a code and a message; the first
failure stops the run with a one-line error naming the file, column, row and rule."""

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
        "sw_vacancy_rate": pa.Column(float, pa.Check.in_range(0, 1), nullable=True, coerce=True),
        "ofsted_overall": pa.Column(str, pa.Check.isin(contract.OFSTED_SCALE), nullable=True, coerce=True),
    },
    unique=["la_code", "year"],
    strict=False,
)


@rule("V01 schema")
def schema(prep: contract.Prepared) -> str | None:
    try:
        SCHEMA.validate(prep.panel, lazy=False)
    except pa.errors.SchemaError as exc:
        col = getattr(exc, "column_name", None) or "?"
        case = exc.failure_cases
        row = ""
        if isinstance(case, pd.DataFrame) and len(case):
            first = case.iloc[0]
            idx = first.get("index")
            if idx is not None and not pd.isna(idx) and int(idx) in prep.panel.index:
                r = prep.panel.loc[int(idx)]
                row = f" at {r['la_code']} {r['year']}"
            row += f" (value {first.get('failure_case')!r})"
        elif case is not None:
            row = f" ({case})"
        check = str(getattr(exc, "check", "") or exc.reason_code)
        return f"column {col}{row} fails {check}"
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


def validate_prepared(prep: contract.Prepared) -> None:
    """Run every rule; raise UserError on the first failure."""
    for code, fn in RULES:
        msg = fn(prep)
        if msg:
            raise UserError(_where(prep), msg, code)
