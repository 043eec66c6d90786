"""The decomposition of variation in child protection plan (CPP) rates, fitted in the open.

The primary model is a linear mixed model (statsmodels ``MixedLM``, REML) of the CPP rate per
10,000 children aged 0-17 (log by default) on deprivation, log spending per child and the social
worker vacancy rate, with year fixed effects and a random intercept per authority. Shares of
variance follow the rule the generator's truth is built on (``cscbook.shares.shapley_shares``):
for the fixed parts, share_k = cov(part_k, fixed total) / total; the random intercept and residual
contribute their model variances; total = var(fixed part) + sigma_a^2 + sigma_e^2 (Nakagawa-Schielzeth).

Bootstrap replicates use an exact profile-REML estimator for the random-intercept model (one
variance ratio searched numerically, everything else in closed form), which agrees with
``MixedLM`` on the full sample and is about a hundred times faster. All functions take and
return plain DataFrames and arrays.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize

from cscbook.analyse import measures
from cscbook.shares import shapley_shares

#: Components in the order the book shows them.
COMPONENTS = ["authority", "deprivation", "national", "spend_vacancy", "residual"]
LABELS = {
    "authority": "Differences between authorities",
    "deprivation": "Deprivation",
    "national": "National changes",
    "spend_vacancy": "Spending and vacancies",
    "residual": "Unexplained",
}
#: Keys of the NAO's shares in data/reference/published.csv.
NAO_KEYS = {
    "authority": "share_authority",
    "deprivation": "share_deprivation",
    "national": "share_national",
    "spend_vacancy": "share_spend_vacancy",
    "residual": "share_unexplained",
}
DEPRIVATION_COLUMN = {"idaci": "idaci_score", "imd": "imd_score"}
#: First year (ending 31 March) with published children's social worker vacancy rates (2016-17).
VACANCY_FIRST_YEAR = 2017
#: Share of authorities, smallest by child population in the last year, dropped in the size check.
SMALL_FRACTION = 0.05
#: Spending measures: section 251 categories summed per child aged 0-17 (None: every category except CERA).
SPEND_MEASURES = {"total": None, "social_care": ["cla", "safeguarding", "family_support", "other_cfs"]}
#: Outcomes: counts per 10,000 children aged 0-17.
OUTCOMES = {"cpp_31mar": "children on a plan at 31 March", "cpp_starts": "plans started in the year"}


@dataclass(frozen=True)
class Spec:
    """One model specification: outcome and its scale, deprivation and spending measures, and the sample rules."""

    outcome_scale: Literal["log", "level"] = "log"
    deprivation: Literal["idaci", "imd"] = "idaci"
    vacancies: bool = True  # include the vacancy rate (complete cases only)
    lag_spend: bool = False  # spending per child of the previous year
    first_year: int | None = None  # drop earlier years
    drop_smallest: float = 0.0  # fraction of authorities, smallest by child population, dropped
    outcome: Literal["cpp_31mar", "cpp_starts"] = "cpp_31mar"  # plans at 31 March, or plans started in the year
    spend: Literal["total", "social_care"] = "total"  # a key of SPEND_MEASURES
    within_between: bool = False  # Mundlak: each covariate as its authority mean and the deviation from it


@dataclass
class Fit:
    """A fitted decomposition: coefficients, variance components, shares and the data used."""

    spec: Spec
    frame: pd.DataFrame
    names: list[str]
    beta: np.ndarray
    sigma_a2: float
    sigma_e2: float
    shares: dict[str, float]
    method: str
    result: Any = None  # the statsmodels MixedLMResults when method == "mixedlm"
    dropped: dict[str, int] = field(default_factory=dict)


# --- data --------------------------------------------------------------------------------


def model_frame(panel: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows and variables the model uses, and how many rows each rule dropped."""
    p = panel.sort_values(["la_code", "year"]).reset_index(drop=True)
    rate = measures.rate(p, spec.outcome)
    cats = SPEND_MEASURES[spec.spend]
    spend = (measures.spend_total(p, cats) / p["pop_0_17"].astype("float64")).astype("float64")
    df = pd.DataFrame(
        {
            "la_code": p["la_code"].astype(str),
            "la_name": p["la_name"].astype(str),
            "region": p["region"].astype(str),
            "year": p["year"].astype("int64"),
            "pop_0_17": p["pop_0_17"].astype("float64"),
            "rate": rate,
            "deprivation": p[DEPRIVATION_COLUMN[spec.deprivation]].astype("float64"),
            "log_spend": np.log(spend.where(spend > 0)),
            "vacancy": p["sw_vacancy_rate"].astype("float64"),
        }
    )
    if spec.lag_spend:
        prev = df.groupby("la_code")[["year", "log_spend"]].shift(1)
        df["log_spend"] = prev["log_spend"].where(prev["year"] == df["year"] - 1)
    dropped: dict[str, int] = {"rows in panel": len(df)}
    keep = df["rate"].notna() & (df["rate"] > 0) if spec.outcome_scale == "log" else df["rate"].notna()
    dropped["CPP count missing or suppressed"] = int((~keep).sum())
    df = df[keep]
    if spec.first_year is not None:
        early = df["year"] < spec.first_year
        dropped[f"years before {spec.first_year}"] = int(early.sum())
        df = df[~early]
    if spec.drop_smallest > 0:
        last = df[df["year"] == df["year"].max()].set_index("la_code")["pop_0_17"]
        n_drop = int(math.ceil(spec.drop_smallest * len(last)))
        small = set(last.nsmallest(n_drop).index)
        out = df["la_code"].isin(small)
        dropped[f"smallest {n_drop} authorities"] = int(out.sum())
        df = df[~out]
    need = ["deprivation", "log_spend"] + (["vacancy"] if spec.vacancies else [])
    for col in need:
        miss = df[col].isna()
        label = "spending of the previous year missing" if col == "log_spend" and spec.lag_spend else f"{col} missing"
        dropped[label] = int(miss.sum())
        df = df[~miss]
    df = df.copy()
    df["y"] = np.log(df["rate"]) if spec.outcome_scale == "log" else df["rate"]
    dropped["rows in model"] = len(df)
    return df.reset_index(drop=True), dropped


