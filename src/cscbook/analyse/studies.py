"""Estimates on the book's panel that follow, as far as its columns allow, the definitions of published
studies: an elasticity of children-in-need rates to preventative spending with authority and year
effects; care entries against children's income deprivation, between and within authorities; the odds
of a Good or Outstanding Ofsted judgement against preventative spending; and rates by deprivation decile.

Each function takes the panel (contract columns) and returns plain numbers or frames; none knows of a
chapter, so each can be checked against a panel with a planted truth. Intervals are 95% and, for the
regressions, robust to clustering by authority.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from cscbook import contract
from cscbook.analyse import measures
from cscbook.analyse.stats import LEVEL
from cscbook.contract import OFSTED_SCALE, PER

#: Section 251 categories of preventative spending: Sure Start and under-5s, family support, and
#: services for young people (the book's definition A of the preventative share).
PREVENTATIVE = ["sure_start", "family_support", "young_people"]
#: Spending other than on safeguarding and children looked after (capital from revenue excluded).
NON_STATUTORY = [c for c in measures.SOCIAL_CARE if c not in ("safeguarding", "cla")]


@dataclass(frozen=True)
class Estimate:
    """One coefficient (or a transformation of it) with its interval and what it was fitted on."""

    value: float
    low: float
    high: float
    rows: int
    authorities: int
    first: int
    last: int

    @classmethod
    def missing(cls) -> Estimate:
        return cls(math.nan, math.nan, math.nan, 0, 0, 0, 0)


def per_child(panel: pd.DataFrame, categories: list[str]) -> pd.Series:
    """Spending (nominal £) in ``categories`` per child aged 0-17."""
    return measures.spend_total(panel, categories) / panel["pop_0_17"].astype("float64")


def _window(panel: pd.DataFrame, first: int, last: int, exclude_tiny: bool = True) -> pd.DataFrame:
    d = panel[(panel["year"] >= first) & (panel["year"] <= last)]
    return d[~d["la_code"].isin(contract.TINY)] if exclude_tiny else d


def _clustered(formula: str, d: pd.DataFrame, term: str) -> tuple[float, float, float]:
    """OLS coefficient of ``term`` with a 95% interval robust to clustering by authority."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.ols(formula, d).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["la_code"])[0]})
    lo, hi = res.conf_int(1 - LEVEL).loc[term]
    return float(res.params[term]), float(lo), float(hi)


def _estimate(v: tuple[float, float, float], d: pd.DataFrame) -> Estimate:
    return Estimate(*v, len(d), int(d["la_code"].nunique()), int(d["year"].min()), int(d["year"].max()))


def elasticity(
    panel: pd.DataFrame, outcome: str, categories: list[str], first: int, last: int, lag: bool = False
) -> Estimate:
    """Elasticity of ``outcome`` per 10,000 children to spending per child in ``categories``: the coefficient
    of log spending in a regression of the log rate with authority and year effects (the spending of the
    previous year with ``lag``). The City of London and the Isles of Scilly are left out."""
    p = panel.sort_values(["la_code", "year"])
    d = pd.DataFrame({"la_code": p["la_code"], "year": p["year"], "rate": measures.rate(p, outcome)})
    spend = per_child(p, categories)
    if lag:
        prev = p.groupby("la_code")["year"].shift(1)
        spend = spend.groupby(p["la_code"]).shift(1).where(prev == p["year"] - 1)
    d["spend"] = spend
    d = _window(d, first, last)
    d = d[(d["rate"] > 0) & (d["spend"] > 0)].dropna()
    if d["la_code"].nunique() < 10 or d["year"].nunique() < 2:
        return Estimate.missing()
    d = d.assign(ly=np.log(d["rate"]), lx=np.log(d["spend"]))
    return _estimate(_clustered("ly ~ lx + C(la_code) + C(year)", d, "lx"), d)


def care_entries_deprivation(panel: pd.DataFrame, first: int, last: int) -> dict[str, Estimate]:
    """Children starting to be looked after per 100,000 aged 0-17 against the IDACI score in percentage
    points (the share of children in income-deprived families), with year effects: ``between`` is the
    coefficient of each authority's mean score, ``within`` of the year's deviation from it (Mundlak).
    ``within`` is missing when no authority's score changes between ``first`` and ``last``."""
    d = pd.DataFrame(
        {
            "la_code": panel["la_code"],
            "year": panel["year"],
            "rate": measures.rate(panel, "cla_starts") * 10,
            "idaci": 100 * panel["idaci_score"].astype("float64"),
        }
    )
    d = _window(d, first, last).dropna()
    if d["la_code"].nunique() < 10:
        return {"between": Estimate.missing(), "within": Estimate.missing()}
    mean = d.groupby("la_code")["idaci"].transform("mean")
    d = d.assign(between=mean, within=d["idaci"] - mean)
    varies = float(d["within"].abs().max()) > 1e-9
    formula = "rate ~ between + within + C(year)" if varies else "rate ~ between + C(year)"
    out = {"between": _estimate(_clustered(formula, d, "between"), d)}
    out["within"] = _estimate(_clustered(formula, d, "within"), d) if varies else Estimate.missing()
    return out


