"""Beside published studies: the book's estimates on the definitions of four published results, each in
the study's own years and then carried to the latest year, with the published figure from
``data/reference/studies.csv``.

``results(ctx)`` computes every estimate (``cscbook.analyse.studies``) and the tables and figure;
``glue_all(ctx, res)`` glues them; ``write_json`` writes them beside the notebook as ``studies.json``.
On the official statistics the estimates use today's authorities over every year the data reach; on
synthetic England, its own years.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.analyse import studies as st
from cscbook.chapters import since
from cscbook.chapters.context import Context
from cscbook.present import figures

#: Each study's own years (years ending 31 March; calendar years of publication for inspections).
WEBB_YEARS = (2011, 2015)
BENNETT_YEARS = (2016, 2020)
OFSTED_YEARS = (2011, 2019)
CWIP_YEAR = 2015
#: Webb's spending definitions the data allow, and the one declared as nearest to the study's (its
#: exposure excludes safeguarding and children looked after; its model relates spending to the next year).
WEBB_DEFINITIONS = {
    "non_statutory": ("Spending other than safeguarding and children looked after", st.NON_STATUTORY),
    "preventative": ("Sure Start, family support and services for young people", st.PREVENTATIVE),
}
WEBB_NEAREST = ("non_statutory", True)
GRADIENT_MEASURES = {"cpp_31mar": "Child protection plans", "cla_31mar": "Looked-after children"}


@dataclass
class Results:
    panel: pd.DataFrame
    last: int
    webb: dict[tuple[str, bool, str], st.Estimate] = field(default_factory=dict)  # (definition, lagged, window)
    bennett: dict[str, dict[str, st.Estimate]] = field(default_factory=dict)  # window -> between, within
    ofsted: dict[str, dict[str, st.Estimate]] = field(default_factory=dict)  # window -> preventative, deprivation
    gradients: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict)  # year -> measure -> deciles
    fig_gradient: figures.Figure | str | None = None


def published() -> pd.DataFrame:
    """The published figures, by key."""
    return pd.read_csv(reference.reference_dir() / "studies.csv").set_index("key")


def data(ctx: Context) -> pd.DataFrame:
    """Today's authorities over every year on the official statistics (region filter kept); the chapter's
    own view on synthetic England."""
    later = since.later_context(ctx)
    return later.view if later is not None else ctx.view


def results(ctx: Context) -> Results:
    """Every estimate, in the study's years and since, and the gradient figure."""
    p = data(ctx)
    last = int(p["year"].max())
    res = Results(p, last)
    windows = {"study": WEBB_YEARS, "since": (WEBB_YEARS[1] + 1, last)}
    for key, (_, cats) in WEBB_DEFINITIONS.items():
        for lag in (False, True):
            for w, (a, b) in windows.items():
                res.webb[(key, lag, w)] = st.elasticity(p, "cin_31mar", cats, a, b, lag)
    has_entries = "cla_starts" in p and p["cla_starts"].notna().any()
    for w, (a, b) in {"study": BENNETT_YEARS, "since": (BENNETT_YEARS[0], last)}.items():
        res.bennett[w] = (
            st.care_entries_deprivation(p, a, b)
            if has_entries
            else {"between": st.Estimate.missing(), "within": st.Estimate.missing()}
        )
    for w, (a, b) in {"study": OFSTED_YEARS, "since": (OFSTED_YEARS[1] + 1, last)}.items():
        res.ofsted[w] = st.ofsted_odds(p, a, b)
    for y in sorted({CWIP_YEAR, last}):
        if y in set(p["year"]):
            res.gradients[y] = {m: st.gradient(p, y, m) for m in GRADIENT_MEASURES}
    res.fig_gradient = fig_gradient(ctx, res)
    return res


# --- words and tables -------------------------------------------------------------------------


def _num(x: float, fmt: str) -> str:
    return "—" if math.isnan(x) else fmt.format(x).replace("-", "−")


def _est(e: st.Estimate, fmt: str, scale: float = 1.0, shift: float = 0.0) -> str:
    """'+0.07 (−0.03 to +0.18)', or 'not in these data'."""
    if math.isnan(e.value):
        return "not in these data"
    v = [scale * (x + shift) for x in (e.value, e.low, e.high)]
    return f"{_num(v[0], fmt)} ({_num(v[1], fmt)} to {_num(v[2], fmt)})"


def _span(e: st.Estimate, calendar: bool = False) -> str:
    if math.isnan(e.value):
        return ""
    if calendar:
        return f"{e.first} to {e.last}"
    return f"{contract.year_label(e.first)} to {contract.year_label(e.last)}"


def _odds(e: st.Estimate) -> str:
    return _est(e, "{:+.0f}%", 100, -1)


