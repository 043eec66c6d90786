"""Statistics that more than one chapter uses: rank correlations with intervals, the Kruskal-Wallis test,
rank stability between years, funnel-plot limits (exact binomial, and allowing for overdispersion), and
intervals for authorities' ranks.

Every function takes plain arrays or frames and knows nothing of a chapter, so each can be checked on
a set with a planted truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cscbook import contract

LEVEL = 0.95


def spearman_ci(x, y, level: float = LEVEL) -> dict[str, float]:
    """Spearman's rank correlation with a Fisher z interval (Bonett-Wright standard error) and its p-value."""
    d = pd.DataFrame({"x": np.asarray(x, dtype="float64"), "y": np.asarray(y, dtype="float64")}).dropna()
    n = len(d)
    if n < 5 or d["x"].nunique() < 2 or d["y"].nunique() < 2:
        return {"rho": float("nan"), "lo": float("nan"), "hi": float("nan"), "p": float("nan"), "n": n}
    res = stats.spearmanr(d["x"], d["y"])
    rho = float(res.statistic)
    se = np.sqrt((1 + rho**2 / 2) / (n - 3))
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    crit = stats.norm.ppf((1 + level) / 2)
    return {
        "rho": rho,
        "lo": float(np.tanh(z - crit * se)),
        "hi": float(np.tanh(z + crit * se)),
        "p": float(res.pvalue),
        "n": n,
    }


def kruskal(df: pd.DataFrame, value: str, group: str = "group") -> dict[str, float]:
    """Kruskal-Wallis test of ``value`` across the groups that have at least two authorities."""
    groups = [g[value].dropna().to_numpy() for _, g in df.groupby(group) if g[value].notna().sum() >= 2]
    if len(groups) < 2:
        return {"H": float("nan"), "p": float("nan"), "k": len(groups)}
    res = stats.kruskal(*groups)
    return {"H": float(res.statistic), "p": float(res.pvalue), "k": len(groups)}


def spearman_stability(w: pd.DataFrame) -> pd.Series:
    """Spearman correlation of authorities' values between consecutive years, and first against last.

    ``w`` has authorities in rows and years in columns; each pair uses the authorities known in both.
    """
    years = sorted(w.columns)
    out = {}
    pairs = list(zip(years[:-1], years[1:])) + [(years[0], years[-1])]
    for a, b in pairs:
        both = w[[a, b]].dropna()
        label = f"{contract.year_label(a)} to {contract.year_label(b)}"
        if (a, b) == (years[0], years[-1]):
            label = f"First to last: {label}"
        out[label] = float(stats.spearmanr(both[a], both[b]).statistic) if len(both) > 2 else float("nan")
    return pd.Series(out)


# --- funnel plots ------------------------------------------------------------------------------------


def funnel_limits(theta: float, n: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Binomial control limits for a proportion ``theta`` on ``n`` trials, as proportions.

    Exact binomial quantiles, interpolated between integers so the limits are smooth in ``n``
    (Spiegelhalter 2005, Statistics in Medicine 24:1185).
    """
    n = np.asarray(n, dtype="float64")
    out = []
    for q in ((1 - coverage) / 2, (1 + coverage) / 2):
        r = stats.binom.ppf(q, n, theta)
        f_r = stats.binom.cdf(r, n, theta)
        f_r1 = stats.binom.cdf(r - 1, n, theta)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(f_r > f_r1, (f_r - q) / (f_r - f_r1), 0.0)
        out.append((r - alpha) / n)
    return out[0], out[1]


#: The share Winsorised at each end of the z-scores before overdispersion is estimated (Spiegelhalter's 10%).
WINSOR = 0.10


@dataclass(frozen=True)
class Overdispersion:
    """How much more the units' proportions spread than binomial sampling around ``theta`` allows.

    ``phi`` is the multiplicative factor (1 with binomial variation only); ``tau2`` the additive
    between-unit variance of the proportions (0 when ``phi`` is within what chance gives); ``p`` the
    chi-squared test of no overdispersion on I - 1 degrees of freedom.
    """

    theta: float
    phi: float
    tau2: float
    p: float
    units: int
    winsor: float

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))


def overdispersion(count, n, theta: float, winsor: float = WINSOR) -> Overdispersion:
    """Spiegelhalter's estimate of overdispersion from Winsorised z-scores (Quality and Safety in Health
    Care 2005;14:347): z_i = (y_i - theta) / s_i with s_i^2 = theta (1 - theta) / n_i; phi is the mean of
    the squared Winsorised z; tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w_i = 1 / s_i^2."""
    count = np.asarray(count, dtype="float64")
    n = np.asarray(n, dtype="float64")
    keep = np.isfinite(count) & np.isfinite(n) & (n > 0)
    y, n = count[keep] / n[keep], n[keep]
    units = len(y)
    if units < 3 or not 0 < theta < 1:
        return Overdispersion(theta, float("nan"), float("nan"), float("nan"), units, winsor)
    s2 = theta * (1 - theta) / n
    z = (y - theta) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw**2))
    w = 1 / s2
    excess = units * phi - (units - 1)
    tau2 = max(0.0, excess / (w.sum() - (w**2).sum() / w.sum()))
    p = float(stats.chi2.sf(units * phi, units - 1))
    return Overdispersion(float(theta), phi, float(tau2), p, units, winsor)


def funnel_limits_overdispersed(od: Overdispersion, n, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Limits allowing for overdispersion by the additive random-effects term: theta +/- z sqrt(s^2 + tau^2),
    as proportions (never below zero)."""
    n = np.asarray(n, dtype="float64")
    half = stats.norm.ppf((1 + coverage) / 2) * np.sqrt(od.theta * (1 - od.theta) / n + od.tau2)
    return np.maximum(od.theta - half, 0.0), od.theta + half


