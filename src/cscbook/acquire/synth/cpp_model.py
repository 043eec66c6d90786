"""The child-protection-plan (CPP) model of synthetic England, built to exact variance shares.

See the package docstring for the model. The steps: standardise the inputs of the regular
authorities (:func:`_inputs`), draw the authority effect and the residual and calibrate the
loadings, scale and level so that the shares, the national growth, the 2017-18 national total
and the ends of the 2017-18 range are the published ones (:func:`_calibrate`), round to counts,
and state the true parameters on the observed scales (:func:`_truth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cscbook import reference
from cscbook.contract import PER
from cscbook.shares import shapley_shares

#: The true shares of variance in the log CPP rate.
TRUE_SHARES = {"authority": 0.44, "deprivation": 0.15, "national": 0.10, "spend_vacancy": 0.06, "residual": 0.25}
#: Rounds of pinning the ends of the 2017-18 range on the authority effect.
_PIN_ROUNDS = 30


@dataclass(frozen=True)
class _Inputs:
    """The model's inputs for the n regular authorities (n × T arrays, authority effect excluded)."""

    d: np.ndarray  # IDACI score, centred
    ls: np.ndarray  # log spending per child
    vv: np.ndarray  # vacancy rate
    g0: np.ndarray  # national: the year, centred and scaled to a range of one
    d0: np.ndarray  # deprivation, unit standard deviation
    s0: np.ndarray  # spending and vacancies, from standardised log spend and vacancy rate


@dataclass(frozen=True)
class _Fit:
    """The calibrated model: y = mu + c * (lg*g0 + ld*d0 + lsv*s0 + la*a0 + le*e0), every part of unit scale."""

    c: float
    mu: float
    lg: float
    ld: float
    lsv: float
    la: float
    le: float
    a0: np.ndarray  # authority effect (n)
    e0: np.ndarray  # residual (n × T)


def cpp_rates(rng, reg, idaci, log_spend, vac, pop, yrs):
    """Build the log CPP rate of the regular authorities with exact variance shares; see the module doc.

    Returns the CPP rate per 10,000 (authority × year, missing for the small authorities) and the
    truth of the model (with ``_a``, the authority effect of the regular authorities).
    """
    T = len(yrs)
    x = _inputs(reg, idaci, log_spend, vac, yrs)
    popr = pop[reg]
    f = _calibrate(rng, x, popr, yrs)
    y = f.mu + _scaled_parts(f, x, T)
    rate = np.exp(y)
    counts = np.round(rate * popr / PER)
    y_obs = np.log(np.maximum(counts, 0.5) / popr * PER)
    out_rate = np.full((reg.size, T), np.nan)
    out_rate[reg] = counts / popr * PER
    return out_rate, _truth(f, x, idaci[reg], y_obs, yrs)


def _scaled_parts(f: _Fit, x: _Inputs, T: int) -> np.ndarray:
    """The scaled sum of the model's parts, ``y - mu``."""
    return f.c * (f.lg * x.g0 + f.ld * x.d0 + f.lsv * x.s0 + f.la * np.repeat(f.a0[:, None], T, axis=1) + f.le * f.e0)


def _inputs(reg, idaci, log_spend, vac, yrs) -> _Inputs:
    """Centre and scale the inputs of the regular authorities."""
    n, T = int(reg.sum()), len(yrs)
    d = np.repeat((idaci[reg] - idaci[reg].mean())[:, None], T, axis=1)
    ls = log_spend[reg]
    vv = vac[reg]
    z_s = (ls - ls.mean()) / ls.std()
    z_v = (vv - vv.mean()) / vv.std()
    s0 = -0.6 * z_s + 0.8 * z_v  # more spending, fewer plans; more vacancies, more plans
    g0 = np.repeat(((yrs - yrs.mean()) / max(T - 1, 1))[None, :], n, axis=0)
    d0 = d / d.std()
    return _Inputs(d=d, ls=ls, vv=vv, g0=g0, d0=d0, s0=s0)


