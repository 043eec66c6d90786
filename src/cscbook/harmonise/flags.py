"""The panel's names, regions and contract columns (S-NOSOURCE), the missing cells (S-MISSING), and the
flag table. A flag is ``(la_code, year, column, flag, rule)``, with an optional sixth item, its detail; steps
append them in the order they find them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract


def contract_columns(panel: pd.DataFrame, names: dict, regions: dict, flags: list) -> pd.DataFrame:
    """Names and canonical regions, every contract column (S-NOSOURCE where no source has it), in order."""
    panel["la_name"] = panel["la_code"].map(names)
    # publishers differ in case ("The Humber") and some split London into Inner and Outer London
    canonical = {r.lower(): r for r in contract.REGIONS} | {"inner london": "London", "outer london": "London"}
    panel["region"] = panel["la_code"].map(regions).map(lambda r: canonical.get(str(r).strip().lower(), r))
    for c in contract.COLUMNS:
        if c not in panel.columns:
            panel[c] = np.nan if c in contract.NUMERIC else None
            flags.append(("*", 0, c, "missing", "S-NOSOURCE"))
    return contract.order_panel(panel)


def flag_missing_cells(panel: pd.DataFrame, flags: list) -> None:
    """S-MISSING for every empty cell of a measure that no earlier rule has explained."""
    present = {(f[0], f[1], f[2]) for f in flags}
    for c in contract.COUNTS + contract.SPEND + contract.FINANCE + ["sw_vacancy_rate", "idaci_score", "ofsted_overall"]:
        miss = panel[panel[c].isna()]
        for la, y in zip(miss["la_code"], miss["year"]):
            if (la, y, c) not in present and ("*", 0, c) not in present:
                flags.append((la, int(y), c, "missing", "S-MISSING"))


def flag_table(flags: list) -> pd.DataFrame:
    """The flags as a table, each once, in the order found."""
    rows = [tuple(f) + ("",) * (6 - len(f)) for f in flags]  # a flag may carry a detail (a revision's values)
    fl = pd.DataFrame(rows, columns=[*contract.FLAG_COLUMNS, contract.FLAG_DETAIL]).drop_duplicates()
    if not (fl[contract.FLAG_DETAIL] != "").any():
        fl = fl.drop(columns=contract.FLAG_DETAIL)
    fl["year"] = fl["year"].astype("int64")
    return fl