#: The funnel's two coverages and the tags its columns carry.
FUNNEL_COVERAGES = ((0.95, "95"), (0.998, "998"))


def _positions(out: pd.DataFrame, limits: str) -> np.ndarray:
    """Each rate's place against the limits named ``lo_<limits>95`` to ``hi_<limits>998``."""
    rate = out["rate"]
    return np.select(
        [
            rate > out[f"hi_{limits}998"],
            rate < out[f"lo_{limits}998"],
            rate > out[f"hi_{limits}95"],
            rate < out[f"lo_{limits}95"],
        ],
        ["above 99.8%", "below 99.8%", "above 95%", "below 95%"],
        "within 95%",
    )


def funnel_frame(count, n, theta: float, per: float = 1.0) -> pd.DataFrame:
    """Each unit's rate (times ``per``) with its 95% and 99.8% limits, exact binomial (``lo_95`` ...) and
    allowing for overdispersion (``lo_od_95`` ...), and its place against each (``position``,
    ``position_od``: 'above 99.8%', 'above 95%', 'within 95%', ...). The estimate of overdispersion is in
    ``attrs["od"]``."""
    n = np.asarray(n, dtype="float64")
    x = np.asarray(count, dtype="float64")
    out = pd.DataFrame({"pop_0_17": n, "count": x, "rate": x / n * per})
    od = overdispersion(x, n, theta)
    for cov, tag in FUNNEL_COVERAGES:
        lo, hi = funnel_limits(theta, n, cov)
        out[f"lo_{tag}"], out[f"hi_{tag}"] = lo * per, hi * per
        lo, hi = funnel_limits_overdispersed(od, n, cov)
        out[f"lo_od_{tag}"], out[f"hi_od_{tag}"] = lo * per, hi * per
    out["position"] = _positions(out, "")
    out["position_od"] = _positions(out, "od_")
    out.attrs["theta"] = theta
    out.attrs["od"] = od
    return out


# --- ranks -------------------------------------------------------------------------------------------


def rank_intervals(count, n, draws: int, seed: int, level: float = LEVEL) -> pd.DataFrame:
    """Each unit's rank by its rate (1 = highest) with an interval from a parametric bootstrap: each draw
    takes every count from a binomial on the unit's own observed rate and ranks the drawn rates again.

    Returns ``rank``, ``lo`` and ``hi`` (the interval's best and worst places, so ``lo <= rank <= hi``
    in the usual case), in the order of the inputs. With no draws the interval is the rank itself.
    """
    count = np.asarray(count, dtype="float64")
    n = np.asarray(n, dtype="float64")
    rate = count / n
    rank = pd.Series(rate).rank(ascending=False, method="min").to_numpy()
    if draws <= 0:
        return pd.DataFrame({"rank": rank, "lo": rank, "hi": rank})
    rng = np.random.default_rng(seed)
    sims = rng.binomial(n.astype("int64"), np.clip(rate, 0, 1), size=(draws, len(n))) / n
    ranks = pd.DataFrame(sims).rank(axis=1, ascending=False, method="min").to_numpy()
    q = (1 - level) / 2
    lo, hi = np.quantile(ranks, [q, 1 - q], axis=0, method="inverted_cdf")
    return pd.DataFrame({"rank": rank, "lo": lo, "hi": hi})


def distinguishable(ranks: pd.DataFrame) -> dict[str, float]:
    """How far ranks can be told apart: the median width of the intervals (in places), and how many units
    are confidently in the top or bottom quarter (their whole interval inside it)."""
    units = len(ranks)
    if not units:
        return {"units": 0, "median_width": float("nan"), "top": 0, "bottom": 0, "middle": 0, "quarter": 0}
    quarter = units / 4
    width = ranks["hi"] - ranks["lo"]
    top = int((ranks["hi"] <= quarter).sum())
    bottom = int((ranks["lo"] > units - quarter).sum())
    return {
        "units": units,
        "median_width": float(width.median()),
        "top": top,
        "bottom": bottom,
        "middle": units - top - bottom,
        "quarter": int(np.floor(quarter)),
    }
