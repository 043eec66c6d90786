"""Statistical neighbours: for each authority, the authorities most like it.

DfE's published list when the data folder carries one (``neighbours.csv``: a ``la_code`` column and
``SN1``, ``SN2``, ... columns of ONS codes); otherwise the ten nearest authorities on standardised
deprivation (IDACI and IMD average scores) and the logarithm of the child population, in the last
year. On synthetic England those are the generator's own characteristics of each authority.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract

N_NEIGHBOURS = 10
#: Characteristics for computed neighbours (standardised; population on a log scale).
NEIGHBOUR_FEATURES = ["idaci_score", "imd_score", "log_pop_0_17"]


def compute_neighbours(panel: pd.DataFrame, k: int = N_NEIGHBOURS) -> pd.DataFrame:
    """The ``k`` nearest authorities on the standardised characteristics of the last year.

    A characteristic missing for every authority is dropped; one missing for a few authorities is
    filled with the median, so that every authority has neighbours.
    """
    last = panel[panel["year"] == panel["year"].max()].drop_duplicates("la_code").set_index("la_code")
    feats = pd.DataFrame(index=last.index)
    for f in NEIGHBOUR_FEATURES:
        if f == "log_pop_0_17":
            feats[f] = np.log(last["pop_0_17"].astype("float64"))
        else:
            feats[f] = last[f].astype("float64")
    feats = feats.loc[:, feats.notna().any()]
    feats = feats.fillna(feats.median())
    z = (feats - feats.mean()) / feats.std(ddof=0).replace(0, 1)
    x = z.to_numpy()
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    rows = []
    codes = z.index.to_numpy()
    for i, code in enumerate(codes):
        order = np.argsort(dist[i], kind="stable")[:k]
        for rank, j in enumerate(order, start=1):
            rows.append((code, rank, codes[j], float(dist[i, j])))
    out = pd.DataFrame(rows, columns=["la_code", "rank", "neighbour", "distance"])
    out["source"] = "computed: " + ", ".join(feats.columns)
    return out


def neighbours_for(prepared: contract.Prepared) -> pd.DataFrame:
    """DfE's published neighbours when the data folder has them, else computed ones."""
    published = prepared.extra.get("neighbours")
    if published is not None and len(published):
        known = set(prepared.panel["la_code"])
        published = published[published["la_code"].isin(known) & published["neighbour"].isin(known)].copy()
        if "source" not in published:
            published["source"] = "DfE published statistical neighbours"
        if "distance" not in published:
            published["distance"] = np.nan
        missing = known - set(published["la_code"])
        computed = compute_neighbours(prepared.panel)
        return pd.concat([published, computed[computed["la_code"].isin(missing)]], ignore_index=True)
    return compute_neighbours(prepared.panel)