def _pct(x: float) -> str:
    """A published percentage as printed, signed with a true minus."""
    return _num(x, "{:+g}%")


def _inside(e: st.Estimate, lo: float, hi: float) -> str:
    """Whether our 95% interval meets the published range (a point when ``lo == hi``)."""
    if math.isnan(e.value):
        return "—"
    return "yes" if e.low <= hi and lo <= e.high else "no"


def webb_table(res: Results) -> pd.DataFrame:
    """Every Webb-type elasticity: definition, timing and window, with its rows and authorities."""
    rows = []
    for (key, lag, _window), e in res.webb.items():
        rows.append(
            {
                "Spending": WEBB_DEFINITIONS[key][0],
                "Timing": "the previous year's spending" if lag else "the same year's spending",
                "Years": _span(e) or "—",
                "Elasticity (95% CI)": _est(e, "{:+.3f}"),
                "Rows": e.rows,
                "Authorities": e.authorities,
                "Nearest to the study's": "yes" if (key, lag) == WEBB_NEAREST else "",
            }
        )
    return pd.DataFrame(rows).set_index("Spending")


def comparison_table(res: Results) -> pd.DataFrame:
    """Each published figure beside ours on the nearest definition, in the study's years and since."""
    ref = published()
    near = {w: res.webb[(*WEBB_NEAREST, w)] for w in ("study", "since")}
    w_ref = ref.loc["webb2021_cin_elasticity"]
    b_ref, op, od = (
        ref.loc[k] for k in ("bennett2022_care_entries", "webb2022_ofsted_preventative", "webb2022_ofsted_deprivation")
    )
    rows = [
        {
            "Study": w_ref["study"],
            "Figure": w_ref["figure"],
            "Published": f"{_num(w_ref['high'], '{:+.2f}')} to {_num(w_ref['low'], '{:+.3f}')} ({w_ref['years']})",
            "Ours, the study's years": _est(near["study"], "{:+.3f}"),
            "Ours, since": _est(near["since"], "{:+.3f}"),
            "Published figure inside our interval": _inside(near["study"], w_ref["low"], w_ref["high"]),
        },
        {
            "Study": b_ref["study"],
            "Figure": b_ref["figure"] + " (ours: IDACI, within authorities)",
            "Published": f"{b_ref['value']:g} ({b_ref['low']:g} to {b_ref['high']:g}) ({b_ref['years']})",
            "Ours, the study's years": _est(res.bennett["study"]["within"], "{:.1f}"),
            "Ours, since": _est(res.bennett["since"]["within"], "{:.1f}"),
            "Published figure inside our interval": _inside(
                res.bennett["study"]["within"], b_ref["value"], b_ref["value"]
            ),
        },
    ]
    for r, part in ((op, "preventative"), (od, "deprivation")):
        e = res.ofsted["study"][part]
        rows.append(
            {
                "Study": r["study"],
                "Figure": r["figure"],
                "Published": f"{_pct(r['value'])} ({_pct(r['low'])} to {_pct(r['high'])}) ({r['years']})",
                "Ours, the study's years": _odds(e),
                "Ours, since": _odds(res.ofsted["since"][part]),
                "Published figure inside our interval": _inside(e, r["value"] / 100 + 1, r["value"] / 100 + 1),
            }
        )
    c = ref.loc["cwip_gradient"]
    rows.append(
        {
            "Study": c["study"],
            "Figure": "Most deprived tenth against least deprived: times as likely (ours: authorities, not neighbourhoods)",
            "Published": f"over {c['value']:g} times ({c['years']})",
            "Ours, the study's years": gradient_words(res, CWIP_YEAR),
            "Ours, since": gradient_words(res, res.last),
            "Published figure inside our interval": "—",
        }
    )
    since = f"Ours, carried to {contract.year_label(res.last)}"  # the years each row's since window ends
    return pd.DataFrame(rows).rename(columns={"Ours, since": since}).set_index("Study")


def gradient_words(res: Results, year: int) -> str:
    g = res.gradients.get(year)
    if not g:
        return "not in these data"
    return "; ".join(f"{GRADIENT_MEASURES[m].lower()} {st.gradient_ratio(t):.1f}" for m, t in g.items())


def gradient_table(res: Results) -> pd.DataFrame:
    """Rates per 10,000 by authority decile of IDACI, for each year and measure."""
    rows = []
    for y, g in res.gradients.items():
        for m, t in g.items():
            for r in t.itertuples(index=False):
                rows.append(
                    {
                        "Year": contract.year_label(y),
                        "Measure": GRADIENT_MEASURES[m],
                        "Decile (1 least deprived)": int(r.decile),
                        "Authorities": int(r.authorities),
                        "Rate per 10,000": float(r.rate),
                    }
                )
    return pd.DataFrame(rows).set_index(["Year", "Measure", "Decile (1 least deprived)"])