def _calibrate(rng, x: _Inputs, popr: np.ndarray, yrs: np.ndarray) -> _Fit:
    """Draw the authority effect and the residual, then fit loadings, scale and level to the published figures.

    The ends of the 2017-18 range are pinned by tilting the authority effect of the two extreme
    authorities, which moves everything else a little, so the fit is repeated until they hold.
    """
    n, T = x.d0.shape
    a_raw = rng.standard_t(6, n)
    # The residual has a within-authority part (orthogonal to authority, year and the spending
    # part) and a between-authority part (the authority means of an iid residual, variance 1/T of
    # the total), so that a random-intercept model's variance components are the true ones.
    w0 = _within_residual(rng.normal(0, 1, (n, T)), x.s0)
    b_raw = rng.normal(0, 1, n)
    lg, ld, lsv = _loadings(x)
    la, le = np.sqrt(TRUE_SHARES["authority"]), np.sqrt(TRUE_SHARES["residual"])
    log_min, log_max = np.log(reference.value("cpp_rate_min")), np.log(reference.value("cpp_rate_max"))
    i18 = int(np.where(yrs == 2018)[0][0]) if 2018 in yrs else T - 1
    tilt = np.zeros(n)  # adjustments to the authority effect that pin the range ends
    fit = None
    for _ in range(_PIN_ROUNDS):
        a0 = _authority_effect(a_raw + tilt, x)
        e0 = _residual(w0, b_raw, a0, x)
        Z = lg * x.g0 + ld * x.d0 + lsv * x.s0 + la * np.repeat(a0[:, None], T, axis=1) + le * e0  # variance 1
        c, mu = _scale_and_level(Z, popr, yrs)
        fit = _Fit(c=c, mu=mu, lg=lg, ld=ld, lsv=lsv, la=la, le=le, a0=a0, e0=e0)
        # pin the range ends of the 2018 cross-section on the authority effect of the extremes
        y18 = (mu + c * Z)[:, i18]
        hi, lo = int(np.argmax(y18)), int(np.argmin(y18))
        dhi = log_max - y18[hi]
        dlo = log_min - y18[lo]
        if abs(dhi) < 1e-7 and abs(dlo) < 1e-7:
            break
        tilt[hi] += dhi / (c * la) * a_raw.std() * 0.9
        tilt[lo] += dlo / (c * la) * a_raw.std() * 0.9
    return fit


def _within_residual(w_raw: np.ndarray, s0: np.ndarray) -> np.ndarray:
    """The within-authority residual: demeaned both ways, orthogonal to the spending part, unit sd."""
    n, T = w_raw.shape
    w0 = _demean_two_way(w_raw)
    s_dm = _demean_two_way(s0)
    w0 = _resid(w0.ravel(), s_dm.ravel()[:, None]).reshape(n, T)
    return w0 / w0.std()


def _authority_effect(a: np.ndarray, x: _Inputs) -> np.ndarray:
    """The authority effect: uncorrelated in-sample with deprivation and mean spending part, unit sd."""
    X = np.column_stack([np.ones(len(a)), x.d0[:, 0], x.s0.mean(axis=1)])
    a0 = _resid(a, X)
    return a0 / a0.std()


def _residual(w0: np.ndarray, b_raw: np.ndarray, a0: np.ndarray, x: _Inputs) -> np.ndarray:
    """The residual: the within part plus a between part uncorrelated with everything fixed and ``a0``."""
    T = w0.shape[1]
    Xb = np.column_stack([np.ones(len(a0)), x.d0[:, 0], x.s0.mean(axis=1), a0])
    b0 = _resid(b_raw, Xb)
    b0 = b0 / b0.std()
    return np.sqrt((T - 1) / T) * w0 + np.sqrt(1 / T) * np.repeat(b0[:, None], T, axis=1)


