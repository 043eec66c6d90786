"""Budgets and outturn of synthetic England, with a known relation to demand.

Each authority's outturn is its section 251 spending on children's social care (without capital spending from
revenue) with a little noise; its budget is the outturn less an overspend whose share of the budget is

    overspend % of budget[i,t] = MEAN + PER_SD * z[i,t] + noise[i,t],

where ``z`` is the change in the authority's looked-after rate over the three years before the year (since the
first year, in the first three), standardised across authorities within the year. Nothing else enters: the
budgets chapter's test of overspending against demand should find the looked-after change, on these data.

The draws come from their own stream (seeded from the data's seed), so that adding budgets changes nothing else.
"""

from __future__ import annotations

import numpy as np

#: The overspend's true relation to demand (percentage points of the budget).
TRUE_OVERSPEND = {"mean_pct": 5.0, "per_sd_of_cla_rate_change": 4.0, "noise_sd_pct": 4.0}
#: Gross expenditure over net (income from fees, charges and other bodies).
GROSS_OVER_NET = 1.08
#: The stream's tag beside the seed.
STREAM = 251


def budgets(seed: int, spend: dict, cla: np.ndarray, pop: np.ndarray) -> tuple[dict, dict]:
    """The finance columns (N x T arrays, £ nominal) and the truth they were made with."""
    rng = np.random.default_rng((seed, STREAM))
    N, T = pop.shape
    outturn = sum(v for k, v in spend.items() if k != "cera") * np.exp(rng.normal(0, 0.02, (N, T)))
    rate = cla / pop
    before = rate[:, np.maximum(np.arange(T) - 3, 0)]
    change = 100 * (rate / before - 1)
    sd = change.std(axis=0)
    z = np.where(sd > 0, (change - change.mean(axis=0)) / np.where(sd > 0, sd, 1), 0.0)
    t = TRUE_OVERSPEND
    pct = t["mean_pct"] + t["per_sd_of_cla_rate_change"] * z + rng.normal(0, t["noise_sd_pct"], (N, T))
    cols = {
        "budget_csc": outturn / (1 + pct / 100),
        "budget_cla": spend["cla"] / (1 + pct / 100),
        "outturn_csc": outturn,
        "outturn_csc_gross": outturn * GROSS_OVER_NET,
        "outturn_cla": spend["cla"] * 1.0,
    }
    truth = {**t, "driver": "change in the looked-after rate over the three years before (standardised by year)"}
    return {k: np.round(v) for k, v in cols.items()}, truth