def _agrees(e: st.Estimate, lo: float, hi: float) -> str:
    if math.isnan(e.value):
        return "cannot be computed from these data"
    if e.low <= hi and lo <= e.high:
        return "the published figure lies inside our 95% interval" + (
            ", though ours does not exclude zero" if e.low <= 0 <= e.high else ""
        )
    return "the published figure lies outside our 95% interval"


def webb_sentence(res: Results) -> str:
    ref = published().loc["webb2021_cin_elasticity"]
    near = res.webb[(*WEBB_NEAREST, "study")]
    same = res.webb[(WEBB_NEAREST[0], False, "study")]
    later = res.webb[(*WEBB_NEAREST, "since")]
    if math.isnan(near.value):
        return "These data do not hold the children-in-need counts and spending for the study's years."
    return (
        f"On the definition nearest Webb's ({measures.lower_first(WEBB_DEFINITIONS[WEBB_NEAREST[0]][0])}, the "
        f"previous year's spending, with authority and year effects), the elasticity of the children-in-need rate "
        f"over {_span(near)} is {_est(near, '{:+.3f}')}, beside the published {_num(ref['high'], '{:+.2f}')} to "
        f"{_num(ref['low'], '{:+.3f}')}: {_agrees(near, ref['low'], ref['high'])}. With the same year's spending "
        f"it is {_est(same, '{:+.3f}')}. "
        + (
            f"From {_span(later)} the lagged elasticity is {_est(later, '{:+.3f}')}."
            if not math.isnan(later.value)
            else "These data stop before the years after the study's."
        )
    )


def deprivation_change_years(panel: pd.DataFrame) -> list[int]:
    """Years in which most authorities' IDACI score changes from the year before (a new edition of the
    Indices of Deprivation)."""
    p = panel.sort_values(["la_code", "year"])
    moved = p.groupby("la_code")["idaci_score"].diff().abs() > 1e-9
    share = moved.groupby(p["year"]).mean()
    return [int(y) for y, s in share.items() if s > 0.5]


def bennett_sentence(res: Results) -> str:
    ref = published().loc["bennett2022_care_entries"]
    b = res.bennett["study"]
    if math.isnan(b["between"].value):
        return "These data have no counts of children starting to be looked after, so the comparison cannot be made."
    changes = [y for y in deprivation_change_years(res.panel) if BENNETT_YEARS[0] < y <= res.last]
    within = (
        f"Within authorities, a rise of one percentage point in the IDACI score goes with "
        f"{_est(b['within'], '{:.1f}')} more children starting to be looked after per 100,000 over {_span(b['within'])}, "
        f"beside Bennett and colleagues' {ref['value']:g} ({ref['low']:g} to {ref['high']:g}) for a point of child "
        f"poverty: {_agrees(b['within'], ref['value'], ref['value'])}. The score changes only with a new edition of "
        f"the Indices of Deprivation (here from {measures.and_list([contract.year_label(y) for y in changes])}), so "
        "the within estimate rests on that one revision. "
        if not math.isnan(b["within"].value)
        else "No authority's IDACI score changes within the study's years here: the book takes one edition of the "
        "Indices of Deprivation in every year, since editions are separate measures and not a series, and the "
        "study's yearly child poverty figures are not in these data. So there is no within estimate. "
    )
    return (
        within + f"Between authorities the association is {_est(b['between'], '{:.1f}')} per point: larger, "
        "because a difference between authorities also carries everything else that differs between deprived and "
        "affluent places."
    )


def ofsted_sentence(res: Results) -> str:
    ref = published()
    op, od = ref.loc["webb2022_ofsted_preventative"], ref.loc["webb2022_ofsted_deprivation"]
    e, d, later = res.ofsted["study"]["preventative"], res.ofsted["study"]["deprivation"], res.ofsted["since"]
    if math.isnan(e.value):
        return "These data hold too few graded judgements in the study's years for the comparison."
    text = (
        f"Over {e.rows:,} graded judgements of {e.authorities} authorities published from {e.first} to {e.last}, "
        f"£100 more preventative spending per child in the inspection's year goes with a change of {_odds(e)} in the "
        f"odds of Good or Outstanding, beside the published {_pct(op['value'])} ({_pct(op['low'])} to "
        f"{_pct(op['high'])}): {_agrees(e, op['value'] / 100 + 1, op['value'] / 100 + 1)}. One decile more "
        f"deprivation goes with a change of {_odds(d)}, beside {_pct(od['value'])} ({_pct(od['low'])} to "
        f"{_pct(od['high'])}): "
        f"{_agrees(d, od['value'] / 100 + 1, od['value'] / 100 + 1)}."
    )
    lp = later["preventative"]
    if not math.isnan(lp.value):
        text += f" Over the {lp.rows:,} judgements published from {lp.first} to {lp.last}, the change in the odds for £100 more is {_odds(lp)}."
    return text