def design(frame: pd.DataFrame, spec: Spec) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    """Fixed-effects design: intercept, deprivation, spending, vacancies, year dummies (first year omitted).

    With ``spec.within_between`` (the within-between or "REWB" model of Bell and Jones) each covariate
    enters twice: ``<name>_between``, its authority's mean over the model frame, and ``<name>_within``,
    the year's deviation from that mean; differences between authorities' average spending then belong
    to the spending block rather than to the authority intercept.
    """
    cols = ["deprivation", "log_spend"] + (["vacancy"] if spec.vacancies else [])
    years = sorted(frame["year"].unique())
    X, names = [np.ones(len(frame))], ["const"]
    for c in cols:
        v = frame[c].to_numpy(float)
        if spec.within_between:
            mean = frame.groupby("la_code", sort=False)[c].transform("mean").to_numpy(float)
            X.append(mean)
            names.append(f"{c}_between")
            if np.ptp(v - mean) > 1e-12 * (1 + np.abs(v).max()):  # a covariate fixed within authorities has none
                X.append(v - mean)
                names.append(f"{c}_within")
        else:
            X.append(v)
            names.append(c)
    for y in years[1:]:
        X.append((frame["year"].to_numpy() == y).astype(float))
        names.append(f"year_{y}")
    covariate = {n: n.removesuffix("_between").removesuffix("_within") for n in names}
    blocks = {
        "deprivation": [i for i, n in enumerate(names) if covariate[n] == "deprivation"],
        "national": [i for i, n in enumerate(names) if n.startswith("year_")],
        "spend_vacancy": [i for i, n in enumerate(names) if covariate[n] in cols and covariate[n] != "deprivation"],
    }
    return np.column_stack(X), names, blocks


# --- shares ------------------------------------------------------------------------------


def _with_variance(v: float) -> np.ndarray:
    """A two-point series whose (population) variance is ``v``: how a model variance enters the Shapley rule."""
    s = math.sqrt(max(v, 0.0))
    return np.array([s, -s])


def shares(
    X: np.ndarray, beta: np.ndarray, blocks: dict[str, list[int]], sigma_a2: float, sigma_e2: float
) -> dict[str, float]:
    """Shares of variance by the Shapley rule (``shapley_shares``), with model variances for authority and residual."""
    parts: dict[str, np.ndarray] = {"authority": _with_variance(sigma_a2)}
    for k in ("deprivation", "national", "spend_vacancy"):
        idx = blocks[k]
        parts[k] = X[:, idx] @ beta[idx] if idx else np.zeros(len(X))
    parts["residual"] = _with_variance(sigma_e2)
    out = shapley_shares(parts, random_parts=("authority", "residual"))
    return {k: out[k] for k in COMPONENTS}


