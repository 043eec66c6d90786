"""Statistical neighbours: for each authority, the authorities most like it.

DfE's published lists when the data folder carries them (``neighbours.csv``: ``la_code, rank,
neighbour`` on ONS codes, with ``closeness`` and ``edition`` for DfE's own editions); otherwise the ten nearest authorities on standardised
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


def editions(prepared: contract.Prepared) -> list[int]:
    """The editions of DfE's statistical neighbours the data folder carries, oldest first."""
    published = prepared.extra.get("neighbours")
    if published is None or "edition" not in published:
        return []
    return sorted(int(e) for e in published["edition"].dropna().unique())


def neighbours_for(prepared: contract.Prepared, which: str = "dfe") -> pd.DataFrame:
    """Each authority's statistical neighbours (la_code, rank, neighbour, closeness, source).

    ``which``: ``"dfe"`` DfE's latest edition in the data folder, ``"dfe-<year>"`` that edition, or
    ``"computed"`` the nearest authorities on deprivation and child population. An authority the published
    list leaves out (or every authority, without one) gets computed neighbours, named so in ``source``."""
    published = prepared.extra.get("neighbours")
    computed = compute_neighbours(prepared.panel)
    computed["closeness"] = None
    if which == "computed" or published is None or not len(published):
        return computed
    published = published.copy()
    if "edition" in published and published["edition"].notna().any():
        have = editions(prepared)
        year = have[-1] if which == "dfe" else int(which.removeprefix("dfe-"))
        if year not in have:
            from cscbook.errors import UserError

            raise UserError(
                "neighbours", f"no DfE edition {year} in the data (it has {', '.join(map(str, have))})", "neighbours"
            )
        published = published[published["edition"] == year]
    known = set(prepared.panel["la_code"])
    published = published[published["la_code"].isin(known) & published["neighbour"].isin(known)]
    if "source" not in published or published["source"].isna().all():
        published["source"] = "DfE published statistical neighbours"
    for col, default in (("distance", np.nan), ("closeness", None)):
        if col not in published:
            published[col] = default
    missing = known - set(published["la_code"])
    return pd.concat([published, computed[computed["la_code"].isin(missing)]], ignore_index=True)
