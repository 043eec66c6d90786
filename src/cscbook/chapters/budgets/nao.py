"""The NAO's money figures of 2019 beside ours: the scored rows on the definitions its words name, and the
overspend's other definitions as an exploration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.chapters.budgets.tables import chapter_england
from cscbook.chapters.context import Context
from cscbook.chapters.since_figures import NAO_END


def nao_rows(nao: Context) -> list[dict]:
    """The NAO's money figures beside ours on the definition its words name: England's Revenue Account budget
    rows, the outturn's net current expenditure, and for the overspend each authority's RO3 net current
    expenditure against its budget, over budget by any amount, on the 152 authorities of 2017-18."""
    eng = chapter_england(nao)
    if eng is None or nao.p.region:
        why = (
            "the chapter is restricted to a region"
            if nao.p.region
            else "synthetic England's budgets are not calibrated to MHCLG's returns"
            if nao.prepared.synthetic
            else "these data have no finance returns"
        )
        keys = ["budget_2018", "budget_2019", "cla_budget_2019", "cla_budget_rise", "cla_budget_rise_pct",
                "spend_total_2018", "overspend_share_2018", "overspend_total_2018"]  # fmt: skip
        return [{"key": k, "ours": None, "reason": why} for k in keys]
    b18, b19 = eng.loc[2018, "budget_cla"], eng.loc[2019, "budget_cla"]
    both = overspend_2018(nao, "outturn_csc")
    eng_rows = "England's rows as published (they include shire districts' and other bodies' small amounts)"
    return [
        {"key": "budget_2018", "ours": eng.loc[2018, "budget_csc"], "reason": eng_rows},
        {"key": "budget_2019", "ours": eng.loc[2019, "budget_csc"], "reason": eng_rows},
        {"key": "cla_budget_2019", "ours": b19, "reason": eng_rows},
        {"key": "cla_budget_rise", "ours": b19 - b18, "reason": eng_rows},
        {"key": "cla_budget_rise_pct", "ours": 100 * (b19 / b18 - 1), "reason": eng_rows},
        {
            "key": "spend_total_2018",
            "ours": eng.loc[2018, "outturn_csc"],
            "reason": "RO3 net current expenditure, England's row (the revised outturn)",
        },  # fmt: skip
        {
            "key": "overspend_share_2018",
            "ours": 100 * both["share"],
            "reason": f"{both['over']} of {both['n']} authorities: RO3 net current expenditure (revised) above the RA budget",
        },  # fmt: skip
        {
            "key": "overspend_total_2018",
            "ours": both["excess"],
            "reason": "the excesses of the authorities over budget, summed; the folder has the revised outturn only",
        },  # fmt: skip
    ]


def overspend_2018(nao: Context, outturn: str, margin: float = 0.0, exclude: tuple = ()) -> dict:
    """How many authorities of the NAO's year spent more than ``margin`` (a share of the budget) above it, and by
    how much together (£), with ``outturn`` as the outturn column."""
    y = nao.view[(nao.view["year"] == NAO_END) & ~nao.view["la_code"].isin(exclude)].dropna(
        subset=["budget_csc", outturn]
    )
    over = y[outturn] - y["budget_csc"]
    hit = over > margin * y["budget_csc"]
    return {"n": len(y), "over": int(hit.sum()), "share": float(hit.mean()), "excess": float(over[over > 0].sum())}


def definitions(nao: Context) -> pd.DataFrame:
    """The overspend's definitions the data allow, each with its share and total: an exploration written after
    the scored definition failed, never a replacement for it."""
    tiny = [c for c in contract.TINY if c in set(nao.view["la_code"])]
    tried = [
        ("RO3 net current expenditure above the RA budget, any amount (scored)", "outturn_csc", 0.0, ()),
        ("RO3 gross expenditure above the RA budget, any amount", "outturn_csc_gross", 0.0, ()),
        ("RO3 net above the budget by more than 1% of it", "outturn_csc", 0.01, ()),
        (
            "RO3 net above the budget, without the City of London and the Isles of Scilly",
            "outturn_csc",
            0.0,
            tuple(tiny),
        ),
    ]
    rows = []
    for words, col, margin, exclude in tried:
        r = overspend_2018(nao, col, margin, exclude)
        rows.append({"Definition": words, "Authorities": r["n"], "Over budget": r["over"],
                     "Share over budget (%)": 100 * r["share"], "Sum of excesses (£m)": r["excess"] / 1e6})  # fmt: skip
    t = pd.DataFrame(rows)
    t["Share within the NAO's rounding"] = np.where(
        (t["Share over budget (%)"] - reference.value("overspend_share_2018")).abs() <= 0.5, "yes", "no"
    )
    t["Total within the NAO's rounding"] = np.where(
        (t["Sum of excesses (£m)"] * 1e6 - reference.value("overspend_total_2018")).abs() <= 5e5, "yes", "no"
    )
    return t.set_index("Definition")
