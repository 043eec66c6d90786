"""The child-protection-plan (CPP) model of synthetic England, built to exact variance shares.

See the package docstring for the model; the true parameters go into ``truth.json``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from cscbook.analyse import reference
from cscbook.analyse.shares import shapley_shares

#: The true shares of variance in the log CPP rate.
TRUE_SHARES = {"authority": 0.44, "deprivation": 0.15, "national": 0.10, "spend_vacancy": 0.06, "residual": 0.25}


def _demean_two_way(x: np.ndarray) -> np.ndarray:
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()


def _resid(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return y - X @ beta


def cpp_rates(rng, reg, idaci, log_spend, vac, pop, yrs):
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
