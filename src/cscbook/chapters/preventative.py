"""The preventative shift: section 251 spending by category in nominal and real terms, the
preventative share under three definitions against the NAO's 41% and 25%, each authority's change,
and whether authorities that lost more children's centres saw child protection plans rise faster."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.ticker import MaxNLocator
from scipy import stats

from cscbook.analyse import measures, reference
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.publish import figures

# --- definitions ---------------------------------------------------------------------------

#: Readable names of the section 251 categories (contract order).
CATEGORY_LABELS = measures.SPEND_LABELS


@dataclass(frozen=True)
class ShareDefinition:
    """A preventative share: the numerator categories over the denominator categories."""

    key: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    description: str


_PREV_A = ("sure_start", "family_support", "young_people")
_ALL = tuple(measures.SOCIAL_CARE)  # every category except CERA

#: The three definitions of the preventative share; CERA is in no denominator.
DEFINITIONS: dict[str, ShareDefinition] = {
    "A": ShareDefinition(
        "A",
        _PREV_A,
        _ALL,
        "Sure Start, family support and services for young people, over all spending except CERA",
    ),
    "B": ShareDefinition(
        "B",
        (*_PREV_A, "other_cfs"),
        _ALL,
        "A plus other children and family services, over all spending except CERA",
    ),
    "C": ShareDefinition(
        "C",
        (*_PREV_A, "other_cfs"),
        tuple(c for c in _ALL if c != "youth_justice"),
        "B with youth justice dropped from the denominator (and CERA excluded)",
    ),
}

#: The NAO's years for its preventative share (years ending 31 March) and their reference keys.
NAO_SHARE_YEARS = {2011: "prev_share_2011", 2017: "prev_share_2017"}


def _cols(cats: tuple[str, ...] | list[str]) -> list[str]:
    return [f"spend_{c}" for c in cats]


def complete_spend(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose spending is known in every category that any definition uses."""
    return df[df[_cols(_ALL)].notna().all(axis=1)]


def share_parts(df: pd.DataFrame, d: ShareDefinition) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator (nominal £) of definition ``d`` for each row."""
    num = df[_cols(d.numerator)].astype("float64").sum(axis=1, min_count=len(d.numerator))
    den = df[_cols(d.denominator)].astype("float64").sum(axis=1, min_count=len(d.denominator))
    return num, den


def national_shares(panel: pd.DataFrame) -> pd.DataFrame:
    """Preventative share (%) by year under each definition: national sums over authorities with complete spend."""
    df = complete_spend(panel)
    out = {}
    for k, d in DEFINITIONS.items():
        num, den = share_parts(df, d)
        g = pd.DataFrame({"num": num, "den": den, "year": df["year"]}).groupby("year").sum()
        out[k] = g["num"] / g["den"] * 100
    return pd.DataFrame(out).rename_axis("year")


def authority_shares(panel: pd.DataFrame, key: str) -> pd.DataFrame:
    """Each authority's preventative share (%) under definition ``key``: one row per authority, one column per year."""
    num, den = share_parts(panel, DEFINITIONS[key])
    s = (num / den.where(den > 0) * 100).rename("share")
    return panel[["la_code", "year"]].assign(share=s).pivot(index="la_code", columns="year", values="share")


def reproducing(shares: pd.DataFrame) -> list[str]:
    """Definitions whose national share matches every NAO share figure within tolerance (years present only)."""
    years = [y for y in NAO_SHARE_YEARS if y in shares.index]
    if not years:
        return []
    ok = []
    for k in shares.columns:
        if all(
            reference.within("share", float(shares.loc[y, k]), reference.value(NAO_SHARE_YEARS[y]))[0] for y in years
        ):
            ok.append(k)
    return ok


def words(keys: list[str]) -> str:
    """['B'] -> 'definition B'; ['B', 'C'] -> 'definitions B and C'; [] -> 'none of the three definitions'."""
    if not keys:
        return "none of the three definitions"
    if len(keys) == 1:
        return f"definition {keys[0]}"
    return f"definitions {', '.join(keys[:-1])} and {keys[-1]}"


# --- spending by category ---------------------------------------------------------------------


