"""Candidate definitions of the NAO's figures, declared in ``data/reference/candidates.csv`` before any
comparison, and evaluated on the data in their declared order.

Candidates are exploratory: they never replace the value a comparison row scores (the definition the NAO's
own words name). A figure the NAO states (a growth, the two ends of a range, a share in two years) is
*reproduced* by a candidate when every one of its values rounds to the NAO's figure at the NAO's own
precision (301 means 300.5 to 301.5; 5.2% means 5.15% to 5.25%) and, at the end of a range where the NAO
names the authority, ours is that authority. A figure is *identified* when one candidate reproduces two
independent numbers (both ends of a range, or a figure in two years); a single number reproduced by one or
more of the candidates tried is only *consistent with* them.

Each row of the CSV is one candidate: ``group`` and ``figure`` (the figure, in words), ``order``, ``kind`` (``growth``, ``range`` or
``share``), ``keys`` (the published figures in ``published.csv``, ``;``-separated), ``years`` (``base>end``
for a growth, the year of a range, one year per key for a share), ``measure`` and ``denominator`` (panel
columns; ``+`` adds columns, ``@-1`` takes the year before), ``source`` (``england``: the England rows as
published; ``authorities``: sums over authorities), ``exclude`` (authorities by name, ``;``-separated),
``where`` (``column=value``) and ``definition`` (in words).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures

#: The columns of a chapter's candidates CSV.
COLUMNS = [
    "group",
    "figure",
    "order",
    "candidate",
    "definition",
    "key",
    "published",
    "ours",
    "distance",
    "tried",
    "reproduces",
    "status",
    "detail",
]
#: A figure's status: one candidate matches two numbers; some candidate matches its one number; none does.
IDENTIFIED, CONSISTENT, NOT_REPRODUCED = "identified", "consistent with", "not reproduced"


@dataclass(frozen=True)
class Candidate:
    group: str
    order: int
    candidate: str
    figure: str
    kind: str
    keys: tuple[str, ...]
    years: str
    measure: str
    denominator: str
    source: str
    exclude: tuple[str, ...]
    where: str
    definition: str


@cache
def declared() -> tuple[Candidate, ...]:
    """Every candidate in ``data/reference/candidates.csv``, in declared order within each group."""
    df = pd.read_csv(reference.reference_dir() / "candidates.csv", dtype=str, keep_default_na=False)
    out = [
        Candidate(
            group=r.group,
            order=int(r.order),
            candidate=r.candidate,
            figure=r.figure,
            kind=r.kind,
            keys=tuple(k for k in r.keys.split(";") if k),
            years=r.years,
            measure=r.measure,
            denominator=r.denominator,
            source=r.source or "authorities",
            exclude=tuple(x for x in r.exclude.split(";") if x),
            where=r.where,
            definition=r.definition,
        )
        for r in df.itertuples(index=False)
    ]
    return tuple(sorted(out, key=lambda c: (c.group, c.order)))


def of(group: str) -> list[Candidate]:
    found = [c for c in declared() if c.group == group]
    if not found:
        raise KeyError(f"no candidates declared for {group!r} in data/reference/candidates.csv")
    return found


def reproduces(ours: float, key: str) -> bool:
    """Whether ``ours`` rounds to the published figure ``key`` at the precision it was published with."""
    if ours is None or not math.isfinite(ours):
        return False
    text = str(reference.published_text(key))
    step = Decimal(1).scaleb(Decimal(text).as_tuple().exponent)
    theirs = Decimal(text)
    return bool(theirs - step / 2 <= Decimal(repr(float(ours))) < theirs + step / 2)


def assess(group: str, panel: pd.DataFrame, england: pd.DataFrame | None) -> pd.DataFrame:
    """One row per candidate and published figure, in declared order, with the values, whether each
    candidate reproduces every figure of the group, and which candidate is used (the first that does). Rates
    are on the population estimates of the NAO's time (as ONS then published them) where the data carry them."""
    panel = measures.with_population(panel, "as-published")
    rows = []
    tried = len(of(group))
    for c in of(group):
        values, details = evaluate(c, panel, england)
        ok = all(reproduces(values.get(k, math.nan), k) and _same_end(k, details.get(k, "")) for k in c.keys)
        for k in c.keys:
            ours = values.get(k, math.nan)
            rows.append(
                {
                    "group": group,
                    "figure": c.figure,
                    "order": c.order,
                    "candidate": c.candidate,
                    "definition": c.definition,
                    "key": k,
                    "published": reference.value(k),
                    "ours": ours,
                    "distance": ours - reference.value(k),
                    "tried": tried,
                    "reproduces": ok,
                    "status": (IDENTIFIED if len(c.keys) > 1 else CONSISTENT) if ok else NOT_REPRODUCED,
                    "detail": details.get(k, ""),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _same_end(key: str, detail: str) -> bool:
    """At the end of a range where the NAO names the authority, whether ours (the detail's first part) is it."""
    named = reference.named_authority(key)
    return named is None or detail.split(";")[0].strip() == named


def status(cand: pd.DataFrame, group: str) -> tuple[str, pd.DataFrame]:
    """A figure's status and the candidates that reproduce it (one row per candidate and key)."""
    g = cand[cand["group"] == group]
    hit = g[g["reproduces"]]
    if (hit["status"] == IDENTIFIED).any():
        return IDENTIFIED, hit[hit["status"] == IDENTIFIED]
    return (CONSISTENT, hit) if len(hit) else (NOT_REPRODUCED, hit)


def evaluate(c: Candidate, panel: pd.DataFrame, england: pd.DataFrame | None) -> tuple[dict, dict]:
    """The candidate's value for each of its keys, and a few words on what produced each value."""
    df = panel[~panel["la_name"].isin(c.exclude)]
    keep = pd.Series(True, index=df.index)  # the rows counted; a lagged column still looks at every row
    if c.where:
        col, val = c.where.split("=", 1)
        keep = df[col].astype(str) == val if col in df.columns else ~keep
    if c.kind == "growth":
        return _growth(c, df, keep, england)
    if c.kind == "range":
        return _range(c, df, keep)
    if c.kind == "share":
        return _share(c, df, keep)
    raise ValueError(f"candidate {c.group}/{c.candidate}: unknown kind {c.kind!r}")


def _column(df: pd.DataFrame, expr: str) -> pd.Series:
    """A panel expression: columns joined by ``+`` (all must be present), or ``col@-1`` for the year before."""
    if not expr:
        return pd.Series(1.0, index=df.index)
    name, _, lag = expr.partition("@")
    parts = name.split("+")
    if any(p not in df.columns for p in parts):
        return pd.Series(math.nan, index=df.index)
    s = df[parts].astype("float64").sum(axis=1, min_count=len(parts))
    if lag:
        by = df.assign(_v=s).set_index(["la_code", "year"])["_v"]
        keys = list(zip(df["la_code"], df["year"] + int(lag)))
        s = pd.Series(by.reindex(keys).to_numpy(), index=df.index)
    return s


def _scale(key: str) -> float:
    unit = str(reference.published().loc[key, "unit"])
    return float(contract.PER) if unit.startswith("per 10000") else 1.0


def _growth(c: Candidate, df: pd.DataFrame, keep: pd.Series, england: pd.DataFrame | None) -> tuple[dict, dict]:
    base, end = (int(y) for y in c.years.split(">"))
    key = c.keys[0]
    if c.source == "england":
        if england is None or england.empty:
            return {}, {key: "no England rows in these data"}
        e = england[england["year"].isin([base, end])]
        m, d = _column(e, c.measure), _column(e, c.denominator)
        by = pd.Series((m / d).to_numpy(), index=e["year"].to_numpy())
        if by.reindex([base, end]).isna().any():
            return {}, {key: "the England rows lack a value in one of the years"}
        return {key: (by[end] / by[base] - 1) * 100}, {key: f"England rows, {by[base]:,.6g} to {by[end]:,.6g}"}
    d = df.assign(_m=_column(df, c.measure), _d=_column(df, c.denominator))
    d = d[keep & d["year"].isin([base, end])]
    both = d.dropna(subset=["_m", "_d"]).groupby("la_code").filter(lambda g: g["year"].nunique() == 2)
    if both.empty:
        return {}, {key: "no authority has a value in both years"}
    s = both.groupby("year")[["_m", "_d"]].sum()
    ratio = s["_m"] / s["_d"]
    n = both["la_code"].nunique()
    return {key: (ratio[end] / ratio[base] - 1) * 100}, {key: f"{n} authorities with both years"}


def _range(c: Candidate, df: pd.DataFrame, keep: pd.Series) -> tuple[dict, dict]:
    year = int(c.years)
    kmin, kmax = c.keys
    every = _column(df, c.measure) / _column(df, c.denominator) * _scale(kmin)  # on every year: lags need them
    d = df[keep & (df["year"] == year)]
    r = every[d.index].dropna()
    r = r[r.map(math.isfinite)]
    if r.empty:
        return {}, {kmin: "no authority has a value", kmax: "no authority has a value"}
    names = d["la_name"]
    n = f"{len(r)} authorities"
    return (
        {kmin: float(r.min()), kmax: float(r.max())},
        {kmin: f"{names[r.idxmin()]}; {n}", kmax: f"{names[r.idxmax()]}; {n}"},
    )


def _share(c: Candidate, df: pd.DataFrame, keep: pd.Series) -> tuple[dict, dict]:
    values, details = {}, {}
    for key, year in zip(c.keys, c.years.split(";")):
        in_year = keep & (df["year"] == int(year))
        num, den = _column(df, c.measure)[in_year], _column(df, c.denominator)[in_year]
        ok = num.notna() & den.notna()
        if not ok.any():
            details[key] = "no authority has every category"
            continue
        values[key] = float(num[ok].sum() / den[ok].sum() * 100)
        details[key] = f"{int(ok.sum())} authorities with every category"
    return values, details


@cache
def decomposition_specs() -> pd.DataFrame:
    """The decomposition's declared specifications (``data/reference/decomposition.csv``): the candidates
    for the reproduction model in declared order, and the preferred model with its reason."""
    df = pd.read_csv(reference.reference_dir() / "decomposition.csv", dtype=str, keep_default_na=False)
    df["order"] = df["order"].astype(int)
    return df.sort_values("order").reset_index(drop=True)