# --- estimators --------------------------------------------------------------------------


def _group_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, _ = pd.factorize(labels)
    return codes, np.bincount(codes)


def reml_profile(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, float, float]:
    """REML for a random-intercept model by profiling out beta and sigma_e^2; returns beta, sigma_a^2, sigma_e^2.

    With gamma = sigma_a^2 / sigma_e^2, quasi-demeaning group i by theta_i = 1 - (1 + T_i gamma)^-1/2 turns
    GLS into OLS, so -2 x REML log-likelihood is (n-p) log(SSR/(n-p)) + sum log(1 + T_i gamma) + log|X*'X*|
    up to a constant. The transformed cross-products are Z'Z - sum_i T_i (1 - w_i) zbar_i zbar_i' with
    Z = [X, y] and w_i = 1 / (1 + T_i gamma), so each step of the one-dimensional search over gamma is
    p x p algebra.
    """
    codes, T = _group_codes(groups)
    n, p = X.shape
    means = np.r_[0.0, X[:, 1:].mean(axis=0), y.mean()]
    Z = np.column_stack([X, y]) - means  # centre all but the intercept column, for accuracy
    S = Z.T @ Z
    Zbar = np.zeros((len(T), p + 1))
    np.add.at(Zbar, codes, Z)
    Zbar /= T[:, None]

    def solve(lg: float) -> tuple[float, np.ndarray, float]:
        gamma = math.exp(lg)
        A = S - (Zbar.T * (T * (1 - 1 / (1 + T * gamma)))) @ Zbar
        L = np.linalg.cholesky(A[:p, :p])
        beta = np.linalg.solve(L.T, np.linalg.solve(L, A[:p, p]))
        ssr = float(A[p, p] - A[:p, p] @ beta)
        obj = (n - p) * math.log(ssr / (n - p)) + float(np.log1p(T * gamma).sum()) + 2 * float(np.log(np.diag(L)).sum())
        return obj, beta, ssr

    res = optimize.minimize_scalar(
        lambda lg: solve(lg)[0], bounds=(-20.0, 10.0), method="bounded", options={"xatol": 1e-10}
    )
    _, beta, ssr = solve(res.x)
    beta = beta.copy()
    beta[0] += means[p] - means[1:p] @ beta[1:]  # intercept on the original scale
    s_e2 = ssr / (n - p)
    return beta, math.exp(res.x) * s_e2, s_e2


def fit(panel: pd.DataFrame, spec: Spec = Spec(), method: Literal["mixedlm", "profile"] = "mixedlm") -> Fit:
    """Fit the decomposition on ``panel`` with ``spec``; ``mixedlm`` is the primary estimator."""
    frame, dropped = model_frame(panel, spec)
    return fit_frame(frame, spec, method, dropped)


def fit_frame(frame: pd.DataFrame, spec: Spec, method: str = "mixedlm", dropped: dict | None = None) -> Fit:
    """Fit on a prepared model frame (see :func:`model_frame`)."""
    if frame["la_code"].nunique() < 3 or len(frame) <= frame["year"].nunique() + 4:
        raise ValueError("too few authorities or rows to fit the decomposition")
    X, names, blocks = design(frame, spec)
    y = frame["y"].to_numpy(float)
    groups = frame["la_code"].to_numpy()
    result = None
    if method == "mixedlm":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.MixedLM(y, pd.DataFrame(X, columns=names), groups=groups).fit(reml=True)
        beta = np.asarray(result.fe_params, dtype=float)
        s_a2, s_e2 = float(result.cov_re.iloc[0, 0]), float(result.scale)
    elif method == "profile":
        beta, s_a2, s_e2 = reml_profile(y, X, groups)
    else:
        raise ValueError(f"unknown method {method!r}")
    sh = shares(X, beta, blocks, s_a2, s_e2)
    return Fit(spec, frame, names, beta, s_a2, s_e2, sh, method, result, dict(dropped or {}))


# --- bootstrap ---------------------------------------------------------------------------


