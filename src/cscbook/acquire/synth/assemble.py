"""The synthetic panel in the contract's shape: one row per authority and year, small counts suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.acquire.synth.calibration import SUPPRESS_BELOW


def panel_and_flags(las, yrs, pop, counts, spend, idaci, imd, vac, ofsted, centres):
    """The panel (one row per authority and year, counts below suppression missing) and its flags."""
    N, T = pop.shape
    rows = {
        "la_code": np.repeat([a.code for a in las], T),
        "la_name": np.repeat([a.name for a in las], T),
        "region": np.repeat([a.region for a in las], T),
        "year": np.tile(yrs, N),
        "pop_0_17": pop.ravel(),
    }
    flags = []
    for k in contract.NOT_SYNTHESISED:  # not modelled: missing, with the reason
        rows[k] = np.full(N * T, np.nan)
        flags.append(("*", 0, k, "missing", "synthetic: not modelled"))
    for k in [c for c in contract.COUNTS[1:] if c not in contract.NOT_SYNTHESISED]:
        v = counts[k].ravel().astype(float)
        small = v < SUPPRESS_BELOW
        v[small] = np.nan
        rows[k] = v
        for idx in np.where(small)[0]:
            flags.append((rows["la_code"][idx], int(rows["year"][idx]), k, "missing", "suppressed: count below 6"))
    for k, v in spend.items():
        rows[f"spend_{k}"] = v.ravel()
    rows["childrens_centres"] = centres.ravel()
    rows["idaci_score"] = np.repeat(np.round(idaci, 4), T)
    rows["imd_score"] = np.repeat(np.round(imd, 3), T)
    rows["sw_vacancy_rate"] = np.round(vac.ravel(), 4)
    judg = [ofsted[(i, t)] for i in range(N) for t in range(T)]
    rows["ofsted_overall"] = [j[2] if j else None for j in judg]
    rows["ofsted_framework"] = [j[1] if j else None for j in judg]
    rows["ofsted_date"] = [j[0].date().isoformat() if j else None for j in judg]
    panel = pd.DataFrame(rows)
    for c in contract.COUNTS:
        panel[c] = panel[c].astype("Float64")
    fl = pd.DataFrame(flags, columns=contract.FLAG_COLUMNS) if flags else contract.empty_flags()
    return panel, fl
