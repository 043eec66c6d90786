"""Shares of variance: how the variation of a sum is split among its parts.

The book uses one rule everywhere, for the generator's true shares and for the fitted models
alike: the covariances among the fixed parts are allocated by the Shapley rule, so that
share_k = cov(part_k, fixed total) / total variance, and parts taken as random (uncorrelated
with the others) contribute their own variance.
"""

from __future__ import annotations

import numpy as np


def shapley_shares(parts: dict[str, np.ndarray], random_parts: tuple[str, ...] = ()) -> dict[str, float]:
    """Shares of variance with covariances allocated by the Shapley rule.

    For a variance, the Shapley value of part k is cov(part_k, sum of parts); parts named in
    ``random_parts`` are taken as uncorrelated with the others and contribute their own variance.
    The shares sum to one.
    """
    fixed = [k for k in parts if k not in random_parts]
    total_fixed = sum(parts[k] for k in fixed)
    vals = {}
    for k in parts:
        x = parts[k]
        if k in random_parts:
            vals[k] = float(np.var(x))
        else:
            vals[k] = float(np.mean((x - x.mean()) * (total_fixed - total_fixed.mean())))
    total = sum(vals.values())
    return {k: v / total for k, v in vals.items()}
