"""Section 251 spending of synthetic England: spend per child, the preventative share and the categories."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from cscbook import reference
from cscbook.acquire.synth.calibration import ASSUMED


def section_251(rng, las, idaci, pop, yrs):
    """Section 251 spend by category (nominal £) and the national preventative share path (definition B)."""
    tiny = np.array([a.tiny for a in las])
    total = _per_child(rng, tiny, idaci, pop, yrs) * pop
    share, prev_path = _preventative_share(rng, total, yrs)
    cats = _categories(rng, total, share, yrs)
    spend_pc = sum(v for k, v in cats.items() if k != "cera") / pop
    return spend_pc, cats, prev_path


def _per_child(rng, tiny, idaci, pop, yrs):
    """Spending per child: the 2017-18 cross-section at the published total, minimum and maximum, then a walk."""
    N, T = pop.shape
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
    spc18 = np.empty(N)
    # the two small authorities: very high per-child costs (fixed costs over few children)
    tiny_idx = np.where(tiny)[0]
    spc18[tiny_idx[0]] = reference.value("good_spend_max")  # first tiny authority: the "Good" maximum
    spc18[tiny_idx[1]] = reference.value("spend_pc_max")
    remaining = target_total - (spc18[tiny] * pop18[tiny]).sum()
    k = (remaining - spc_min * pop18[reg].sum()) / (excess[reg] * pop18[reg]).sum()
    spc18[reg] = spc_min + k * excess[reg]
    # over time: nominal growth with an authority-specific random walk anchored at 2017-18
    steps = rng.normal(0, 0.045, (N, T))
    walk = np.cumsum(steps, axis=1)
    anchor = walk[:, [i18]] if i18 is not None else walk[:, [-1]]
    walk = walk - anchor
    trend = (1 + ASSUMED["spend_growth_per_year"]) ** (yrs - y2018)
    return spc18[:, None] * trend[None, :] * np.exp(walk)


def _preventative_share(rng, total, yrs):
    """Each authority's preventative share (definition B: Sure Start + family support + young people +
    other), with the national share on its published path every year; and that path."""
    N, T = total.shape
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
    return share, prev_path


def _categories(rng, total, share, yrs):
    """Spend by section 251 category (rounded £): preventative and statutory mixes per authority, and capital."""
    N, T = total.shape
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
    return {k: np.round(v) for k, v in cats.items()}
