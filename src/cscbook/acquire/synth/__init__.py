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

One module per part, called by :func:`generate` in this order (they share one random stream):
``places`` (authorities, populations, deprivation), ``spending`` (section 251), ``cpp_model``,
``activity`` (the other counts and children's centres), ``ofsted``, ``finance`` (budgets and outturn, from
their own random stream) and ``assemble`` (the panel);
``calibration`` holds the stated assumptions and the national paths.
"""

from __future__ import annotations

import numpy as np

from cscbook import contract
from cscbook.acquire.synth import activity, assemble, cpp_model, finance, ofsted, places, spending
from cscbook.acquire.synth.calibration import ASSUMED, SUPPRESS_BELOW
from cscbook.acquire.synth.cpp_model import TRUE_SHARES
from cscbook.acquire.synth.places import REGION_CODE, REGION_COUNTS, REGION_DEPRIVATION, TINY, Authority, authorities
from cscbook.shares import shapley_shares

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

#: Yearly rise of the synthetic price index (2017-18 = 1).
DEFLATOR_GROWTH = 0.018


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
    tiny = np.array([a.tiny for a in las])
    reg = ~tiny

    pop = places.population(rng, las, yrs)
    idaci, imd = places.deprivation(rng, las)
    # vacancy rate: between and within authorities
    vac_la = rng.normal(0, 0.05, N)
    vac = np.clip(ASSUMED["vacancy_mean"] + vac_la[:, None] + rng.normal(0, 0.025, (N, T)), 0.01, 0.45)

    spend_pc, spend_cats, prev_path = spending.section_251(rng, las, idaci, pop, yrs)
    cpp_rate, truth_cpp = cpp_model.cpp_rates(rng, reg, idaci, np.log(spend_pc), vac, pop, yrs)
    a_latent = np.zeros(N)
    a_latent[reg] = truth_cpp.pop("_a")
    counts = activity.counts(rng, las, idaci, a_latent, pop, yrs, cpp_rate)

    judgements = ofsted.inspections(rng, las, yrs)
    ofsted.pin_good_range(judgements, spend_cats, yrs, pop, tiny)
    centres = activity.childrens_centres(rng, pop, yrs)

    money, truth_money = finance.budgets(seed, spend_cats, counts["cla_31mar"], pop)
    panel, flags = assemble.panel_and_flags(las, yrs, pop, counts, spend_cats, idaci, imd, vac, judgements, centres)
    for k, v in money.items():
        panel[k] = v.ravel()
    deflator = (1 + DEFLATOR_GROWTH) ** (yrs - 2018)
    panel["deflator"] = np.tile(deflator, N)
    truth = _truth(seed, yrs, las, truth_cpp, prev_path)
    truth["overspend"] = truth_money
    # each regular authority's own effect on the log CPP rate, which the decomposition's random intercepts estimate
    truth["authority_effects"] = {a.code: round(float(x), 6) for a, x, r in zip(las, a_latent, reg) if r}
    return contract.Prepared(panel=panel, flags=flags, meta=_meta(seed, yrs, len(panel)), truth=truth)


def _truth(seed: int, yrs: np.ndarray, las: list[Authority], truth_cpp: dict, prev_path: np.ndarray) -> dict:
    """What the book's methods should find: the CPP model, the preventative share and the null effects."""
    return {
        "seed": seed,
        "years": [int(yrs[0]), int(yrs[-1])],
        "cpp_model": truth_cpp,
        "preventative_share_definition": "B",
        "preventative_share": {str(y): round(float(s), 6) for y, s in zip(yrs, prev_path)},
        "ofsted_effect_on_spend_per_child": 0.0,
        "ofsted_effect_on_later_cpp_change": 0.0,
        "childrens_centre_effect_on_cpp_change": 0.0,
        "tiny_authorities": [a.code for a in las if a.tiny],
    }


def _meta(seed: int, yrs: np.ndarray, rows: int) -> dict:
    """The folder's ``meta.json``: how the data were made, with the stated assumptions."""
    return {
        "source": "synthetic",
        "title": "Synthetic England",
        "seed": seed,
        "years": [int(yrs[0]), int(yrs[-1])],
        "geography": "synthetic: 152 fictional authorities on the 2017-18 regional pattern",
        "deflator": f"synthetic price index rising {DEFLATOR_GROWTH:.1%} a year, 2017-18 = 1",
        "assumptions": ASSUMED,
        "suppression": f"counts below {SUPPRESS_BELOW} are suppressed (missing, flagged)",
        "rows": rows,
        "sources": [
            {
                "publisher": "cscbook",
                "title": "Synthetic England, calibrated to published national figures in data/reference/published.csv",
                "licence": "MIT (code and synthetic data)",
            }
        ],
    }
