"""The decomposition's two models on the official statistics, both declared in
``data/reference/decomposition.csv``: the *reproduction* model, the declared candidate whose shares come
closest to the NAO's (largest difference in any share, in percentage points), and the *preferred* model,
the specification the book would defend, with its reason. On synthetic England the main model is the
generator's own specification, so it is the reproduction model there."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cscbook import reference
from cscbook.analyse import candidates, models
from cscbook.chapters.context import Context


@dataclass
class Declared:
    """One declared specification: its row in the file and its model."""

    order: int
    name: str
    role: str
    spec: models.Spec
    definition: str
    reason: str


def declared(base: models.Spec) -> list[Declared]:
    """Every declared specification, on the chapter's outcome scale and deprivation measure."""
    out = []
    for r in candidates.decomposition_specs().itertuples(index=False):
        spec = replace(
            base,
            outcome=r.outcome,
            spend=r.spend,
            vacancies=r.vacancies == "yes",
            lag_spend=r.lag_spend == "yes",
            first_year=int(r.first_year) if r.first_year else None,
        )
        out.append(Declared(int(r.order), r.candidate, r.role, spec, r.definition, r.reason))
    return out


def fittable(ctx: Context, spec: models.Spec) -> bool:
    """Whether the chapter's data hold the specification's outcome."""
    return spec.outcome in ctx.view.columns and ctx.view[spec.outcome].notna().any()


def distance(f: models.Fit) -> float:
    """The largest difference between the fit's shares and the NAO's, in percentage points."""
    nao = {k: reference.value(key) for k, key in models.NAO_KEYS.items()}
    return max(abs(100 * f.shares[k] - nao[k]) for k in models.COMPONENTS)


def reproduction(ctx: Context, base: models.Spec) -> tuple[Declared | None, pd.DataFrame | None, models.Fit | None]:
    """The declared candidate closest to the NAO's shares (the first, on ties), the table of every candidate
    fitted, and the closest candidate's fit (all None on synthetic England, whose main model is the
    generator's specification)."""
    if ctx.synthetic:
        return None, None, None
    rows, best, best_d, best_fit = [], None, np.inf, None
    for d in (x for x in declared(base) if x.role == "candidate"):
        row = {"#": d.order, "Definition": d.definition}
        if not fittable(ctx, d.spec):
            rows.append(row | {"Largest difference from the NAO (pp)": np.nan, "Used": "not in these data"})
            continue
        f = models.fit(ctx.view, d.spec, "mixedlm")
        gap = distance(f)
        row |= {models.LABELS[k] + " (%)": 100 * f.shares[k] for k in models.COMPONENTS}
        rows.append(row | {"Rows": len(f.frame), "Largest difference from the NAO (pp)": gap, "Used": ""})
        if gap < best_d:
            best, best_d, best_fit = d, gap, f
    table = pd.DataFrame(rows).set_index("#")
    if best is not None:
        table.loc[best.order, "Used"] = "reproduction model"
    return best, table, best_fit


def preferred(ctx: Context, base: models.Spec) -> Declared | None:
    """The declared preferred specification, when the chapter's data hold its outcome."""
    d = next((x for x in declared(base) if x.role == "preferred"), None)
    return d if d is not None and fittable(ctx, d.spec) else None


def preferred_absent(base: models.Spec) -> str:
    """Why there is no preferred model in these data."""
    d = next((x for x in declared(base) if x.role == "preferred"), None)
    if d is None:
        return "no preferred model is declared"
    return f"these data have no {models.OUTCOMES[d.spec.outcome]}, the preferred model's outcome"
