"""Calibration of synthetic England: stated assumptions and the national paths every series follows."""

from __future__ import annotations

import numpy as np

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


def national_path(level_2018: float, growth: float, years: np.ndarray, base: int = 2011, end: int = 2018) -> np.ndarray:
    """A national series, log-linear through ``level_2018 / (1 + growth)`` at ``base`` and ``level_2018`` at ``end``."""
    rate = np.log1p(growth) / (end - base)
    return level_2018 * np.exp(rate * (years - end))


def scale_to_totals(values: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Scale each column (year) of an LA × year array so that it sums to ``totals``."""
    return values * (totals / values.sum(axis=0))[None, :]
