"""The preventative shift: spending by category, the three definitions of the preventative share,
each authority's change, and the sentences."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters.context import Context

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
        if all(reference.within(NAO_SHARE_YEARS[y], float(shares.loc[y, k]))[0] for y in years):
            ok.append(k)
    return ok


def words(keys: list[str]) -> str:
    """['B'] -> 'definition B'; ['B', 'C'] -> 'definitions B and C'; [] -> 'none of the three definitions'."""
    if not keys:
        return "none of the three definitions"
    if len(keys) == 1:
        return f"definition {keys[0]}"
    return f"definitions {', '.join(keys[:-1])} and {keys[-1]}"


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
    out.columns = [contract.year_label(int(y)) for y in out.columns]
    return out.rename_axis("Category")


def category_changes(
    nominal: pd.DataFrame, real: pd.DataFrame, first: int, last: int, breaks: dict | None = None
) -> pd.DataFrame:
    """Change in each category from ``first`` to ``last``, nominal and real (%); a category with a declared
    break in between (``measures.breaks_within``) has no change, and the note says from when it is comparable."""
    out = pd.DataFrame(
        {
            "Nominal change (%)": (nominal.loc[last] / nominal.loc[first] - 1) * 100,
            "Real change (%)": (real.loc[last] / real.loc[first] - 1) * 100,
            "Note": "",
        }
    ).rename_axis("Category")
    for col, b in (breaks or {}).items():
        label = CATEGORY_LABELS.get(col.removeprefix("spend_"))
        if label in out.index:
            out.loc[label, ["Nominal change (%)", "Real change (%)"]] = float("nan")
            out.loc[label, "Note"] = f"reclassified in {contract.year_label(int(b['year']))}: no change across it"
    return out


def break_sentence(nominal: pd.DataFrame, breaks: dict) -> str:
    """What a declared break in the chapter's years means for the figures, in words, with the national figures
    on either side of it ('' when there is none)."""
    out = []
    for col, b in breaks.items():
        label = CATEGORY_LABELS.get(col.removeprefix("spend_"), col)
        y = int(b["year"])
        side = ""
        if {y - 1, y} <= set(nominal.index) and label in nominal:
            side = (
                f" (nationally £{nominal.loc[y - 1, label]:,.0f} million in {contract.year_label(y - 1)}, "
                f"£{nominal.loc[y, label]:,.0f} million in {contract.year_label(y)})"
            )
        out.append(
            f"{label} is not compared across {contract.year_label(y)}{side}: {b['what']}. The chart leaves a gap "
            "there and the table gives no change for it."
        )
    return " ".join(out)


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


def scope(ctx: Context) -> str:
    """What the chapter's figures cover, in words."""
    n = ctx.view["la_code"].nunique()
    return f"the {ctx.p.region} region ({n} authorities)" if ctx.p.region else f"England ({n} authorities)"


def reproduction_sentence(ctx: Context, shares: pd.DataFrame) -> str:
    """Which definitions reproduce the NAO's 2010-11 and 2016-17 shares within tolerance."""
    if ctx.p.region:
        return f"Not assessed here: the NAO's figures are for England and this run covers {scope(ctx)}."
    missing = [contract.year_label(y) for y in NAO_SHARE_YEARS if y not in shares.index]
    if missing:
        return f"Not assessed: the chapter's years do not include {' and '.join(missing)}."
    tol = reference.within(NAO_SHARE_YEARS[min(NAO_SHARE_YEARS)], 0.0)[1]
    repro = reproducing(shares)
    verb = "reproduces" if len(repro) == 1 else "reproduce"
    if not repro:
        verb = "reproduces"
    return f"On these data, {words(repro)} {verb} both of the NAO's figures within {tol}."


def highlight_sentence(ctx: Context, ch: pd.Series) -> str:
    """The highlighted authority's change in the share, as Markdown (its name links to its profile)."""
    hi = highlight_row(ctx)
    if hi is None:
        return ctx.unmarked
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
