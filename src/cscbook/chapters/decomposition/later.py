"""The decomposition on today's authorities: the main model's specification refitted on the chapter's own years
(the whole series by default), and carried past 2017-18 on the years since (see :mod:`cscbook.chapters.since`
for the later context and the absent case)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures, models
from cscbook.chapters.context import Context
from cscbook.chapters.decomposition.tables import span
from cscbook.chapters.since import NAO_END, Since, absent, last_year, later_context
from cscbook.present import figures


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
    table = shares_columns(fits)
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


@dataclass
class Now:
    """The model on the chapter's own years and authorities (today's, over the whole series, by default): the
    shares without vacancies over every year, and with vacancies over the years that have them, each with
    bootstrap intervals, and each authority's effect in the latest period."""

    fits: dict[str, tuple[models.Fit, pd.DataFrame | None]]  # name -> fit and its 95% intervals
    table: pd.DataFrame
    text: str
    fig: figures.Figure
    main: models.Fit  # the fit the authority effects come from (the latest period's), as charts.fig_effects reads it
    fig_effects: figures.Figure | None = None  # set by the chapter (charts.fig_effects)

    @property
    def spec(self) -> models.Spec:
        return self.main.spec


#: The two fits of the chapter's first part.
WHOLE, RECENT = "Every year, without vacancies", "With vacancies"


def now(ctx: Context, spec: models.Spec) -> Now:
    """Fit the main model's specification on the chapter's view: every year without vacancies, and the years with
    vacancy rates (from 2016-17) with them; bootstrap both."""
    whole = replace(spec, vacancies=False, first_year=None)
    specs = {WHOLE: whole}
    if ctx.last > models.VACANCY_FIRST_YEAR:  # two years at least, so national changes are defined
        specs[RECENT] = replace(spec, vacancies=True, first_year=models.VACANCY_FIRST_YEAR)
    fits = {}
    for name, s in specs.items():
        f = models.fit(ctx.view, s, "mixedlm")
        ci = models.intervals(models.bootstrap(f.frame, s, ctx.p.n_boot, ctx.p.boot_seed)) if ctx.p.n_boot else None
        fits[name] = (f, ci)
    table = shares_columns(fits)
    nao = {k: reference.value(key) for k, key in models.NAO_KEYS.items()}
    f, ci = fits[WHOLE]
    top = max(models.COMPONENTS, key=lambda k: f.shares[k])
    big = max(nao, key=nao.get)
    text = (
        f"Over {table.loc['Years', WHOLE]}, on {f.frame['la_code'].nunique()} authorities, the shares are: "
        + "; ".join(f"{models.LABELS[k].lower()} {_share(f, ci, k)}" for k in models.COMPONENTS)
        + f". The largest is {models.LABELS[top].lower()}"
        + (", as in the NAO's model" if top == big else f"; in the NAO's model it was {models.LABELS[big].lower()}")
        + f" ({nao[big]:.0f}%)."
    )
    if RECENT in fits:
        fv, civ = fits[RECENT]
        text += (
            f" On the years with vacancy rates ({table.loc['Years', RECENT]}), spending and vacancies take "
            f"{_share(fv, civ, 'spend_vacancy')} and differences between authorities {_share(fv, civ, 'authority')}."
        )
    eff_fit = fits.get(RECENT, fits[WHOLE])[0]
    return Now(fits, table, text, shares_figure(ctx, fits, nao), eff_fit)


def _share(f: models.Fit, ci: pd.DataFrame | None, k: str) -> str:
    s = f"{100 * f.shares[k]:.0f}%"
    if ci is None or pd.isna(ci.loc[k, "low"]):
        return s
    return f"{s} (95% interval {100 * ci.loc[k, 'low']:.0f}% to {100 * ci.loc[k, 'high']:.0f}%)"


def shares_columns(fits: dict) -> pd.DataFrame:
    """One column per fit: its rows, years and each share with its 95% interval."""
    columns = {}
    for name, (f, ci) in fits.items():
        col = {"Rows": f"{len(f.frame):,}", "Years": span(f.frame["year"])}
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
    return table


def shares_figure(ctx: Context, fits: dict, nao: dict[str, float]) -> figures.Figure:
    """Each share with its 95% interval for every fit, the NAO's as diamonds."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ys = np.arange(len(models.COMPONENTS))[::-1]
    pal = figures.colours(len(fits))
    step = 0.25
    for j, ((name, (f, ci)), c) in enumerate(zip(fits.items(), pal)):
        off = step * (j - (len(fits) - 1) / 2)
        for y, k in zip(ys, models.COMPONENTS):
            if ci is not None and not np.isnan(ci.loc[k, "low"]):
                ax.plot([100 * ci.loc[k, "low"], 100 * ci.loc[k, "high"]], [y - off] * 2, color=c, lw=3, alpha=0.6)
            ax.plot(100 * f.shares[k], y - off, "o", color=c, ms=6, label=name if k == "authority" else None)
    for y, k in zip(ys, models.COMPONENTS):
        ax.plot(nao[k], y, "D", mfc="none", mec="black", ms=7, label="NAO (2019)" if k == "authority" else None)
    ax.set_yticks(ys, [models.LABELS[k] for k in models.COMPONENTS])
    ax.set_xlabel("Share of variance in CPP rates (%), with 95% bootstrap interval")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.18), ncol=3)
    f, _ = fits[WHOLE]
    top = max(models.COMPONENTS, key=lambda k: f.shares[k])
    title = (
        f"{span(f.frame['year'])}: {models.LABELS[top].lower()} explain the largest share, {100 * f.shares[top]:.0f}%"
    )
    alt = (
        "Dot chart of each share of variance with its 95% interval. "
        + "; ".join(
            f"{name}: " + ", ".join(f"{models.LABELS[k]} {100 * fit.shares[k]:.0f}%" for k in models.COMPONENTS)
            for name, (fit, _) in fits.items()
        )
        + "; NAO: "
        + ", ".join(f"{models.LABELS[k]} {nao[k]:.0f}%" for k in models.COMPONENTS)
    )
    return figures.finish(fig, title, alt, ctx.source)
