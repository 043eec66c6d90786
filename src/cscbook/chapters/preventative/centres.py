"""Children's centres: whether authorities that lost more centres saw child protection plans rise faster."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cscbook import reference
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context


@dataclass
class CentresResult:
    """The children's centres test: top against bottom third of reductions, and a regression slope."""

    available: bool
    reason: str = ""
    n: int = 0
    n_top: int = 0
    n_bottom: int = 0
    top_cut: float = float("nan")  # smallest reduction (%) in the top third
    bottom_cut: float = float("nan")  # largest reduction (%) in the bottom third
    mean_top: float = float("nan")
    mean_bottom: float = float("nan")
    diff: float = float("nan")
    diff_lo: float = float("nan")
    diff_hi: float = float("nan")
    p_diff: float = float("nan")
    slope: float = float("nan")  # change in CPP rate per 10 percentage points of centres lost
    slope_lo: float = float("nan")
    slope_hi: float = float("nan")
    centres_first: float = float("nan")
    centres_last: float = float("nan")

    @property
    def consistent(self) -> bool:
        """Consistent with no effect: both 95% intervals include zero."""
        return bool(self.diff_lo <= 0 <= self.diff_hi and self.slope_lo <= 0 <= self.slope_hi)


def centres_test(auth: pd.DataFrame, centres_nat: pd.Series | None = None) -> CentresResult:
    """Difference in the change in CPP rate between the third of authorities with the largest
    percentage fall in children's centres and the third with the smallest (Welch's t, 95% CI),
    and the OLS slope of the change on the reduction (HC1 robust standard errors, 95% CI)."""
    if auth["centres_first"].notna().sum() == 0 or auth["centres_last"].notna().sum() == 0:
        return CentresResult(False, "the data have no counts of children's centres")
    d = auth[["centres_change_pct", "cpp_rate_change"]].dropna()
    if len(d) < 9:
        return CentresResult(False, f"only {len(d)} authorities have both centre counts and CPP rates")
    reduction = -d["centres_change_pct"]
    third = pd.qcut(reduction.rank(method="first"), 3, labels=["bottom", "middle", "top"])
    top = d.loc[third == "top", "cpp_rate_change"]
    bottom = d.loc[third == "bottom", "cpp_rate_change"]
    t = stats.ttest_ind(top, bottom, equal_var=False)
    ci = t.confidence_interval(0.95)
    X = sm.add_constant(reduction / 10)
    fit = sm.OLS(d["cpp_rate_change"], X).fit(cov_type="HC1")
    lo, hi = fit.conf_int(0.05).iloc[1]
    r = CentresResult(
        True,
        n=len(d),
        n_top=len(top),
        n_bottom=len(bottom),
        top_cut=float(reduction[third == "top"].min()),
        bottom_cut=float(reduction[third == "bottom"].max()),
        mean_top=float(top.mean()),
        mean_bottom=float(bottom.mean()),
        diff=float(top.mean() - bottom.mean()),
        diff_lo=float(ci.low),
        diff_hi=float(ci.high),
        p_diff=float(t.pvalue),
        slope=float(fit.params.iloc[1]),
        slope_lo=float(lo),
        slope_hi=float(hi),
    )
    if centres_nat is not None:
        r.centres_first, r.centres_last = float(centres_nat.iloc[0]), float(centres_nat.iloc[-1])
    return r


def national_centres(panel: pd.DataFrame) -> pd.Series | None:
    """Children's centres open at 31 March, summed over authorities, by year (None when never recorded)."""
    c = panel.groupby("year")["childrens_centres"].sum(min_count=1).astype("float64")
    return None if c.isna().all() else c


def centres_sentence(r: CentresResult, ctx: Context) -> str:
    """The finding in one or two sentences, for the prose."""
    if not r.available:
        return (
            f"This test cannot be run on these data: {r.reason} (the `childrens_centres` column is missing "
            "for every authority and year). No count of children's centres by authority is published in a form "
            "the book can read, so the NAO's statement that plans did not rise where centres closed cannot be "
            f"tested on published data. {national_centres_sentence()}"
        )
    verdict = (
        "Both intervals include zero, which is consistent with the NAO's finding of no consequential increase."
        if r.consistent
        else "At least one interval excludes zero, which does not fit the NAO's finding of no consequential increase."
    )
    return (
        f"Authorities in the top third of reductions (at least {r.top_cut:.0f}% of their centres lost, "
        f"{r.n_top} authorities) saw their CPP rate change by {r.mean_top:+.1f} per 10,000, against "
        f"{r.mean_bottom:+.1f} in the bottom third ({r.bottom_cut:.0f}% or less, {r.n_bottom} authorities): "
        f"a difference of {r.diff:+.1f} per 10,000 (95% CI {r.diff_lo:+.1f} to {r.diff_hi:+.1f}). Across all "
        f"{r.n} authorities, each further 10 percentage points of centres lost goes with a change of "
        f"{r.slope:+.2f} per 10,000 (95% CI {r.slope_lo:+.2f} to {r.slope_hi:+.2f}). {verdict}"
    )


def national_centres_sentence() -> str:
    """What the published national counts say (kept in data/reference with their sources)."""
    before, after = reference.value("centres_aug_2009"), reference.value("centres_oct_2017")
    closed = reference.value("centres_closed_2019")
    return (
        f"Nationally, DfE counted {before:,.0f} centres in August 2009 and {after:,.0f} in October 2017 (as "
        f"cited by the Sutton Trust's *Stop Start*, 2018), a fall of {before - after:,.0f} ({1 - after / before:.0%}); "
        f"a written answer to Parliament (HL14383, 12 March 2019) gave {closed:,.0f} closed since April 2010, from "
        "DfE's register of establishments."
    )


def centres_table(r: CentresResult) -> pd.DataFrame:
    """The two estimates with their intervals (one row saying why, when the test cannot run)."""
    if not r.available:
        return pd.DataFrame([{"Estimate": "Children's centres test", "Result": f"not run: {r.reason}"}]).set_index(
            "Estimate"
        )
    return pd.DataFrame(
        [
            {
                "Estimate": "Top minus bottom third",
                "Value": r.diff,
                "95% CI low": r.diff_lo,
                "95% CI high": r.diff_hi,
                "Authorities": r.n_top + r.n_bottom,
                "Interval includes 0": "yes" if r.diff_lo <= 0 <= r.diff_hi else "no",
            },
            {
                "Estimate": "Slope per 10 pp of centres lost",
                "Value": r.slope,
                "95% CI low": r.slope_lo,
                "95% CI high": r.slope_hi,
                "Authorities": r.n,
                "Interval includes 0": "yes" if r.slope_lo <= 0 <= r.slope_hi else "no",
            },
        ]
    ).set_index("Estimate")


def centres_note(ctx: Context) -> str:
    """The rule under which the children's centres column is empty, from the data's flags."""
    f = ctx.prepared.flags
    if f is None or not len(f):
        return ""
    hit = f[(f["column"] == "childrens_centres") & (f["flag"] == "missing")]
    rules = sorted(set(hit["rule"].astype(str)))
    return nao_notes.join(
        [f"rule {r}: {nao_notes.rule_text(ctx.prepared.meta, r).rstrip('.')}".rstrip(": ") for r in rules]
    )
