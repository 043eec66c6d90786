"""Ofsted inspections of synthetic England: judgements independent of everything else, bar two pins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract, reference

_FRAMEWORKS = [("SLAC", 2009, 2010), ("SIF", 2014, 2017), ("ILACS", 2018, 2030)]
_JUDGEMENT_P = {
    "SLAC": [0.12, 0.52, 0.30, 0.06],  # Inadequate, Requires improvement (SLAC "Adequate"), Good, Outstanding
    "SIF": [0.20, 0.44, 0.33, 0.03],
    "ILACS": [0.12, 0.36, 0.42, 0.10],
}


def inspections(rng, las, yrs):
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


def pin_good_range(ofsted, cats, yrs, pop, tiny):
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