def _loadings(x: _Inputs) -> tuple[float, float, float]:
    """Loadings of the national, deprivation and spending parts whose Shapley shares are the true ones.

    With unit total variance: the authority effect and residual, uncorrelated with the fixed parts,
    take their shares through their own loadings.
    """
    targets = np.array([TRUE_SHARES[k] for k in ("national", "deprivation", "spend_vacancy")])

    def shares_eq(logl):
        lg, ld, lsv = np.exp(logl)
        parts = {"national": lg * x.g0, "deprivation": ld * x.d0, "spend_vacancy": lsv * x.s0}
        total = sum(parts.values())
        cov = np.array([np.mean((p - p.mean()) * (total - total.mean())) for p in parts.values()])
        return cov - targets

    sol = optimize.least_squares(shares_eq, np.log([0.5, 0.4, 0.25]), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    lg, ld, lsv = np.exp(sol.x)
    return lg, ld, lsv


def _scale_and_level(Z: np.ndarray, popr: np.ndarray, yrs: np.ndarray) -> tuple[float, float]:
    """Overall scale ``c``: the published CPP growth 2011 -> 2018; level ``mu``: the 2018 national total.

    Without both years in the panel the scale is fixed at 0.27.
    """
    T = len(yrs)
    growth = 1 + reference.value("cpp_growth") / 100
    level = reference.value("cpp_2018")
    i18 = int(np.where(yrs == 2018)[0][0]) if 2018 in yrs else T - 1
    i11 = int(np.where(yrs == 2011)[0][0]) if 2011 in yrs else 0

    def nat(c, mu):
        return (popr * np.exp(mu + c * Z)).sum(axis=0) / PER

    def mu_for(c):
        return np.log(level / ((popr[:, i18] * np.exp(c * Z[:, i18])).sum() / PER))

    if 2011 in yrs and 2018 in yrs:

        def g_gap(c):
            tot = nat(c, mu_for(c))
            return np.log(tot[i18] / tot[i11]) - np.log(growth)

        c = _first_root(g_gap, 1e-3, 5.0)
    else:
        c = 0.27
    return c, mu_for(c)


def _truth(f: _Fit, x: _Inputs, idaci_reg: np.ndarray, y_obs: np.ndarray, yrs: np.ndarray) -> dict:
    """The true parameters on the observed scales, and the shares realised by the rounded counts."""
    n, T = y_obs.shape
    d, ls, vv = x.d, x.ls, x.vv
    b_dep = f.c * f.ld / d.std()
    b_spend = f.c * f.lsv * (-0.6) / ls.std()
    b_vac = f.c * f.lsv * 0.8 / vv.std()
    year_eff = f.c * f.lg * ((yrs - yrs.mean()) / max(T - 1, 1))
    parts = {
        "authority": f.c * f.la * np.repeat(f.a0[:, None], T, axis=1),
        "deprivation": b_dep * (d - d.mean()),
        "national": np.repeat(year_eff[None, :], n, axis=0),
        "spend_vacancy": b_spend * (ls - ls.mean()) + b_vac * (vv - vv.mean()),
    }
    fitted = f.mu + sum(parts.values()) + b_spend * ls.mean() + b_vac * vv.mean()
    parts["residual"] = y_obs - fitted
    realised = shapley_shares(parts, random_parts=("authority", "residual"))
    return {
        "outcome": "log CPP rate per 10,000 aged 0-17",
        "shares_target": TRUE_SHARES,
        "shares": {k: round(v, 6) for k, v in realised.items()},
        "share_rule": "Shapley over components: share_k = cov(part_k, fixed total) / total; authority and "
        "residual are uncorrelated with the fixed parts in-sample and contribute their variance",
        "intercept": float(f.mu - b_dep * idaci_reg.mean() - b_spend * ls.mean() - b_vac * vv.mean()),
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


def _demean_two_way(x: np.ndarray) -> np.ndarray:
    """``x`` less its row and column means (plus the grand mean)."""
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()


def _resid(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Residuals of the least-squares regression of ``y`` on ``X``."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return y - X @ beta


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