def gradient_sentence(res: Results) -> str:
    ref = published().loc["cwip_gradient"]
    g = res.gradients.get(CWIP_YEAR)
    if not g:
        return "These data do not reach 31 March 2015, the CWIP's census date."
    last = res.gradients.get(res.last, {})
    later = f" At 31 March {res.last} the ratios are {ratio_words(last)}." if last and res.last != CWIP_YEAR else ""
    return (
        f"Grouped by their own IDACI score, the most deprived tenth of authorities had {ratio_words(g)} the rates of "
        f"the least deprived tenth at 31 March {CWIP_YEAR}, far below the CWIP's over {ref['value']:g} times between "
        "neighbourhoods." + later
    )


def ratio_words(g: dict[str, pd.DataFrame]) -> str:
    parts = [f"{st.gradient_ratio(t):.1f} times ({GRADIENT_MEASURES[m].lower()})" for m, t in g.items()]
    return measures.and_list(parts)


# --- figure, JSON, glue -----------------------------------------------------------------------


def fig_gradient(ctx: Context, res: Results) -> figures.Figure | str:
    """Rates by authority decile of IDACI, one panel per measure, one line per year."""
    if not res.gradients:
        return "These data do not reach the years of the gradient."
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    colours = figures.colours(len(res.gradients))
    for ax, (m, label) in zip(axes, GRADIENT_MEASURES.items()):
        for c, (y, g) in zip(colours, res.gradients.items()):
            t = g[m]
            ax.plot(t["decile"], t["rate"], marker="o", color=c, label=f"31 March {y}")
        ax.set_title(label, fontsize=11)
        ax.set_xlabel("Authorities' decile of IDACI score (1 least deprived)")
        ax.set_xticks(range(1, 11))
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("Rate per 10,000 children aged 0-17")
    axes[0].legend(frameon=False)
    y0 = next(iter(res.gradients))
    title = (
        f"Between authorities the deprivation gradient is shallow: {ratio_words(res.gradients[y0])} at 31 March {y0}"
    )
    alt = "Line charts of rates per 10,000 by authorities' decile of IDACI score. " + " ".join(
        f"{GRADIENT_MEASURES[m]}, 31 March {y}: "
        + ", ".join(f"decile {int(r.decile)} {r.rate:.0f}" for r in g[m].itertuples())
        + "."
        for y, g in res.gradients.items()
        for m in GRADIENT_MEASURES
    )
    return figures.finish(fig, title, alt, ctx.source, data=gradient_table(res).reset_index())


def _json_est(e: st.Estimate) -> dict | None:
    if math.isnan(e.value):
        return None
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(e).items()}


def write_json(ctx: Context, res: Results, path: str = "studies.json") -> Path:
    """Every estimate beside the published figures, in ``path`` in the working directory."""
    ref = published().reset_index()
    out = {
        "chapter": "studies",
        "data": ctx.source,
        "published": json.loads(ref.to_json(orient="records")),
        "webb2021": [
            {"spending": k, "lagged": lag, "window": w, "elasticity": _json_est(e)}
            for (k, lag, w), e in res.webb.items()
        ],
        "bennett2022": {w: {k: _json_est(e) for k, e in d.items()} for w, d in res.bennett.items()},
        "webb2022": {w: {k: _json_est(e) for k, e in d.items()} for w, d in res.ofsted.items()},
        "cwip": {
            str(y): {
                m: {"ratio": round(st.gradient_ratio(t), 6), "rates": t["rate"].round(4).tolist()} for m, t in g.items()
            }
            for y, g in res.gradients.items()
        },
    }
    p = Path(path)
    p.write_text(json.dumps(out, indent=2) + "\n")
    return p


def glue_all(ctx: Context, res: Results) -> None:
    """Glue the sentences, the tables and the figure the page shows."""
    ctx.glue_md("webb_text", webb_sentence(res))
    ctx.glue_md("bennett_text", bennett_sentence(res))
    ctx.glue_md("ofsted_text", ofsted_sentence(res))
    ctx.glue_md("gradient_text", gradient_sentence(res))
    ctx.glue("studies_last", contract.year_label(res.last))
    ctx.glue_table("tbl-studies-comparison", ctx.table(comparison_table(res), "comparison"))
    ctx.glue_table("tbl-studies-webb", ctx.table(webb_table(res), "webb"))
    ctx.glue_figure("fig-studies-gradient", res.fig_gradient)
    ctx.glue_table("tbl-studies-gradient", ctx.table(gradient_table(res), "gradient").format(precision=1))
