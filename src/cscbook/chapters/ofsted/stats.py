"""Spending against Ofsted: the judgement frame, the association tests, the range among authorities
rated Good, the later change in demand, the comparison with the NAO and the sentences."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.analyse.stats import LEVEL, kruskal, spearman_ci
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.contract import OFSTED_SCALE

#: Judgement -> score, 0 (Inadequate) to 3 (Outstanding).
SCORE = contract.OFSTED_SCORE


#: The two groups of the binary scale, worse first.
BINARY = ["Requires improvement or worse", "Good or better"]


#: Rates whose later change is set against the judgement.
CHANGE_OF = {"cpp_31mar": "child protection plan rate", "cla_31mar": "looked-after rate"}


def labels(ctx: Context) -> list[str]:
    """The judgement groups on the chapter's scale, worst first."""
    return BINARY if ctx.p.judgement_scale == "binary" else list(OFSTED_SCALE)


def group_of(judgement: pd.Series, scale: str) -> pd.Series:
    """Judgements mapped onto the chosen scale (binary: Good or better against the rest)."""
    if scale == "binary":
        return judgement.map(lambda j: BINARY[int(SCORE[j] >= SCORE["Good"])] if j in SCORE else None)
    return judgement.where(judgement.isin(OFSTED_SCALE))


def judgement_frame(ctx: Context, year: int | None = None) -> pd.DataFrame:
    """Authorities in the view with their judgement as at 31 March of ``year`` and that year's spending."""
    year = ctx.last if year is None else year
    d = ctx.view[ctx.view["year"] == year]
    out = d[["la_code", "la_name", "region", "ofsted_overall", "ofsted_framework", "ofsted_date"]].copy()
    out["idaci_score"] = d["idaci_score"].astype("float64")
    out["spend_pc"] = measures.spend_per_child(d)
    out = out[out["ofsted_overall"].isin(OFSTED_SCALE) & out["spend_pc"].notna() & (out["spend_pc"] > 0)].copy()
    out["score"] = out["ofsted_overall"].map(SCORE).astype("int64")
    out["group"] = group_of(out["ofsted_overall"], ctx.p.judgement_scale)
    out["log_spend"] = np.log(out["spend_pc"])
    return out.reset_index(drop=True)


def group_table(ctx: Context, jf: pd.DataFrame) -> pd.DataFrame:
    """Authorities and spending per child (minimum, median, maximum) by judgement group."""
    g = jf.groupby("group")["spend_pc"]
    t = pd.DataFrame(
        {"Authorities": g.size(), "Minimum (£)": g.min(), "Median (£)": g.median(), "Maximum (£)": g.max()}
    )
    t = t.reindex([x for x in labels(ctx) if x in t.index])
    t.index.name = "Judgement"
    return t


