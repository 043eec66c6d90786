"""Synthetic England: a deterministic, calibrated LA-year panel with a known truth.

The panel has 152 fictional authorities in the nine English regions (with the real regional
counts of 2017-18), two of them very small. Every series is calibrated to published national
figures (``data/reference/published.csv``). The log rate of child protection plans (CPPs) comes
from an explicit model,

    log CPP rate[i,t] = mu + a[i] + b_dep * idaci[i] + g[t] + b_spend * log spend per child[i,t]
                        + b_vac * vacancy rate[i,t] + e[i,t]

whose parts are built so that, in the sample, the authority effect ``a`` and the residual ``e``
are uncorrelated with everything else, and the shares of variance (covariances among the fixed
parts allocated by the Shapley rule, i.e. share_k = cov(part_k, fixed total) / total variance)
are exactly the NAO's 44 / 15 / 10 / 6 / 25. The true parameters are returned with the data.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from cscbook import contract
from cscbook.analyse import reference
from cscbook.analyse.shares import shapley_shares

#: Authorities per region, as in 2017-18.
REGION_COUNTS = {
    "North East": 12,
    "North West": 23,
    "Yorkshire and the Humber": 15,
    "East Midlands": 9,
    "West Midlands": 14,
    "East of England": 11,
    "London": 33,
    "South East": 19,
    "South West": 16,
}
REGION_CODE = {
    "North East": "NE",
    "North West": "NW",
    "Yorkshire and the Humber": "YH",
    "East Midlands": "EM",
    "West Midlands": "WM",
    "East of England": "EE",
    "London": "LN",
    "South East": "SE",
    "South West": "SW",
}
#: Deprivation leaning by region (added to the IDACI score), so regional patterns look familiar.
REGION_DEPRIVATION = {
    "North East": 0.05,
    "North West": 0.04,
    "Yorkshire and the Humber": 0.03,
    "East Midlands": 0.0,
    "West Midlands": 0.03,
    "East of England": -0.03,
    "London": 0.05,
    "South East": -0.04,
    "South West": -0.03,
}

#: The true shares of variance in the log CPP rate.
TRUE_SHARES = {"authority": 0.44, "deprivation": 0.15, "national": 0.10, "spend_vacancy": 0.06, "residual": 0.25}

#: Count levels that are not published in the reference table, set as plausible assumptions
#: (ratio to another series in 2017-18), stated in meta.json.
ASSUMED = {
    "s47_per_referral": 0.30,
    "icpc_per_s47": 0.38,
    "cla16_share_2018": 0.23,
    "episodes_per_cin_31mar": 1.80,
    "centres_2011": 3600,
    "prev_share_floor": 0.15,
    "vacancy_mean": 0.16,
    "spend_growth_per_year": 0.01,
}
#: Counts below this are suppressed, as DfE does for small numbers.
SUPPRESS_BELOW = 6
#: Indices (within the South West and London) of the two very small authorities.
TINY = {"South West": "Isle of Varrow", "London": "City of Wendmark"}

_SYLLABLES_A = [
    "Quill",
    "Tarn",
    "Vell",
    "Ombr",
    "Brack",
    "Wend",
    "Fenn",
    "Skarr",
    "Mirr",
    "Dunn",
    "Harl",
    "Ketter",
    "Lorr",
    "Nethe",
    "Pell",
    "Rusk",
    "Sorr",
    "Thrim",
    "Ulver",
    "Varr",
    "Wixe",
    "Yarr",
    "Zell",
    "Corv",
]
_SYLLABLES_B = [
    "mere",
    "holt",
    "wick",
    "stane",
    "brook",
    "fold",
    "garth",
    "combe",
    "lowe",
    "thwaite",
    "marsh",
    "dene",
    "shaw",
    "hythe",
    "ness",
    "by",
    "worth",
    "ley",
    "well",
    "stow",
    "burn",
    "ridge",
    "moor",
    "ham",
]
_SUFFIX = {"London": "Borough of ", "default": ""}


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    region: str
    tiny: bool


def authorities() -> list[Authority]:
    """The 152 fictional authorities: fixed names and codes, the same for every seed.

    Codes are ``X`` + a two-letter region code + six digits: no real ONS code starts with X.
    """
    out: list[Authority] = []
    k = 0
    for region, n in REGION_COUNTS.items():
        for j in range(n):
            tiny = j == n - 1 and region in TINY
            if tiny:
                name = TINY[region]
            else:
                a = _SYLLABLES_A[(k * 7) % len(_SYLLABLES_A)]
                b = _SYLLABLES_B[(k * 11 + k // len(_SYLLABLES_B)) % len(_SYLLABLES_B)]
                name = a + b
                if region == "London":
                    name = f"{name} Borough"
                elif k % 5 == 0:
                    name = f"{name}shire"
            code = f"X{REGION_CODE[region]}{j + 1:06d}"
            out.append(Authority(code, name, region, tiny))
            k += 1
    names = [a.name for a in out]
    dupes = {x for x in names if names.count(x) > 1}
    if dupes:  # make every name unique with a letter
        seen: dict[str, int] = {}
        fixed = []
        for a in out:
            if a.name in dupes:
                seen[a.name] = seen.get(a.name, 0) + 1
                a = Authority(a.code, f"{a.name} {string.ascii_uppercase[seen[a.name] - 1]}", a.region, a.tiny)
            fixed.append(a)
        out = fixed
    return out


def _path(level_2018: float, growth: float, years: np.ndarray, base: int = 2011, end: int = 2018) -> np.ndarray:
    """A national series, log-linear through ``level_2018 / (1 + growth)`` at ``base`` and ``level_2018`` at ``end``."""
    rate = np.log1p(growth) / (end - base)
    return level_2018 * np.exp(rate * (years - end))


def _scale_to_totals(values: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Scale each column (year) of an LA × year array so that it sums to ``totals``."""
    return values * (totals / values.sum(axis=0))[None, :]


