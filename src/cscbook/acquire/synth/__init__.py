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

import numpy as np

from cscbook import contract
from cscbook.acquire.synth.activity import _activity, _centres
from cscbook.acquire.synth.calibration import ASSUMED, SUPPRESS_BELOW, _path, _scale_to_totals
from cscbook.acquire.synth.cpp_model import TRUE_SHARES, _cpp_model
from cscbook.acquire.synth.ofsted import _ofsted, _pin_good_range
from cscbook.acquire.synth.panel import _assemble
from cscbook.acquire.synth.places import (
    REGION_CODE,
    REGION_COUNTS,
    REGION_DEPRIVATION,
    TINY,
    Authority,
    authorities,
)
from cscbook.acquire.synth.spending import _spending
from cscbook.analyse import reference
from cscbook.analyse.shares import shapley_shares

__all__ = [
    "ASSUMED",
    "REGION_CODE",
    "REGION_COUNTS",
    "REGION_DEPRIVATION",
    "SUPPRESS_BELOW",
    "TINY",
    "TRUE_SHARES",
    "Authority",
    "authorities",
    "generate",
    "shapley_shares",
]


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