def judgement_model(jf: pd.DataFrame, scale: str, level: float = LEVEL) -> dict:
    """Judgement on log spending per child and the IDACI score.

    Four-point scale: ordered logit (statsmodels OrderedModel) over the judgements present.
    Binary scale: logit of Good or better. Returns the log spending coefficient (log odds of a
    better judgement per unit of log £), its interval and p-value, and the odds ratio for doubling spending.
    """
    d = jf.dropna(subset=["log_spend", "idaci_score"])
    nan = {"coef": float("nan"), "lo": float("nan"), "hi": float("nan"), "p": float("nan"), "n": len(d)}
    X = d[["log_spend", "idaci_score"]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if scale == "binary":
                import statsmodels.api as sm

                y = (d["score"] >= SCORE["Good"]).astype(int)
                if y.nunique() < 2:
                    return {**nan, "model": "logit", "note": "only one group present"}
                res = sm.Logit(y, sm.add_constant(X)).fit(disp=False)
                name = "logit"
            else:
                from statsmodels.miscmodels.ordinal_model import OrderedModel

                present = [j for j in OFSTED_SCALE if j in set(d["ofsted_overall"])]
                if len(present) < 2:
                    return {**nan, "model": "ordered logit", "note": "only one judgement present"}
                y = pd.Series(pd.Categorical(d["ofsted_overall"], categories=present, ordered=True), index=d.index)
                res = OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
                name = "ordered logit"
    except Exception as exc:  # small or separated samples: report no estimate rather than fail
        return {**nan, "model": "logit" if scale == "binary" else "ordered logit", "note": f"did not fit: {exc}"}
    ci = res.conf_int(alpha=1 - level)
    coef, lo, hi = (
        float(res.params["log_spend"]),
        float(ci.loc["log_spend"].iloc[0]),
        float(ci.loc["log_spend"].iloc[1]),
    )
    if not np.isfinite([coef, lo, hi]).all():
        return {**nan, "model": name, "note": "no finite estimate"}
    ln2 = np.log(2)
    return {
        "coef": coef,
        "lo": lo,
        "hi": hi,
        "p": float(res.pvalues["log_spend"]),
        "n": len(d),
        "model": name,
        "note": "",
        "or2": float(np.exp(coef * ln2)),
        "or2_lo": float(np.exp(lo * ln2)),
        "or2_hi": float(np.exp(hi * ln2)),
        "idaci": float(res.params["idaci_score"]),
    }


def good_range(jf: pd.DataFrame) -> dict:
    """Lowest and highest spending per child among authorities rated Good (four-point judgement)."""
    g = jf[jf["ofsted_overall"] == "Good"]
    if g.empty:
        return {"n": 0, "min": float("nan"), "max": float("nan"), "who_min": "", "who_max": ""}
    lo, hi = g.loc[g["spend_pc"].idxmin()], g.loc[g["spend_pc"].idxmax()]
    return {
        "n": len(g),
        "min": float(lo["spend_pc"]),
        "max": float(hi["spend_pc"]),
        "who_min": lo["la_name"],
        "who_max": hi["la_name"],
    }


def later_change(ctx: Context) -> pd.DataFrame:
    """Each authority's judgement as at 31 March of the first year of the period in which it has one,
    and the percentage change in its CPP and looked-after rates from that year to the last year."""
    v = ctx.view[ctx.view["ofsted_overall"].isin(OFSTED_SCALE)].sort_values("year")
    base = v.groupby("la_code").head(1)
    base = base[base["year"] < ctx.last]
    last = ctx.view[ctx.view["year"] == ctx.last].set_index("la_code")
    out = base[["la_code", "la_name", "region", "year", "ofsted_overall"]].rename(columns={"year": "base_year"}).copy()
    out["score"] = out["ofsted_overall"].map(SCORE).astype("int64")
    out["group"] = group_of(out["ofsted_overall"], ctx.p.judgement_scale)
    b = base.set_index("la_code")
    for col in CHANGE_OF:
        r0 = measures.rate(b, col)
        r1 = measures.rate(last.reindex(b.index), col)
        out[f"{col}_base"] = r0.to_numpy()
        out[f"{col}_last"] = r1.to_numpy()
        out[f"{col}_change"] = ((r1 / r0 - 1) * 100).to_numpy()
    return out.reset_index(drop=True)


def change_summary(ctx: Context, ch: pd.DataFrame) -> pd.DataFrame:
    """Median later % change in each rate by starting judgement group."""
    g = ch.groupby("group")
    t = pd.DataFrame({"Authorities": g.size()})
    for col, label in CHANGE_OF.items():
        t[f"Median change in {label} (%)"] = g[f"{col}_change"].median()
    t = t.reindex([x for x in labels(ctx) if x in t.index])
    t.index.name = "Judgement at the start"
    return t


def change_tests(ch: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Rank correlation (with interval) and Kruskal-Wallis test of judgement against each later change."""
    rows = {}
    for col, label in CHANGE_OF.items():
        sp = spearman_ci(score_for_scale(ch, scale), ch[f"{col}_change"])
        kw = kruskal(ch, f"{col}_change")
        rows[label.capitalize()] = {
            "Authorities": sp["n"],
            "Spearman rho": sp["rho"],
            "CI low": sp["lo"],
            "CI high": sp["hi"],
            "p": sp["p"],
            "K-W H": kw["H"],
            "K-W p": kw["p"],
        }
    out = pd.DataFrame(rows).T
    out["Authorities"] = out["Authorities"].astype("int64")
    return out


def score_for_scale(jf: pd.DataFrame, scale: str) -> pd.Series:
    """The judgement as a number on the chosen scale: 0-3, or 0/1 for Good or better."""
    return (jf["score"] >= SCORE["Good"]).astype(float) if scale == "binary" else jf["score"].astype(float)


def findings(sp: dict, model: dict, tests: pd.DataFrame) -> pd.DataFrame:
    """The NAO's 'no relationship' findings beside our estimates: pass when the interval includes zero."""

    def row(finding: str, measure: str, est: float, lo: float, hi: float, p: float) -> dict:
        ok = np.isfinite([est, lo, hi]).all()
        return {
            "NAO finding": finding,
            "Our measure": measure,
            "Estimate": est,
            "95% CI": f"{lo:+.2f} to {hi:+.2f}" if ok else "—",
            "p": p,
            "Result": ("pass" if lo <= 0 <= hi else "fail") if ok else "n/a",
        }

    spend = "No relationship between spending per child and Ofsted judgement"
    rows = [
        row(
            spend, "Spearman rank correlation, judgement and spending per child", sp["rho"], sp["lo"], sp["hi"], sp["p"]
        ),
        row(
            spend,
            f"{model['model'].capitalize()} coefficient on log spending per child, controlling for IDACI",
            model["coef"],
            model["lo"],
            model["hi"],
            model["p"],
        ),
    ]
    for label, r in tests.iterrows():
        rows.append(
            row(
                f"Ofsted judgements do not indicate the later change in the {label.lower()}",
                f"Spearman rank correlation, judgement and later % change in the {label.lower()}",
                r["Spearman rho"],
                r["CI low"],
                r["CI high"],
                r["p"],
            )
        )
    return pd.DataFrame(rows)


def nao_rows(ctx: Context, gr: dict) -> list[dict]:
    """The NAO's spending range among authorities rated Good in 2017-18 beside ours."""
    reason = ""
    if ctx.last != reference.NAO_END:
        reason = f"the chapter's last year is {contract.year_label(ctx.last)}, not 2017-18"
    elif ctx.p.region:
        reason = f"the chapter is restricted to {ctx.p.region}; the NAO's range covers England"
    elif gr["n"] == 0:
        reason = "no authority is rated Good"
    note = "per child aged 0-17; the NAO's wording varies between per child and per child in need"
    if ctx.synthetic:
        note += "; synthetic England is calibrated to this figure, so a match is expected rather than evidence"
    if reason:
        return [{"key": k, "ours": None, "reason": reason} for k in ("good_spend_min", "good_spend_max")]
    rows = [
        {
            "key": "good_spend_min",
            "ours": gr["min"],
            "reason": f"lowest: {gr['who_min']}; {note}",
            "authority": gr["who_min"],
        },
        {
            "key": "good_spend_max",
            "ours": gr["max"],
            "reason": f"highest: {gr['who_max']}; {note}",
            "authority": gr["who_max"],
        },
    ]
    if not ctx.synthetic:
        for row, stat in zip(rows, ("min", "max")):
            if not nao_notes.within(row["key"], row["ours"]):
                row["reason"] = nao_notes.join([row["reason"], good_end_note(ctx, row["key"], stat)])
    return rows


def good_end_note(ctx: Context, key: str, stat: str) -> str:
    """Why our end of the Good range differs from the NAO's: the judgement behind it, the Good
    authority nearest the NAO's figure, and whether the all-authority range differs the same way."""
    jf = judgement_frame(ctx)
    good = jf[jf["ofsted_overall"] == "Good"].reset_index(drop=True)
    if good.empty:
        return ""
    i = good["spend_pc"].idxmin() if stat == "min" else good["spend_pc"].idxmax()
    r = good.loc[i]
    year = contract.year_label(ctx.last)
    parts = [
        f"{r['la_name']}'s Good is from {r['ofsted_framework']} on {r['ofsted_date']}, the latest judgement at "
        f"31 March {ctx.last}; {len(good)} authorities rated Good; spending is gross section 251 spending in every "
        f"category except CERA, nominal, {year}"
    ]
    theirs = reference.value(key)
    v = good["spend_pc"]
    if v.min() <= theirs <= v.max():
        parts.append(f"the NAO's £{theirs:,.0f} is nearest {nao_notes.nearest(v, good['la_name'], theirs, '£{:,.0f}')}")
    else:
        parts.append(f"the NAO's £{theirs:,.0f} lies outside every Good authority's spending in {year}")
    d = ctx.view[ctx.view["year"] == ctx.last]
    every = measures.spend_per_child(d).dropna()
    if len(every):
        lo, hi = reference.value("spend_pc_min"), reference.value("spend_pc_max")
        same = not (nao_notes.within("spend_pc_min", every.min()) and nao_notes.within("spend_pc_max", every.max()))
        parts.append(
            f"across all {len(every)} authorities our range is £{every.min():,.0f} to £{every.max():,.0f} against "
            f"the NAO's £{lo:,.0f} to £{hi:,.0f}"
            + (", so the NAO's spending figures appear to be on another basis" if same else "")
        )
    return nao_notes.join(parts)


def association_words(lo: float, hi: float, positive: str, negative: str) -> str:
    """'no clear ...' when the interval includes zero, otherwise the direction."""
    if not np.isfinite([lo, hi]).all():
        return "too few authorities to say"
    if lo <= 0 <= hi:
        return "no clear association"
    return positive if lo > 0 else negative


def highlight_sentence(ctx: Context, jf: pd.DataFrame) -> str:
    """The highlighted authority's judgement and spending, as Markdown (its name links to its profile)."""
    if not ctx.highlight:
        return ctx.unmarked
    hit = jf[jf["la_code"] == ctx.highlight]
    if hit.empty:
        return f"{ctx.highlight_md} has no judgement or spending in {ctx.scope} for this year, so it is not shown."
    r = hit.iloc[0]
    same = jf[jf["group"] == r["group"]]
    rank = int((same["spend_pc"] > r["spend_pc"]).sum()) + 1
    return (
        f"{ctx.highlight_md} was judged {r['ofsted_overall']} (as at 31 March {ctx.last}) and spent "
        f"£{r['spend_pc']:,.0f} per child: ranked {rank} of {len(same)} in its group ({r['group']}), 1 = highest."
    )