def resample_authorities(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw authorities with replacement; each draw becomes a distinct authority (``la_code#k``)."""
    codes = frame["la_code"].unique()
    draw = rng.integers(0, len(codes), len(codes))
    by = {c: g for c, g in frame.groupby("la_code", sort=False)}
    pieces = []
    for k, i in enumerate(draw):
        g = by[codes[i]].copy()
        g["la_code"] = f"{codes[i]}#{k}"
        pieces.append(g)
    return pd.concat(pieces, ignore_index=True)


def bootstrap(frame: pd.DataFrame, spec: Spec, n_boot: int, seed: int) -> pd.DataFrame:
    """Shares (and coefficients) in ``n_boot`` replicates resampling authorities, by profile REML."""
    rng = np.random.default_rng(seed)
    X, names, blocks = design(frame, spec)
    y = frame["y"].to_numpy(float)
    codes, _ = _group_codes(frame["la_code"].to_numpy())
    rows_of = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    out = []
    for _ in range(n_boot):
        draw = rng.integers(0, len(rows_of), len(rows_of))
        idx = np.concatenate([rows_of[i] for i in draw])
        grp = np.repeat(np.arange(len(draw)), [len(rows_of[i]) for i in draw])  # duplicates relabelled
        Xb = X[idx]
        keep = [j for j in range(X.shape[1]) if j == 0 or np.ptp(Xb[:, j]) > 0]  # a year may vanish
        if len(keep) < X.shape[1]:
            sub = {k: [keep.index(j) for j in v if j in keep] for k, v in blocks.items()}
            beta_k, s_a2, s_e2 = reml_profile(y[idx], Xb[:, keep], grp)
            beta = np.full(X.shape[1], np.nan)
            beta[keep] = beta_k
            sh = shares(Xb[:, keep], beta_k, sub, s_a2, s_e2)
        else:
            beta, s_a2, s_e2 = reml_profile(y[idx], Xb, grp)
            sh = shares(Xb, beta, blocks, s_a2, s_e2)
        out.append({**sh, **{f"coef_{k}": v for k, v in zip(names, beta)}, "sigma_a2": s_a2, "sigma_e2": s_e2})
    return pd.DataFrame(out)


def intervals(boot: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Percentile intervals for each share: columns low and high, one row per component (missing when there
    are no replicates)."""
    if len(boot) == 0:
        return pd.DataFrame({"low": np.nan, "high": np.nan}, index=COMPONENTS)
    a = (1 - level) / 2
    q = boot[COMPONENTS].quantile([a, 1 - a])
    return pd.DataFrame({"low": q.iloc[0], "high": q.iloc[1]})


# --- robustness --------------------------------------------------------------------------


def r2(y: np.ndarray, X: np.ndarray) -> float:
    """R-squared of an OLS fit of ``y`` on ``X`` (which includes an intercept)."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    d = y - y.mean()
    return float(1 - (r @ r) / (d @ d))


def ols_blocks(frame: pd.DataFrame, spec: Spec) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Outcome and the column blocks of the OLS model other than the authority dummies."""
    X, names, blocks = design(frame, spec)
    return frame["y"].to_numpy(float), {k: X[:, blocks[k]] for k in ("deprivation", "national", "spend_vacancy")}


def _demean(a: np.ndarray, codes: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Subtract each authority's mean (the effect of a full set of authority dummies)."""
    means = np.zeros((len(T),) + a.shape[1:])
    np.add.at(means, codes, a)
    return a - (means / T.reshape((-1,) + (1,) * (a.ndim - 1)))[codes]


def r2_table(frame: pd.DataFrame, spec: Spec) -> dict[frozenset, float]:
    """R-squared of the OLS model for every subset of the four blocks (intercept always in).

    Subsets with the authority dummies are fitted within authorities (Frisch-Waugh-Lovell), which
    gives the same residuals as the dummies; a block constant within authorities then drops out.
    """
    y, blocks = ols_blocks(frame, spec)
    codes, T = _group_codes(frame["la_code"].to_numpy())
    within = {k: _demean(v, codes, T) for k, v in blocks.items()}
    yw = _demean(y, codes, T)
    sst = float(((y - y.mean()) ** 2).sum())
    one = np.ones((len(y), 1))
    keys = ["authority", *blocks]
    table = {}
    for r in range(len(keys) + 1):
        for S in itertools.combinations(keys, r):
            if "authority" in S:
                cols = []
                for k in S:
                    if k != "authority":  # keep only columns that vary within authorities
                        keep = np.linalg.norm(within[k], axis=0) > 1e-9 * (1 + np.linalg.norm(blocks[k], axis=0))
                        cols.append(within[k][:, keep])
                Xw = np.hstack(cols) if cols else np.zeros((len(y), 0))
                resid = yw - Xw @ np.linalg.lstsq(Xw, yw, rcond=None)[0] if Xw.shape[1] else yw
                table[frozenset(S)] = 1 - float(resid @ resid) / sst
            else:
                table[frozenset(S)] = r2(y, np.hstack([one] + [blocks[k] for k in S])) if S else 0.0
    return table


def sequential_shares(table: dict[frozenset, float], order: list[str]) -> dict[str, float]:
    """Shares of variance when blocks enter in ``order``: each gets its gain in R-squared."""
    out, seen = {}, frozenset()
    for k in order:
        out[k] = table[seen | {k}] - table[seen]
        seen = seen | {k}
    out["residual"] = 1 - table[seen]
    return {k: out[k] for k in COMPONENTS}


def shapley_r2(table: dict[frozenset, float]) -> dict[str, float]:
    """Shapley shares of R-squared: each block's gain averaged over every order of entry."""
    keys = [k for k in COMPONENTS if k != "residual"]
    orders = list(itertools.permutations(keys))
    acc = dict.fromkeys(keys, 0.0)
    for o in orders:
        for k, v in sequential_shares(table, list(o)).items():
            if k != "residual":
                acc[k] += v / len(orders)
    full = table[frozenset(keys)]
    return {**acc, "residual": 1 - full}


def ols_orders(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """OLS with authority and year effects: shares with deprivation first, authority first, and Shapley."""
    t = r2_table(frame, spec)
    rows = {
        "Deprivation entered before authorities": sequential_shares(
            t, ["deprivation", "authority", "national", "spend_vacancy"]
        ),
        "Authorities entered first": sequential_shares(t, ["authority", "deprivation", "national", "spend_vacancy"]),
        "Shapley (average over all 24 orders)": shapley_r2(t),
    }
    return pd.DataFrame(rows).T[COMPONENTS]


def variants(main: Spec, last_year: int) -> dict[str, Spec]:
    """The robustness checks, each one change from the main specification."""
    other_dep = "imd" if main.deprivation == "idaci" else "idaci"
    other_scale = "level" if main.outcome_scale == "log" else "log"
    vac_first = max(VACANCY_FIRST_YEAR, main.first_year or VACANCY_FIRST_YEAR)
    out = {
        "Spending lagged one year": replace(main, lag_spend=True),
        f"Smallest {SMALL_FRACTION:.0%} of authorities excluded": replace(main, drop_smallest=SMALL_FRACTION),
        f"{other_dep.upper()} instead of {main.deprivation.upper()}": replace(main, deprivation=other_dep),
        f"Outcome in {'levels' if other_scale == 'level' else 'logs'}": replace(main, outcome_scale=other_scale),
    }
    if main.vacancies:
        out["Without vacancies, all years"] = replace(main, vacancies=False)
    if last_year > vac_first:  # at least two years, so national changes are defined
        out[f"With vacancies, {vac_first} onwards only"] = replace(main, vacancies=True, first_year=vac_first)
    return out


def coefficient_table(f: Fit) -> pd.DataFrame:
    """Fixed effects with standard errors and 95% confidence intervals, and the variance components."""
    if f.result is None:
        raise ValueError("coefficient table needs the MixedLM fit")
    ci = f.result.conf_int()
    ci = ci.iloc[: len(f.names)]
    out = pd.DataFrame(
        {
            "Estimate": f.beta,
            "Std. error": np.asarray(f.result.bse_fe, dtype=float),
            "95% CI low": ci.iloc[:, 0].to_numpy(float),
            "95% CI high": ci.iloc[:, 1].to_numpy(float),
        },
        index=f.names,
    )
    return out


def authority_effects(f: Fit) -> pd.DataFrame:
    """Each authority's predicted random intercept with a 95% interval (conditional variance)."""
    if f.result is None:
        raise ValueError("authority effects need the MixedLM fit")
    re = f.result.random_effects
    cov = f.result.random_effects_cov
    names = f.frame.drop_duplicates("la_code").set_index("la_code")["la_name"]
    rows = []
    for code, v in re.items():
        est = float(np.asarray(v)[0])
        se = math.sqrt(float(np.asarray(cov[code])[0, 0]))
        rows.append(
            {"la_code": code, "la_name": names[code], "effect": est, "low": est - 1.96 * se, "high": est + 1.96 * se}
        )
    return pd.DataFrame(rows).sort_values("effect").reset_index(drop=True)