def inspections(panel: pd.DataFrame) -> pd.DataFrame:
    """Each graded judgement once, from the panel's latest judgement as at 31 March: the authority, its date,
    framework and judgement, and the year (ending 31 March) whose row first carries it."""
    cols = ["la_code", "la_name", "year", "ofsted_date", "ofsted_framework", "ofsted_overall"]
    d = panel.loc[panel["ofsted_overall"].isin(OFSTED_SCALE), cols].sort_values(["la_code", "year"])
    d = d.drop_duplicates(["la_code", "ofsted_date", "ofsted_framework"], keep="first")
    return d.reset_index(drop=True)


def ofsted_odds(
    panel: pd.DataFrame, first: int, last: int, categories: list[str] = PREVENTATIVE
) -> dict[str, Estimate]:
    """Odds ratios of a Good or Outstanding judgement: ``preventative`` for £100 more preventative spending
    per child in the inspection's year, and ``deprivation`` for one decile more of IMD score (authorities'
    deciles, 1 least deprived), each adjusting for the other and for safeguarding spending per child. A
    logistic regression of the judgements published from ``first`` to ``last`` (calendar years), with
    intervals robust to clustering by authority."""
    ins = inspections(panel)
    ins = ins[pd.to_datetime(ins["ofsted_date"]).dt.year.between(first, last)]
    p = panel.assign(prev=per_child(panel, categories) / 100, safe=per_child(panel, ["safeguarding"]) / 100)
    imd = panel.groupby("la_code")["imd_score"].mean().dropna()
    decile = pd.Series(pd.qcut(imd.rank(method="first"), 10, labels=False) + 1, index=imd.index)
    d = ins.merge(p[["la_code", "year", "prev", "safe"]], on=["la_code", "year"], how="inner")
    d = d.assign(good=d["ofsted_overall"].isin(["Good", "Outstanding"]).astype(int), decile=d["la_code"].map(decile))
    d = d.dropna(subset=["prev", "safe", "decile"])
    if len(d) < 30 or d["good"].nunique() < 2:
        return {"preventative": Estimate.missing(), "deprivation": Estimate.missing()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.logit("good ~ prev + safe + decile", d).fit(
            disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(d["la_code"])[0]}
        )
    ci = res.conf_int(1 - LEVEL)
    years = pd.to_datetime(d["ofsted_date"]).dt.year
    n, k = len(d), int(d["la_code"].nunique())

    def odds(term: str) -> Estimate:
        lo, hi = ci.loc[term]
        b = float(res.params[term])
        return Estimate(math.exp(b), math.exp(lo), math.exp(hi), n, k, int(years.min()), int(years.max()))

    return {"preventative": odds("prev"), "deprivation": odds("decile")}


def gradient(panel: pd.DataFrame, year: int, measure: str, groups: int = 10) -> pd.DataFrame:
    """Rate per 10,000 children aged 0-17 of ``measure`` in ``year`` by the authority's decile of IDACI
    score (1 least deprived), pooled over the authorities in each decile, with their count and children."""
    d = panel[(panel["year"] == year)].dropna(subset=[measure, "idaci_score", "pop_0_17"])
    if len(d) < groups:
        return pd.DataFrame(columns=["decile", "authorities", "children", "rate"])
    d = d.assign(decile=pd.qcut(d["idaci_score"].rank(method="first"), groups, labels=False) + 1)
    g = d.groupby("decile").agg(authorities=("la_code", "size"), children=("pop_0_17", "sum"), n=(measure, "sum"))
    g["rate"] = g["n"] / g["children"] * PER
    return g.drop(columns="n").reset_index()


def gradient_ratio(g: pd.DataFrame) -> float:
    """The most deprived decile's rate over the least deprived's."""
    if g.empty:
        return math.nan
    return float(g["rate"].iloc[-1] / g["rate"].iloc[0])
