"""The decomposition carried past 2017-18: the main model's specification refitted on the years since, on
today's authorities (see :mod:`cscbook.chapters.since` for the later context and the absent case)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from cscbook import contract
from cscbook.analyse import measures, models
from cscbook.chapters.context import Context
from cscbook.chapters.since import NAO_END, Since, absent, last_year, later_context


def since(ctx: Context, main, main_ci: pd.DataFrame) -> Since:
    """Do the shares move after 2017-18? The main model's specification refitted on the years since, without
    and with vacancy rates (which exist for every later year), each with bootstrap intervals."""
    later = later_context(ctx)
    if later is None:
        return absent()
    spec = main.spec
    last = last_year(later, [spec.outcome])
    view = later.view[(later.view["year"] > NAO_END) & (later.view["year"] <= last)]
    fits = {"The NAO's period (main model)": (main, main_ci)}
    for name, s in (
        ("Since 2017-18", replace(spec, vacancies=False)),
        ("Since 2017-18, with vacancies", replace(spec, vacancies=True)),
    ):
        f = models.fit(view, s, "mixedlm")
        ci = models.intervals(models.bootstrap(f.frame, s, ctx.p.n_boot, ctx.p.boot_seed)) if ctx.p.n_boot else None
        fits[name] = (f, ci)
    columns = {}
    for name, (f, ci) in fits.items():
        yrs = f.frame["year"]
        col = {
            "Rows": f"{len(f.frame):,}",
            "Years": f"{contract.year_label(int(yrs.min()))} to {contract.year_label(int(yrs.max()))}",
        }
        for k in models.COMPONENTS:
            share = f"{100 * f.shares[k]:.0f}"
            col[models.LABELS[k] + " (%)"] = (
                share
                if ci is None
                else f"{share} ({round(100 * ci.loc[k, 'low'])} to {round(100 * ci.loc[k, 'high'])})"
            )
        columns[name] = col
    table = pd.DataFrame(columns)
    table.index.name = "Share (95% interval)"
    now, then = fits["Since 2017-18"][0], main
    moved = sorted(models.COMPONENTS, key=lambda k: -abs(now.shares[k] - then.shares[k]))
    words = ", ".join(
        f"{models.LABELS[k].lower()} {100 * then.shares[k]:.0f}% to {100 * now.shares[k]:.0f}%" for k in moved[:3]
    )
    outside = [
        models.LABELS[k].lower()
        for k in models.COMPONENTS
        if main_ci is not None and not (main_ci.loc[k, "low"] <= now.shares[k] <= main_ci.loc[k, "high"])
    ]
    text = (
        f"Refitted on the years after 2017-18 ({table.loc['Years', 'Since 2017-18']}), the same specification "
        f"moves most in {words}; "
        + (
            f"{measures.and_list(outside)} now lie outside the NAO-period model's 95% interval"
            if outside
            else "every share stays inside the NAO-period model's 95% interval"
        )
        + ". With vacancy rates, which exist for every later year, spending and vacancies take "
        f"{100 * fits['Since 2017-18, with vacancies'][0].shares['spend_vacancy']:.0f}%."
    )
    headline = (
        f"Refitted on {table.loc['Years', 'Since 2017-18']}: "
        + ", ".join(f"{models.LABELS[k].lower()} {100 * now.shares[k]:.0f}%" for k in models.COMPONENTS)
        + "."
    )
    return Since(table, text, "", contract.year_label(last), headline)