def real_terms(panel: pd.DataFrame) -> pd.DataFrame:
    """The spend columns divided by each row's deflator (prices of the deflator's base year)."""
    out = panel.copy()
    defl = panel["deflator"].astype("float64")
    for c in _cols(list(CATEGORY_LABELS)):
        out[c] = panel[c].astype("float64") / defl
    return out


def spend_by_category(panel: pd.DataFrame, real: bool = False) -> pd.DataFrame:
    """National spending by category and year, £ million (nominal, or real with ``real``)."""
    df = real_terms(panel) if real else panel
    t = measures.national(df, _cols(list(CATEGORY_LABELS))) / 1e6
    t.columns = [CATEGORY_LABELS[c.removeprefix("spend_")] for c in t.columns]
    return t.rename_axis("Year ending 31 March")


def by_year_columns(t: pd.DataFrame) -> pd.DataFrame:
    """A year-by-category table turned to one row per category, one column per year, for display."""
    out = t.T.round(0)
    out.columns = [str(y) for y in out.columns]
    return out.rename_axis("Category")


def category_changes(nominal: pd.DataFrame, real: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Change in each category from ``first`` to ``last``, nominal and real (%)."""
    return pd.DataFrame(
        {
            "Nominal change (%)": (nominal.loc[last] / nominal.loc[first] - 1) * 100,
            "Real change (%)": (real.loc[last] / real.loc[first] - 1) * 100,
        }
    ).rename_axis("Category")


def fig_spend(ctx: Context, nominal: pd.DataFrame, real: pd.DataFrame) -> figures.Figure:
    """Spending by category over time, nominal and real, side by side with a shared axis."""
    cats = [CATEGORY_LABELS[c] for c in measures.SOCIAL_CARE]
    fig = plt.figure(figsize=(9, 6.2))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 0.2])
    axes = [fig.add_subplot(grid[0, 0])]
    axes.append(fig.add_subplot(grid[0, 1], sharey=axes[0]))
    key_ax = fig.add_subplot(grid[1, :])
    pal = figures.colours(len(cats))
    prev_b = [CATEGORY_LABELS[k] for k in DEFINITIONS["B"].numerator]
    for ax, t, name in zip(axes, [nominal, real], ["Nominal", "Real terms (nominal / deflator)"]):
        for colour, c in zip(pal, cats):
            ax.plot(t.index, t[c], "-" if c in prev_b else "--", color=colour, marker="o", ms=3, label=c)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("Year ending 31 March")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes[0].set_ylabel("Spending, £ million")
    axes[1].tick_params(labelleft=False)
    handles, labels = axes[0].get_legend_handles_labels()
    key_ax.axis("off")
    key_ax.legend(
        handles,
        labels,
        fontsize=9,
        frameon=False,
        loc="center",
        ncol=3,
        title="Solid lines: categories counted as preventative under definition B",
        title_fontsize=9,
    )
    ch = category_changes(nominal, real, ctx.first, ctx.last).loc[cats, "Real change (%)"]
    fell, rose = ch.idxmin(), ch.idxmax()
    title = (
        f"Real-terms spending, {measures.year_label(ctx.first)} to {measures.year_label(ctx.last)}: "
        f"{fell} {ch[fell]:+.0f}%, {rose} {ch[rose]:+.0f}%"
    )
    alt = (
        "Two line charts of section 251 spending by category, nominal and real terms, in £ million. "
        "Solid lines are categories in preventative definition B, dashed lines the others. Real change: "
        + "; ".join(f"{c} {v:+.0f}%" for c, v in ch.items())
    )
    return figures.finish(fig, title, alt, ctx.source)


# --- the share -------------------------------------------------------------------------------


def fig_shares(ctx: Context, shares: pd.DataFrame) -> figures.Figure:
    """The national preventative share under each definition, with the NAO's two figures."""
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    pal = figures.colours(len(DEFINITIONS))
    for colour, k in zip(pal, DEFINITIONS):
        lw = 2.6 if k == ctx.p.definition else 1.3
        ax.plot(shares.index, shares[k], color=colour, marker="o", ms=3, lw=lw, label=f"Definition {k}")
    nao = {y: reference.value(key) for y, key in NAO_SHARE_YEARS.items()}
    ax.scatter(list(nao), list(nao.values()), marker="D", s=60, color="black", zorder=5, label="NAO (England)")
    if ctx.highlight:
        hi = authority_shares(ctx.panel[ctx.panel["la_code"] == ctx.highlight], ctx.p.definition).iloc[0]
        ax.plot(
            hi.index,
            hi.values,
            ":",
            color=figures.HIGHLIGHT,
            lw=2.5,
            label=f"{ctx.highlight_name} ({ctx.p.definition})",
        )
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel("Preventative share of spending excluding CERA (%)")
    ax.legend(fontsize=9, frameon=False)
    k = ctx.p.definition
    repro = reproducing(shares) if not ctx.p.region else []
    verb = "reproduce" if len(repro) > 1 else "reproduces"
    lead = f"{words(repro)} {verb} the NAO's figures; " if not ctx.p.region else ""
    title = (
        f"{lead}under definition {k} the preventative share went from {shares[k].iloc[0]:.0f}% "
        f"to {shares[k].iloc[-1]:.0f}%"
    )
    title = title[0].upper() + title[1:]
    alt = (
        "Line chart of the preventative share of spending by year under definitions A, B and C, with the NAO's "
        f"{nao[2011]:.0f}% (2010-11) and {nao[2017]:.0f}% (2016-17) as diamonds. "
        + "; ".join(f"definition {c}: {shares[c].iloc[0]:.1f}% to {shares[c].iloc[-1]:.1f}%" for c in shares.columns)
    )
    return figures.finish(fig, title, alt, ctx.source)


def share_table(shares: pd.DataFrame) -> pd.DataFrame:
    t = shares.rename(columns={k: f"Definition {k} (%)" for k in shares.columns})
    return t.rename_axis("Year ending 31 March")


def _denominator_words(d: ShareDefinition) -> str:
    left_out = [CATEGORY_LABELS[c] for c in measures.SOCIAL_CARE if c not in d.denominator]
    base = f"All {len(measures.SOCIAL_CARE)} categories except CERA"
    return base + (" and " + ", ".join(left_out).lower() if left_out else "")


def definitions_table() -> pd.DataFrame:
    """The three definitions in words, for the chapter's reader."""
    rows = []
    for k, d in DEFINITIONS.items():
        rows.append(
            {
                "Definition": k,
                "Preventative (numerator)": ", ".join(CATEGORY_LABELS[c] for c in d.numerator),
                "Denominator": _denominator_words(d),
            }
        )
    return pd.DataFrame(rows).set_index("Definition")


# --- authorities -------------------------------------------------------------------------------


def authority_table(ctx: Context, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per authority: preventative share (chosen definition) in the first and last year and its change,
    children's centres and CPP rates in both years."""
    p = ctx.view if panel is None else panel
    a, b = ctx.first, ctx.last
    sh = authority_shares(p, ctx.p.definition)
    ids = p.drop_duplicates("la_code").set_index("la_code")[["la_name", "region"]]
    wide = p.set_index(["la_code", "year"])
    cen = wide["childrens_centres"].astype("float64").unstack("year")
    cpp = measures.rate(wide, "cpp_31mar").unstack("year")
    out = ids.assign(
        share_first=sh.get(a),
        share_last=sh.get(b),
        centres_first=cen.get(a),
        centres_last=cen.get(b),
        cpp_rate_first=cpp.get(a),
        cpp_rate_last=cpp.get(b),
    )
    out["share_change_pp"] = out["share_last"] - out["share_first"]
    out["centres_change_pct"] = (out["centres_last"] / out["centres_first"].where(out["centres_first"] > 0) - 1) * 100
    out["cpp_rate_change"] = out["cpp_rate_last"] - out["cpp_rate_first"]
    return out.sort_values("share_change_pp")


AUTHORITY_LABELS = {
    "la_name": "Authority",
    "region": "Region",
    "share_first": "Share, first year (%)",
    "share_last": "Share, last year (%)",
    "share_change_pp": "Change (pp)",
    "centres_first": "Centres, first year",
    "centres_last": "Centres, last year",
    "centres_change_pct": "Change in centres (%)",
    "cpp_rate_first": "CPP rate, first year (per 10,000)",
    "cpp_rate_last": "CPP rate, last year (per 10,000)",
    "cpp_rate_change": "Change in CPP rate (per 10,000)",
}


def authority_download(auth: pd.DataFrame) -> pd.DataFrame:
    """The authority table with readable column names, for the CSV."""
    return auth[list(AUTHORITY_LABELS)].rename(columns=AUTHORITY_LABELS).rename_axis("LA code")


def authority_ends(auth: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` largest falls and ``n`` largest rises in the share, with readable names."""
    known = auth.dropna(subset=["share_change_pp"])
    ends = pd.concat([known.head(n), known.tail(n)]) if len(known) > 2 * n else known
    cols = ["la_name", "region", "share_first", "share_last", "share_change_pp"]
    return ends[cols].rename(columns=AUTHORITY_LABELS).set_index("Authority")


def highlight_row(ctx: Context) -> pd.Series | None:
    """The highlighted authority's row of the authority table (computed on all regions)."""
    if not ctx.highlight:
        return None
    return authority_table(ctx, ctx.panel[ctx.panel["la_code"] == ctx.highlight]).iloc[0]


def fig_change(ctx: Context, auth: pd.DataFrame) -> figures.Figure:
    """Histogram of the change in each authority's preventative share, with the highlighted authority marked."""
    ch = auth["share_change_pp"].dropna()
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    ax.hist(ch, bins=min(30, max(8, len(ch) // 5)), color=figures.colours(1)[0], edgecolor="white")
    ax.axvline(0, color=figures.MUTED, lw=1)
    ax.axvline(ch.median(), color="black", ls="--", lw=1.2, label=f"median {ch.median():+.1f} pp")
    hi = highlight_row(ctx)
    hi_txt = ""
    if hi is not None and pd.notna(hi["share_change_pp"]):
        ax.axvline(
            hi["share_change_pp"],
            color=figures.HIGHLIGHT,
            lw=2.5,
            ls=":",
            label=f"{ctx.highlight_name} {hi['share_change_pp']:+.1f} pp",
        )
        hi_txt = f" {ctx.highlight_name} is marked at {hi['share_change_pp']:+.1f} percentage points."
    ax.set_xlabel(
        f"Change in preventative share (definition {ctx.p.definition}), "
        f"{measures.year_label(ctx.first)} to {measures.year_label(ctx.last)} (percentage points)"
    )
    ax.set_ylabel("Number of authorities")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=9, frameon=False)
    fell = int((ch < 0).sum())
    title = f"The preventative share fell in {fell} of {len(ch)} authorities (median {ch.median():+.1f} points)"
    alt = (
        f"Histogram of the change in the preventative share across {len(ch)} authorities: minimum {ch.min():+.1f}, "
        f"median {ch.median():+.1f}, maximum {ch.max():+.1f} percentage points; {fell} fell.{hi_txt}"
    )
    return figures.finish(fig, title, alt, ctx.source)


# --- children's centres and child protection plans ----------------------------------------------


@dataclass
class CentresResult:
    """The children's centres test: top against bottom third of reductions, and a regression slope."""

    available: bool
    reason: str = ""
    n: int = 0
    n_top: int = 0
    n_bottom: int = 0
    top_cut: float = float("nan")  # smallest reduction (%) in the top third
    bottom_cut: float = float("nan")  # largest reduction (%) in the bottom third
    mean_top: float = float("nan")
    mean_bottom: float = float("nan")
    diff: float = float("nan")
    diff_lo: float = float("nan")
    diff_hi: float = float("nan")
    p_diff: float = float("nan")
    slope: float = float("nan")  # change in CPP rate per 10 percentage points of centres lost
    slope_lo: float = float("nan")
    slope_hi: float = float("nan")
    centres_first: float = float("nan")
    centres_last: float = float("nan")

    @property
    def consistent(self) -> bool:
        """Consistent with no effect: both 95% intervals include zero."""
        return bool(self.diff_lo <= 0 <= self.diff_hi and self.slope_lo <= 0 <= self.slope_hi)


def centres_test(auth: pd.DataFrame, centres_nat: pd.Series | None = None) -> CentresResult:
    """Difference in the change in CPP rate between the third of authorities with the largest
    percentage fall in children's centres and the third with the smallest (Welch's t, 95% CI),
    and the OLS slope of the change on the reduction (HC1 robust standard errors, 95% CI)."""
    if auth["centres_first"].notna().sum() == 0 or auth["centres_last"].notna().sum() == 0:
        return CentresResult(False, "the data have no counts of children's centres")
    d = auth[["centres_change_pct", "cpp_rate_change"]].dropna()
    if len(d) < 9:
        return CentresResult(False, f"only {len(d)} authorities have both centre counts and CPP rates")
    reduction = -d["centres_change_pct"]
    third = pd.qcut(reduction.rank(method="first"), 3, labels=["bottom", "middle", "top"])
    top = d.loc[third == "top", "cpp_rate_change"]
    bottom = d.loc[third == "bottom", "cpp_rate_change"]
    t = stats.ttest_ind(top, bottom, equal_var=False)
    ci = t.confidence_interval(0.95)
    X = sm.add_constant(reduction / 10)
    fit = sm.OLS(d["cpp_rate_change"], X).fit(cov_type="HC1")
    lo, hi = fit.conf_int(0.05).iloc[1]
    r = CentresResult(
        True,
        n=len(d),
        n_top=len(top),
        n_bottom=len(bottom),
        top_cut=float(reduction[third == "top"].min()),
        bottom_cut=float(reduction[third == "bottom"].max()),
        mean_top=float(top.mean()),
        mean_bottom=float(bottom.mean()),
        diff=float(top.mean() - bottom.mean()),
        diff_lo=float(ci.low),
        diff_hi=float(ci.high),
        p_diff=float(t.pvalue),
        slope=float(fit.params.iloc[1]),
        slope_lo=float(lo),
        slope_hi=float(hi),
    )
    if centres_nat is not None:
        r.centres_first, r.centres_last = float(centres_nat.iloc[0]), float(centres_nat.iloc[-1])
    return r


def national_centres(panel: pd.DataFrame) -> pd.Series | None:
    """Children's centres open at 31 March, summed over authorities, by year (None when never recorded)."""
    c = panel.groupby("year")["childrens_centres"].sum(min_count=1).astype("float64")
    return None if c.isna().all() else c


def centres_sentence(r: CentresResult, ctx: Context) -> str:
    """The finding in one or two sentences, for the prose."""
    if not r.available:
        return (
            f"This test cannot be run on these data: {r.reason} (the `childrens_centres` column is missing "
            "for every authority and year), so the NAO's statement cannot be checked here."
        )
    verdict = (
        "Both intervals include zero, which is consistent with the NAO's finding of no consequential increase."
        if r.consistent
        else "At least one interval excludes zero, which does not fit the NAO's finding of no consequential increase."
    )
    return (
        f"Authorities in the top third of reductions (at least {r.top_cut:.0f}% of their centres lost, "
        f"{r.n_top} authorities) saw their CPP rate change by {r.mean_top:+.1f} per 10,000, against "
        f"{r.mean_bottom:+.1f} in the bottom third ({r.bottom_cut:.0f}% or less, {r.n_bottom} authorities): "
        f"a difference of {r.diff:+.1f} per 10,000 (95% CI {r.diff_lo:+.1f} to {r.diff_hi:+.1f}). Across all "
        f"{r.n} authorities, each further 10 percentage points of centres lost goes with a change of "
        f"{r.slope:+.2f} per 10,000 (95% CI {r.slope_lo:+.2f} to {r.slope_hi:+.2f}). {verdict}"
    )


def centres_table(r: CentresResult) -> pd.DataFrame:
    """The two estimates with their intervals (one row saying why, when the test cannot run)."""
    if not r.available:
        return pd.DataFrame([{"Estimate": "Children's centres test", "Result": f"not run: {r.reason}"}]).set_index(
            "Estimate"
        )
    return pd.DataFrame(
        [
            {
                "Estimate": "Top minus bottom third",
                "Value": r.diff,
                "95% CI low": r.diff_lo,
                "95% CI high": r.diff_hi,
                "Authorities": r.n_top + r.n_bottom,
                "Interval includes 0": "yes" if r.diff_lo <= 0 <= r.diff_hi else "no",
            },
            {
                "Estimate": "Slope per 10 pp of centres lost",
                "Value": r.slope,
                "95% CI low": r.slope_lo,
                "95% CI high": r.slope_hi,
                "Authorities": r.n,
                "Interval includes 0": "yes" if r.slope_lo <= 0 <= r.slope_hi else "no",
            },
        ]
    ).set_index("Estimate")


def fig_centres(ctx: Context, auth: pd.DataFrame, r: CentresResult) -> figures.Figure:
    """Change in CPP rate against the percentage of centres lost, thirds coloured, with the fitted slope."""
    d = auth[["centres_change_pct", "cpp_rate_change"]].dropna()
    red = -d["centres_change_pct"]
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    c3 = figures.colours(3)
    groups = [
        ("bottom", red <= r.bottom_cut, c3[0]),
        ("middle", (red > r.bottom_cut) & (red < r.top_cut), figures.MUTED),
        ("top", red >= r.top_cut, c3[2]),
    ]
    for name, m, colour in groups:
        ax.scatter(
            red[m], d.loc[m, "cpp_rate_change"], s=18, color=colour, alpha=0.8, label=f"{name} third of reductions"
        )
    xs = np.linspace(red.min(), red.max(), 50)
    intercept = d["cpp_rate_change"].mean() - r.slope / 10 * red.mean()
    ax.plot(xs, intercept + r.slope / 10 * xs, color="black", lw=1.2, label=f"OLS slope {r.slope:+.2f} per 10 pp")
    ax.axhline(0, color=figures.MUTED, lw=0.8)
    hi = highlight_row(ctx)
    if hi is not None and pd.notna(hi["centres_change_pct"]) and pd.notna(hi["cpp_rate_change"]):
        ax.scatter(
            [-hi["centres_change_pct"]],
            [hi["cpp_rate_change"]],
            s=220,
            marker="*",
            color=figures.HIGHLIGHT,
            edgecolor="black",
            zorder=5,
            label=ctx.highlight_name,
        )
    span = f"{measures.year_label(ctx.first)} to {measures.year_label(ctx.last)}"
    ax.set_xlabel(f"Children's centres lost, {span} (% of first-year count)")
    ax.set_ylabel("Change in CPP rate (per 10,000 aged 0-17)")
    ax.legend(fontsize=9, frameon=False)
    lead = "No clear link" if r.consistent else "A link"
    title = (
        f"{lead}: the third losing most centres differ by {r.diff:+.1f} per 10,000 in CPP change "
        f"(95% CI {r.diff_lo:+.1f} to {r.diff_hi:+.1f})"
    )
    alt = (
        f"Scatter of {r.n} authorities: percentage of children's centres lost against the change in the child "
        f"protection plan rate per 10,000. Top third mean change {r.mean_top:+.1f}, bottom third {r.mean_bottom:+.1f}; "
        f"fitted slope {r.slope:+.2f} per 10 percentage points (95% CI {r.slope_lo:+.2f} to {r.slope_hi:+.2f})."
    )
    return figures.finish(fig, title, alt, ctx.source)


# --- the comparison with the NAO -----------------------------------------------------------------


def scope(ctx: Context) -> str:
    """What the chapter's figures cover, in words."""
    n = ctx.view["la_code"].nunique()
    return f"the {ctx.p.region} region ({n} authorities)" if ctx.p.region else f"England ({n} authorities)"


def nao_rows(ctx: Context, shares: pd.DataFrame, r: CentresResult) -> list[dict]:
    """Our shares (chosen definition) and change in centres beside the NAO's figures."""
    k = ctx.p.definition
    rows = []
    for year, key in NAO_SHARE_YEARS.items():
        if ctx.p.region:
            rows.append(
                {"key": key, "ours": None, "reason": "the NAO's figure is for England; this run covers one region"}
            )
        elif year not in shares.index or pd.isna(shares.loc[year, k]):
            rows.append(
                {
                    "key": key,
                    "ours": None,
                    "reason": f"{measures.year_label(year)} is outside the chapter's years or has no spending data",
                }
            )
        else:
            ours = float(shares.loc[year, k])
            note = f"definition {k}"
            if not ctx.synthetic and not nao_notes.within(key, ours):
                note = nao_notes.join([note, share_note(ctx, shares, year, key)])
            rows.append({"key": key, "ours": ours, "reason": note})
    if ctx.p.region:
        rows.append(
            {
                "key": "centres_change",
                "ours": None,
                "reason": "the NAO's figure is for England; this run covers one region",
            }
        )
    elif not r.available:
        rows.append({"key": "centres_change", "ours": None, "reason": nao_notes.join([r.reason, centres_note(ctx)])})
    else:
        effect = "include 0 (no consequential increase)" if r.consistent else "exclude 0"
        rows.append(
            {
                "key": "centres_change",
                "ours": r.centres_last - r.centres_first,
                "reason": f"{measures.year_label(ctx.first)} to {measures.year_label(ctx.last)}; "
                f"CIs of the effect on CPP rates {effect}",
            }
        )
    return rows


def share_note(ctx: Context, shares: pd.DataFrame, year: int, key: str) -> str:
    """Why the chosen definition misses the NAO's share in ``year``: which definitions and which
    years of the chosen definition would match, and how many authorities the sums cover."""
    k = ctx.p.definition
    n = complete_spend(ctx.view[ctx.view["year"] == year])["la_code"].nunique()
    parts = [f"{shares.loc[year, k]:.1f}% over the {n} authorities with spending in every category"]
    others = [
        f"{d} ({shares.loc[year, d]:.1f}%)"
        for d in shares.columns
        if d != k and nao_notes.within(key, shares.loc[year, d])
    ]
    label = measures.year_label(year)
    if others:
        parts.append(f"in {label} the NAO's figure is matched by definition {', '.join(others)}")
    else:
        parts.append(f"no definition matches it in {label}")
    repro = reproducing(shares)
    if others and not repro:
        parts.append("but no single definition matches both of the NAO's years")
    hits = nao_notes.years_matching(shares[k].drop(year), key, "{:.1f}%")
    if hits:
        parts.append(f"definition {k} gives it in {', '.join(hits)}")
    parts.append(f"the NAO's bucket or year appears to differ from definition {k} in {label} (not verified)")
    return nao_notes.join(parts)


def centres_note(ctx: Context) -> str:
    """The rule under which the children's centres column is empty, from the data's flags."""
    f = ctx.prepared.flags
    if f is None or not len(f):
        return ""
    hit = f[(f["column"] == "childrens_centres") & (f["flag"] == "missing")]
    rules = sorted(set(hit["rule"].astype(str)))
    return nao_notes.join(
        [f"rule {r}: {nao_notes.rule_text(ctx.prepared.meta, r).rstrip('.')}".rstrip(": ") for r in rules]
    )


# --- everything the prose quotes --------------------------------------------------------------


@dataclass
class Results:
    nominal: pd.DataFrame
    real: pd.DataFrame
    changes: pd.DataFrame
    shares: pd.DataFrame
    auth: pd.DataFrame
    centres: CentresResult


def results(ctx: Context) -> Results:
    nominal = spend_by_category(ctx.view)
    real = spend_by_category(ctx.view, real=True)
    shares = national_shares(ctx.view)
    auth = authority_table(ctx)
    return Results(
        nominal=nominal,
        real=real,
        changes=category_changes(nominal, real, ctx.first, ctx.last),
        shares=shares,
        auth=auth,
        centres=centres_test(auth, national_centres(ctx.view)),
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes."""
    k = ctx.p.definition
    a, b = ctx.first, ctx.last
    ctx.glue("first", measures.year_label(a))
    ctx.glue("last", measures.year_label(b))
    ctx.glue("scope", scope(ctx))
    ctx.glue("deflator", ctx.prepared.meta.get("deflator", "not stated in the data's meta.json"))
    ctx.glue("definition", k)
    ctx.glue("definition_text", DEFINITIONS[k].description)
    tot = [CATEGORY_LABELS[c] for c in measures.SOCIAL_CARE]
    nom_total, real_total = res.nominal[tot].sum(axis=1), res.real[tot].sum(axis=1)
    ctx.glue("total_first", nom_total[a] / 1e3, "£{:,.2f}bn")
    ctx.glue("total_last", nom_total[b] / 1e3, "£{:,.2f}bn")
    ctx.glue("total_nominal_change", (nom_total[b] / nom_total[a] - 1) * 100, "{:+.1f}%")
    ctx.glue("total_real_change", (real_total[b] / real_total[a] - 1) * 100, "{:+.1f}%")
    real_ch = res.changes.loc[tot, "Real change (%)"]
    ctx.glue("fell_most", real_ch.idxmin())
    ctx.glue("fell_most_pct", real_ch.min(), "{:+.1f}%")
    ctx.glue("rose_most", real_ch.idxmax())
    ctx.glue("rose_most_pct", real_ch.max(), "{:+.1f}%")
    for d in DEFINITIONS:
        ctx.glue(f"share_{d}_first", res.shares.loc[a, d], "{:.1f}%")
        ctx.glue(f"share_{d}_last", res.shares.loc[b, d], "{:.1f}%")
    ctx.glue("share_first", res.shares.loc[a, k], "{:.1f}%")
    ctx.glue("share_last", res.shares.loc[b, k], "{:.1f}%")
    ctx.glue("nao_first", reference.value("prev_share_2011"), "{:.0f}%")
    ctx.glue("nao_last", reference.value("prev_share_2017"), "{:.0f}%")
    ctx.glue_md("reproduces", reproduction_sentence(ctx, res.shares))
    ch = res.auth["share_change_pp"].dropna()
    ctx.glue("n_auth", len(ch))
    ctx.glue("n_fell", int((ch < 0).sum()))
    ctx.glue("median_change", ch.median(), "{:+.1f}")
    ctx.glue("min_change", ch.min(), "{:+.1f}")
    ctx.glue("max_change", ch.max(), "{:+.1f}")
    ctx.glue_md("highlight_sentence", highlight_sentence(ctx, ch))
    ctx.glue_md("centres_sentence", centres_sentence(res.centres, ctx))


def reproduction_sentence(ctx: Context, shares: pd.DataFrame) -> str:
    """Which definitions reproduce the NAO's 2010-11 and 2016-17 shares within tolerance."""
    if ctx.p.region:
        return f"Not assessed here: the NAO's figures are for England and this run covers {scope(ctx)}."
    missing = [measures.year_label(y) for y in NAO_SHARE_YEARS if y not in shares.index]
    if missing:
        return f"Not assessed: the chapter's years do not include {' and '.join(missing)}."
    tol = reference.within("share", 0.0, 0.0)[1]
    repro = reproducing(shares)
    verb = "reproduces" if len(repro) == 1 else "reproduce"
    if not repro:
        verb = "reproduces"
    return f"On these data, {words(repro)} {verb} both of the NAO's figures within {tol}."


def highlight_sentence(ctx: Context, ch: pd.Series) -> str:
    """The highlighted authority's change in the share, as Markdown (its name links to its profile)."""
    hi = highlight_row(ctx)
    if hi is None:
        return "Set the `highlight` parameter to mark one authority on these charts."
    if pd.isna(hi["share_change_pp"]):
        return f"{ctx.highlight_md} has no complete spending data for both years."
    below = float((ch < hi["share_change_pp"]).mean() * 100)
    where = (
        "" if hi["region"] == ctx.p.region or not ctx.p.region else f" (in {hi['region']}, outside the region shown)"
    )
    return (
        f"{ctx.highlight_md}{where} went from {hi['share_first']:.1f}% to {hi['share_last']:.1f}%, "
        f"a change of {hi['share_change_pp']:+.1f} points; the change was lower in {below:.0f}% of the authorities shown."
    )