def _demean_two_way(x: np.ndarray) -> np.ndarray:
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()


def _resid(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return y - X @ beta


def generate(seed: int = 2019, years: tuple[int, int] = (2011, 2018)) -> contract.Prepared:
    """Generate synthetic England for ``years`` (inclusive, years ending 31 March)."""
    first, last = years
    if first > last:
        raise ValueError("first year after last year")
    rng = np.random.default_rng(seed)
    yrs = np.arange(first, last + 1)
    T = len(yrs)
    las = authorities()
    N = len(las)
    region = np.array([a.region for a in las])
    tiny = np.array([a.tiny for a in las])
    reg = ~tiny
    is_london = region == "London"
    y2018 = 2018

    # --- population 0-17 -------------------------------------------------------------------
    size = np.exp(rng.normal(np.log(62_000), 0.55, N))
    size[is_london] = np.exp(rng.normal(np.log(62_000), 0.25, is_london.sum()))
    size[tiny] = [380.0 if a.region == "South West" else 1_050.0 for a in las if a.tiny]
    growth = rng.normal(np.log(1.052) / 7, 0.0035, N) + np.where(is_london, 0.003, 0.0)
    pop = size[:, None] * np.exp(growth[:, None] * (yrs - y2018)[None, :])
    pop_total = _path(reference.value("pop_2018"), reference.value("pop_growth") / 100, yrs)
    fixed_small = pop[tiny].sum(axis=0)
    pop[reg] = _scale_to_totals(pop[reg], pop_total - fixed_small)
    pop = np.round(pop)

    # --- deprivation (authority level, one vintage) --------------------------------------
    dep_region = np.array([REGION_DEPRIVATION[r] for r in region])
    idaci = np.clip(0.17 + dep_region + rng.normal(0, 0.055, N), 0.05, 0.42)
    imd = np.clip(4 + 95 * idaci + rng.normal(0, 2.2, N), 5, 48)

    # --- vacancy rate: between and within authorities -----------------------------------
    vac_la = rng.normal(0, 0.05, N)
    vac = np.clip(ASSUMED["vacancy_mean"] + vac_la[:, None] + rng.normal(0, 0.025, (N, T)), 0.01, 0.45)

    # --- spending ---------------------------------------------------------------------
    spend_pc, spend_cats, prev_path = _spending(rng, las, idaci, pop, yrs)

    # --- CPP model --------------------------------------------------------------------
    log_spend = np.log(spend_pc)
    cpp_rate, truth_cpp = _cpp_model(rng, reg, idaci, log_spend, vac, pop, yrs)

    # --- other activity series ---------------------------------------------------------
    a_latent = np.zeros(N)
    a_latent[reg] = truth_cpp.pop("_a")
    counts = _activity(rng, las, idaci, a_latent, pop, yrs, cpp_rate)

    # --- Ofsted and children's centres ------------------------------------------------
    ofsted = _ofsted(rng, las, yrs)
    _pin_good_range(ofsted, spend_pc, spend_cats, yrs, pop, tiny)
    centres = _centres(rng, pop, yrs)

    # --- assemble ------------------------------------------------------------------------
    panel, flags = _assemble(las, yrs, pop, counts, spend_cats, idaci, imd, vac, ofsted, centres)
    deflator = (1 + 0.018) ** (yrs - y2018)
    panel["deflator"] = np.tile(deflator, N)

    truth = {
        "seed": seed,
        "years": [int(first), int(last)],
        "cpp_model": truth_cpp,
        "preventative_share_definition": "B",
        "preventative_share": {str(y): round(float(s), 6) for y, s in zip(yrs, prev_path)},
        "ofsted_effect_on_spend_per_child": 0.0,
        "ofsted_effect_on_later_cpp_change": 0.0,
        "childrens_centre_effect_on_cpp_change": 0.0,
        "tiny_authorities": [a.code for a in las if a.tiny],
    }
    meta = {
        "source": "synthetic",
        "title": "Synthetic England",
        "seed": seed,
        "years": [int(first), int(last)],
        "geography": "synthetic: 152 fictional authorities on the 2017-18 regional pattern",
        "deflator": "synthetic price index rising 1.8% a year, 2017-18 = 1",
        "assumptions": ASSUMED,
        "suppression": f"counts below {SUPPRESS_BELOW} are suppressed (missing, flagged)",
        "rows": int(len(panel)),
        "sources": [
            {
                "publisher": "cscbook",
                "title": "Synthetic England, calibrated to published national figures in data/reference/published.csv",
                "licence": "MIT (code and synthetic data)",
            }
        ],
    }
    return contract.Prepared(panel=panel, flags=flags, meta=meta, truth=truth)


def _spending(rng, las, idaci, pop, yrs):
    """Section 251 spend by category (nominal £) and the national preventative share path (definition B)."""
    N, T = pop.shape
    tiny = np.array([a.tiny for a in las])
    reg = ~tiny
    y2018 = 2018
    # spending per child in 2017-18: a floor of £566 plus a skewed excess that rises with deprivation
    z = 0.55 * (idaci - idaci.mean()) / idaci.std() + np.sqrt(1 - 0.55**2) * rng.normal(0, 1, N)
    excess = np.exp(0.75 * z)
    excess = excess - excess[reg].min()
    i18 = int(np.where(yrs == y2018)[0][0]) if y2018 in yrs else None
    pop18 = pop[:, i18] if i18 is not None else pop[:, -1] * 1.0
    target_total = reference.value("spend_total_2018")
    spc_min = reference.value("spend_pc_min")
    tiny_spend = {True: reference.value("spend_pc_max")}
    spc18 = np.empty(N)
    # the two small authorities: very high per-child costs (fixed costs over few children)
    tiny_idx = np.where(tiny)[0]
    spc18[tiny_idx[0]] = reference.value("good_spend_max")  # first tiny authority: the "Good" maximum
    spc18[tiny_idx[1]] = tiny_spend[True]
    remaining = target_total - (spc18[tiny] * pop18[tiny]).sum()
    k = (remaining - spc_min * pop18[reg].sum()) / (excess[reg] * pop18[reg]).sum()
    spc18[reg] = spc_min + k * excess[reg]
    # over time: nominal growth with an authority-specific random walk anchored at 2017-18
    steps = rng.normal(0, 0.045, (N, T))
    walk = np.cumsum(steps, axis=1)
    anchor = walk[:, [i18]] if i18 is not None else walk[:, [-1]]
    walk = walk - anchor
    trend = (1 + ASSUMED["spend_growth_per_year"]) ** (yrs - y2018)
    spend_pc = spc18[:, None] * trend[None, :] * np.exp(walk)

    total = spend_pc * pop
    # preventative share (definition B: Sure Start + family support + young people + other), national path
    p11, p17 = reference.value("prev_share_2011") / 100, reference.value("prev_share_2017") / 100
    slope = (p17 - p11) / 6
    prev_path = np.maximum(p11 + slope * (yrs - 2011), ASSUMED["prev_share_floor"])
    la_tilt = rng.normal(0, 0.05, N)
    la_slope = rng.normal(0, 0.006, N)
    share = np.clip(prev_path[None, :] + la_tilt[:, None] + la_slope[:, None] * (yrs - 2014)[None, :], 0.05, 0.8)
    # exact national share each year: solve for a common logit shift
    for t in range(T):

        def gap(c, t=t):
            s = 1 / (1 + np.exp(-(np.log(share[:, t] / (1 - share[:, t])) + c)))
            return (s * total[:, t]).sum() / total[:, t].sum() - prev_path[t]

        c = optimize.brentq(gap, -5, 5, xtol=1e-12)
        lg = np.log(share[:, t] / (1 - share[:, t])) + c
        share[:, t] = 1 / (1 + np.exp(-lg))
    prev = total * share
    stat = total - prev
    # split preventative: Sure Start falls fastest, other children and family services is steadier
    w_prev = np.stack(
        [
            0.42 - 0.025 * (yrs - 2011),  # sure_start
            np.full(T, 0.22),  # family_support
            0.26 - 0.012 * (yrs - 2011),  # young_people
            np.full(T, 0.16),  # other_cfs
        ]
    )
    w_prev = np.clip(w_prev, 0.05, None)
    w_prev = w_prev / w_prev.sum(axis=0)
    noise = rng.dirichlet(np.full(4, 60.0), size=N)  # authority mix
    mix = w_prev[None, :, :] * noise[:, :, None]
    mix = mix / mix.sum(axis=1, keepdims=True)
    w_stat = np.array([0.66, 0.28, 0.06])  # cla, safeguarding, youth_justice
    noise_s = rng.dirichlet(w_stat * 80, size=N)
    cats = {
        "sure_start": prev * mix[:, 0, :],
        "family_support": prev * mix[:, 1, :],
        "young_people": prev * mix[:, 2, :],
        "other_cfs": prev * mix[:, 3, :],
        "cla": stat * noise_s[:, [0]],
        "safeguarding": stat * noise_s[:, [1]],
        "youth_justice": stat * noise_s[:, [2]],
    }
    cats["cera"] = total * np.clip(rng.normal(0.008, 0.004, (N, T)), 0, None)
    cats = {k: np.round(v) for k, v in cats.items()}
    spend_pc = sum(v for k, v in cats.items() if k != "cera") / pop
    return spend_pc, cats, prev_path


def _cpp_model(rng, reg, idaci, log_spend, vac, pop, yrs):
    """Build the log CPP rate of the regular authorities with exact variance shares; see the module doc."""
    n, T = int(reg.sum()), len(yrs)
    d = np.repeat((idaci[reg] - idaci[reg].mean())[:, None], T, axis=1)
    ls = log_spend[reg]
    vv = vac[reg]
    z_s = (ls - ls.mean()) / ls.std()
    z_v = (vv - vv.mean()) / vv.std()
    s0 = -0.6 * z_s + 0.8 * z_v  # more spending, fewer plans; more vacancies, more plans
    g0 = np.repeat(((yrs - yrs.mean()) / max(T - 1, 1))[None, :], n, axis=0)
    d0 = d / d.std()
    a_raw = rng.standard_t(6, n)
    # The residual has a within-authority part (orthogonal to authority, year and the spending
    # part) and a between-authority part (the authority means of an iid residual, variance 1/T of
    # the total), so that a random-intercept model's variance components are the true ones.
    w_raw = rng.normal(0, 1, (n, T))
    b_raw = rng.normal(0, 1, n)
    w0 = _demean_two_way(w_raw)
    s_dm = _demean_two_way(s0)
    w0 = _resid(w0.ravel(), s_dm.ravel()[:, None]).reshape(n, T)
    w0 = w0 / w0.std()

    targets = np.array([TRUE_SHARES[k] for k in ("national", "deprivation", "spend_vacancy")])
    growth = 1 + reference.value("cpp_growth") / 100
    level = reference.value("cpp_2018")
    rate_min, rate_max = reference.value("cpp_rate_min"), reference.value("cpp_rate_max")
    has_anchor = 2011 in yrs and 2018 in yrs
    i18 = int(np.where(yrs == 2018)[0][0]) if 2018 in yrs else T - 1
    i11 = int(np.where(yrs == 2011)[0][0]) if 2011 in yrs else 0
    # scale of year effects per year of the panel, so growth matches from 2011 to 2018
    tilt = np.zeros(n)  # adjustments to the authority effect that pin the range ends
    popr = pop[reg]

    def build(a_adj):
        a0 = a_raw + a_adj
        X = np.column_stack([np.ones(n), d0[:, 0], s0.mean(axis=1)])
        a0 = _resid(a0, X)
        return a0 / a0.std()

    lam = None
    for _ in range(30):
        a0 = build(tilt)
        A = np.repeat(a0[:, None], T, axis=1)
        Xb = np.column_stack([np.ones(n), d0[:, 0], s0.mean(axis=1), a0])
        b0 = _resid(b_raw, Xb)
        b0 = b0 / b0.std()
        e0 = np.sqrt((T - 1) / T) * w0 + np.sqrt(1 / T) * np.repeat(b0[:, None], T, axis=1)

        def shares_eq(logl):
            lg, ld, lsv = np.exp(logl)
            parts = {"national": lg * g0, "deprivation": ld * d0, "spend_vacancy": lsv * s0}
            total = sum(parts.values())
            cov = np.array([np.mean((p - p.mean()) * (total - total.mean())) for p in parts.values()])
            return cov - targets  # with total variance 1 (authority, residual added below)

        sol = optimize.least_squares(shares_eq, np.log([0.5, 0.4, 0.25]), xtol=1e-14, ftol=1e-14, gtol=1e-14)
        lg, ld, lsv = np.exp(sol.x)
        la, le = np.sqrt(TRUE_SHARES["authority"]), np.sqrt(TRUE_SHARES["residual"])
        Z = lg * g0 + ld * d0 + lsv * s0 + la * A + le * e0  # total variance 1 by construction

        # overall scale c: CPP growth 2011 -> 2018; level mu: the 2018 national total
        def nat(c, mu, Z=Z):
            return (popr * np.exp(mu + c * Z)).sum(axis=0) / 1e4

        def mu_for(c, Z=Z):
            return np.log(level / ((popr[:, i18] * np.exp(c * Z[:, i18])).sum() / 1e4))

        if has_anchor:

            def g_gap(c):
                tot = nat(c, mu_for(c))
                return np.log(tot[i18] / tot[i11]) - np.log(growth)

            c = _first_root(g_gap, 1e-3, 5.0)
        else:
            c = 0.27
        mu = mu_for(c)
        y = mu + c * Z
        lam = (c, mu, lg, ld, lsv, la, le, a0, e0)
        # pin the range ends of the 2018 cross-section on the authority effect of the extremes
        y18 = y[:, i18]
        hi, lo = int(np.argmax(y18)), int(np.argmin(y18))
        dhi = np.log(rate_max) - y18[hi]
        dlo = np.log(rate_min) - y18[lo]
        if abs(dhi) < 1e-7 and abs(dlo) < 1e-7:
            break
        tilt[hi] += dhi / (c * la) * a_raw.std() * 0.9
        tilt[lo] += dlo / (c * la) * a_raw.std() * 0.9
    c, mu, lg, ld, lsv, la, le, a0, e0 = lam
    y = mu + c * (lg * g0 + ld * d0 + lsv * s0 + la * np.repeat(a0[:, None], T, axis=1) + le * e0)
    rate = np.exp(y)
    counts = np.round(rate * popr / 1e4)
    y_obs = np.log(np.maximum(counts, 0.5) / popr * 1e4)

    # true coefficients on the observed scales
    b_dep = c * ld / d.std()
    b_spend = c * lsv * (-0.6) / ls.std()
    b_vac = c * lsv * 0.8 / vv.std()
    year_eff = c * lg * ((yrs - yrs.mean()) / max(T - 1, 1))
    parts = {
        "authority": c * la * np.repeat(a0[:, None], T, axis=1),
        "deprivation": b_dep * (d - d.mean()),
        "national": np.repeat(year_eff[None, :], n, axis=0),
        "spend_vacancy": b_spend * (ls - ls.mean()) + b_vac * (vv - vv.mean()),
    }
    fitted = mu + sum(parts.values()) + b_spend * ls.mean() + b_vac * vv.mean()
    parts["residual"] = y_obs - fitted
    realised = shapley_shares(parts, random_parts=("authority", "residual"))
    out_rate = np.full((reg.size, T), np.nan)
    out_rate[reg] = counts / popr * 1e4
    truth = {
        "outcome": "log CPP rate per 10,000 aged 0-17",
        "shares_target": TRUE_SHARES,
        "shares": {k: round(v, 6) for k, v in realised.items()},
        "share_rule": "Shapley over components: share_k = cov(part_k, fixed total) / total; authority and "
        "residual are uncorrelated with the fixed parts in-sample and contribute their variance",
        "intercept": float(mu - b_dep * idaci[reg].mean() - b_spend * ls.mean() - b_vac * vv.mean()),
        "coefficients": {
            "idaci_score": float(b_dep),
            "log_spend_per_child": float(b_spend),
            "sw_vacancy_rate": float(b_vac),
        },
        "year_effects": {str(int(y)): float(v) for y, v in zip(yrs, year_eff)},
        "sd_authority": float(np.std(parts["authority"][:, 0])),
        "sd_residual": float(np.std(parts["residual"])),
        "authorities_in_model": int(n),
        "_a": parts["authority"][:, 0],
    }
    return out_rate, truth


def _first_root(f, lo: float, hi: float, steps: int = 200) -> float:
    """The smallest root of ``f`` in [lo, hi], bracketed on a geometric grid, then refined."""
    grid = np.geomspace(lo, hi, steps)
    vals = [f(x) for x in grid[:1]]
    for a, b in zip(grid[:-1], grid[1:]):
        fb = f(b)
        if np.sign(vals[-1]) != np.sign(fb):
            return optimize.brentq(f, a, b, xtol=1e-13)
        vals.append(fb)
    raise ValueError("no scale of the CPP model gives the published growth")


def _activity(rng, las, idaci, a_cpp, pop, yrs, cpp_rate):
    """Counts for the activity series, each calibrated to its national path; CPP comes from the model."""
    N, T = pop.shape
    tiny = np.array([a.tiny for a in las])
    reg = ~tiny
    dz = (idaci - idaci.mean()) / idaci.std()
    az = a_cpp / (a_cpp[reg].std() or 1)
    out: dict[str, np.ndarray] = {}

    def series(level18, growth, dep_w, a_w, sd_la, sd_t):
        la = dep_w * dz + a_w * az + np.sqrt(max(1 - dep_w**2 - a_w**2, 0.05)) * rng.normal(0, 1, N)
        rate = np.exp(sd_la * la[:, None] + rng.normal(0, sd_t, (N, T)))
        total = _path(level18, growth, yrs)
        return _scale_to_totals(rate * pop, total)

    ref = reference.value
    referrals18 = ref("referrals_2018")
    out["referrals"] = series(referrals18, ref("referrals_growth") / 100, 0.45, 0.35, 0.28, 0.06)
    s47_18 = referrals18 * ASSUMED["s47_per_referral"]
    out["s47_enquiries"] = series(s47_18, ref("s47_growth") / 100, 0.45, 0.45, 0.35, 0.08)
    out["icpcs"] = series(s47_18 * ASSUMED["icpc_per_s47"], 0.30, 0.45, 0.55, 0.33, 0.08)
    cla = series(ref("cla_2018"), ref("cla_growth") / 100, 0.6, 0.35, 0.35, 0.03)
    out["cla_31mar"] = cla
    share16 = ASSUMED["cla16_share_2018"]
    cla16 = cla * share16 * np.exp(rng.normal(0, 0.08, (N, 1)))
    out["cla_16plus"] = _scale_to_totals(
        cla16,
        _path(ref("cla_2018") * share16, ref("cla16_growth") / 100, yrs),
    )
    # children-in-need episodes: the 2017-18 cross-section spans the NAO's range exactly
    la = 0.55 * dz + 0.45 * az + np.sqrt(1 - 0.55**2 - 0.45**2) * rng.normal(0, 1, N)
    i18 = int(np.where(yrs == 2018)[0][0]) if 2018 in yrs else T - 1
    wobble = rng.normal(0, 0.04, (N, T))
    wobble -= wobble[:, [i18]]
    lo, hi = np.log(ref("cin_episode_rate_min")), np.log(ref("cin_episode_rate_max"))
    lr = la[reg]
    slope = (hi - lo) / (lr.max() - lr.min())
    ep_rate18 = np.empty(N)
    ep_rate18[reg] = np.exp(lo + slope * (lr - lr.min()))
    ep_rate18[tiny] = np.exp(lo + slope * (np.median(lr) - lr.min()))
    # episodes per child in need at 31 March, with a national path that gives the CIN totals
    cin_total = _path(ref("cin_2018"), ref("cin_growth") / 100, yrs)
    ep_trend = np.exp(0.01 * (yrs - 2018))
    episodes = ep_rate18[:, None] * ep_trend[None, :] * np.exp(wobble) * pop / 1e4
    ratio = ASSUMED["episodes_per_cin_31mar"] * np.exp(rng.normal(0, 0.05, (N, T)))
    out["cin_31mar"] = _scale_to_totals(episodes / ratio, cin_total)
    out["cin_episodes"] = np.maximum(episodes, out["cin_31mar"] * 1.05)
    # CPP: regular authorities from the model; the small authorities have counts below suppression
    cpp = cpp_rate * pop / 1e4
    cpp[tiny] = rng.integers(1, SUPPRESS_BELOW, (int(tiny.sum()), T))
    out["cpp_31mar"] = cpp
    return {k: np.round(v) for k, v in out.items()}


_FRAMEWORKS = [("SLAC", 2009, 2010), ("SIF", 2014, 2017), ("ILACS", 2018, 2030)]
_JUDGEMENT_P = {
    "SLAC": [0.12, 0.52, 0.30, 0.06],  # Inadequate, Requires improvement (SLAC "Adequate"), Good, Outstanding
    "SIF": [0.20, 0.44, 0.33, 0.03],
    "ILACS": [0.12, 0.36, 0.42, 0.10],
}


def _ofsted(rng, las, yrs):
    """Inspection history for each authority; judgements drawn independently of everything else."""
    N = len(las)
    history = []
    for _ in range(N):
        events = []
        for fw, start, end in _FRAMEWORKS:
            year = int(rng.integers(start, min(end, max(start, 2024)) + 1))
            day = pd.Timestamp(year=year, month=1, day=1) + pd.Timedelta(days=int(rng.integers(0, 365)))
            grade = contract.OFSTED_SCALE[int(rng.choice(4, p=_JUDGEMENT_P[fw]))]
            events.append((day, fw, grade))
        history.append(sorted(events))
    latest = {}
    for i in range(N):
        for t, y in enumerate(yrs):
            cutoff = pd.Timestamp(year=int(y), month=3, day=31)
            past = [e for e in history[i] if e[0] <= cutoff]
            latest[(i, t)] = past[-1] if past else None
    return latest


def _pin_good_range(ofsted, spend_pc, cats, yrs, pop, tiny):
    """Make the 2017-18 spending range among Good authorities the NAO's £570 to £4,980.

    The first small authority (spend £4,980 per child) is rated Good, the second (£5,166, the
    highest of all) is not, and the cheapest other
    Good authority has its spending per child set to £570; the judgements stay independent of
    spending for every other authority.
    """
    if 2018 not in yrs:
        return
    t = int(np.where(yrs == 2018)[0][0])
    tiny_idx = np.where(tiny)[0]
    day, fw, _ = ofsted[(int(tiny_idx[0]), t)] or (pd.Timestamp("2016-06-01"), "SIF", "Good")
    ofsted[(int(tiny_idx[0]), t)] = (day, fw, "Good")
    # the authority with the highest spending of all (£5,166) is not rated Good
    day, fw, grade = ofsted[(int(tiny_idx[1]), t)] or (pd.Timestamp("2016-06-01"), "SIF", "Requires improvement")
    ofsted[(int(tiny_idx[1]), t)] = (day, fw, "Requires improvement" if grade == "Good" else grade)
    pc = sum(v[:, t] for k, v in cats.items() if k != "cera") / pop[:, t]
    good = [i for i in range(len(tiny)) if not tiny[i] and ofsted[(i, t)] and ofsted[(i, t)][2] == "Good"]
    if not good:
        return
    cheapest = min(good, key=lambda i: pc[i])
    factor = reference.value("good_spend_min") / pc[cheapest]
    for k in cats:
        if k != "cera":
            cats[k][cheapest, t] = np.round(cats[k][cheapest, t] * factor)


def _centres(rng, pop, yrs):
    """Children's centres open at 31 March: about 500 closures since 2010-11, at random."""
    N, T = pop.shape
    start = ASSUMED["centres_2011"]
    base = np.maximum(1, np.round(start * pop[:, 0] / pop[:, 0].sum() * np.exp(rng.normal(0, 0.15, N))))
    per_year = -reference.value("centres_change") / 7
    out = np.empty((N, T))
    current = base.copy()
    for t, y in enumerate(yrs):
        if y > 2011:
            closures = rng.multinomial(int(round(per_year)), current / current.sum())
            current = np.maximum(current - closures, 0)
        out[:, t] = current
    return out


def _assemble(las, yrs, pop, counts, spend, idaci, imd, vac, ofsted, centres):
    N, T = pop.shape
    rows = {
        "la_code": np.repeat([a.code for a in las], T),
        "la_name": np.repeat([a.name for a in las], T),
        "region": np.repeat([a.region for a in las], T),
        "year": np.tile(yrs, N),
        "pop_0_17": pop.ravel(),
    }
    flags = []
    for k in contract.COUNTS[1:]:
        v = counts[k].ravel().astype(float)
        small = v < SUPPRESS_BELOW
        v[small] = np.nan
        rows[k] = v
        for idx in np.where(small)[0]:
            flags.append((rows["la_code"][idx], int(rows["year"][idx]), k, "missing", "suppressed: count below 6"))
    for k, v in spend.items():
        rows[f"spend_{k}"] = v.ravel()
    rows["childrens_centres"] = centres.ravel()
    rows["idaci_score"] = np.repeat(np.round(idaci, 4), T)
    rows["imd_score"] = np.repeat(np.round(imd, 3), T)
    rows["sw_vacancy_rate"] = np.round(vac.ravel(), 4)
    judg = [ofsted[(i, t)] for i in range(N) for t in range(T)]
    rows["ofsted_overall"] = [j[2] if j else None for j in judg]
    rows["ofsted_framework"] = [j[1] if j else None for j in judg]
    rows["ofsted_date"] = [j[0].date().isoformat() if j else None for j in judg]
    panel = pd.DataFrame(rows)
    for c in contract.COUNTS:
        panel[c] = panel[c].astype("Float64")
    fl = pd.DataFrame(flags, columns=contract.FLAG_COLUMNS) if flags else contract.empty_flags()
    return panel, fl
