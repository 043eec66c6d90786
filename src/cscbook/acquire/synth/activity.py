"""Activity series of synthetic England: referrals, section 47 enquiries, conferences, children in
need, plans, looked-after children, and children's centres."""

from __future__ import annotations

import numpy as np

from cscbook import reference
from cscbook.acquire.synth.calibration import ASSUMED, SUPPRESS_BELOW, national_path, scale_to_totals
from cscbook.contract import PER


def counts(rng, las, idaci, a_cpp, pop, yrs, cpp_rate):
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
        total = national_path(level18, growth, yrs)
        return scale_to_totals(rate * pop, total)

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
    out["cla_16plus"] = scale_to_totals(
        cla16,
        national_path(ref("cla_2018") * share16, ref("cla16_growth") / 100, yrs),
    )
    out["cin_31mar"], out["cin_episodes"] = _children_in_need(rng, dz, az, tiny, pop, yrs)
    # CPP: regular authorities from the model; the small authorities have counts below suppression
    cpp = cpp_rate * pop / PER
    cpp[tiny] = rng.integers(1, SUPPRESS_BELOW, (int(tiny.sum()), T))
    out["cpp_31mar"] = cpp
    return {k: np.round(v) for k, v in out.items()}


def _children_in_need(rng, dz, az, tiny, pop, yrs):
    """Children in need at 31 March and episodes in the year; the 2017-18 episode rates span the NAO's range."""
    N, T = pop.shape
    reg = ~tiny
    ref = reference.value
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
    cin_total = national_path(ref("cin_2018"), ref("cin_growth") / 100, yrs)
    ep_trend = np.exp(0.01 * (yrs - 2018))
    episodes = ep_rate18[:, None] * ep_trend[None, :] * np.exp(wobble) * pop / PER
    ratio = ASSUMED["episodes_per_cin_31mar"] * np.exp(rng.normal(0, 0.05, (N, T)))
    cin = scale_to_totals(episodes / ratio, cin_total)
    return cin, np.maximum(episodes, cin * 1.05)


def childrens_centres(rng, pop, yrs):
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
