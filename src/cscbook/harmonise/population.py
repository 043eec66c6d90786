"""Y-POP: the 0-17 population back-derived from the children-in-need count and its published rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.contract import PER
from cscbook.harmonise import boundaries
from cscbook.harmonise.sources import pick


def back_derive_population(panel: pd.DataFrame, cin: pd.DataFrame, geography: str, flags: list) -> pd.DataFrame:
    """Where no population estimate is read, the children-in-need count over its published rate (DfE's own
    denominator), flagged derived under Y-POP."""
    rate = pick(boundaries.la(cin), "cin_rate")
    cnt = pick(boundaries.la(cin), "cin_31mar")
    rc = cnt.merge(rate, on=["la_code", "year"], suffixes=("_n", "_r"))
    rc["pop"] = rc["value_n"] * PER / rc["value_r"]
    if geography == "2018":
        rc["la_code"] = rc["la_code"].map(boundaries.on_2018())
    panel = panel.merge(
        rc[["la_code", "year", "pop"]].drop_duplicates(["la_code", "year"]), on=["la_code", "year"], how="left"
    )
    if "pop_0_17" not in panel:
        panel["pop_0_17"] = np.nan
    need = panel["pop_0_17"].isna() & panel["pop"].notna() & np.isfinite(panel["pop"])
    for r in panel[need].itertuples():
        flags.append((r.la_code, r.year, "pop_0_17", "derived", "Y-POP"))
    panel.loc[need, "pop_0_17"] = panel.loc[need, "pop"].round()
    return panel.drop(columns="pop")
