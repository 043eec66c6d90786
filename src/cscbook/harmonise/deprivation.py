"""Deprivation scores (IDACI and IMD average scores) for every authority of the footprint, in every year (S-IOD).

The 2018 footprint takes IoD2015's upper-tier summaries, the latest footprint IoD2019's (the edition each
footprint's authorities were scored on), each in every year: an edition is one measure, not a series. An
authority that kept its area under a new code takes its predecessor's row; one formed by a split, or missing
from the summaries, takes the population-weighted mean of its districts' scores (S-IOD-DISTRICT: IoD2019's
File 6 populations, everyone for IMD and children for IDACI, as MHCLG weights its own upper-tier scores).
IoD2025 goes beside them on the latest footprint, in its own columns (S-IOD-2025), never joined to them.
"""

from __future__ import annotations

import pandas as pd

import cscbook.harmonise.boundaries as boundaries
from cscbook.errors import UserError

MEASURES = ("idaci_score", "imd_score")
#: Editions in the order each footprint prefers them (the first one the folder has is used).
EDITIONS = {"2018": (2015, 2019), "latest": (2019, 2015)}
#: The newest edition, shown beside the footprint's own on the latest footprint.
NEWEST = 2025
WEIGHT = {"idaci_score": "weight_idaci", "imd_score": "weight_imd"}


def add_scores(panel: pd.DataFrame, T: dict[str, pd.DataFrame], geography: str, flags: list) -> pd.DataFrame:
    """The footprint's edition in ``idaci_score`` and ``imd_score`` (and IoD2025 in ``*_2025`` on the latest)."""
    utla, dist = T.get("iod", pd.DataFrame()), T.get("iod_district", pd.DataFrame())
    if not len(utla) and not len(dist):
        return panel
    edition = footprint_edition(T, geography)
    codes = sorted(set(panel["la_code"]))
    recode = boundaries.same_area_recodes(geography)
    for m in MEASURES if edition else ():
        own = summary(utla, edition, m, recode)
        rest = [c for c in codes if c not in own.index]
        built = from_districts(T, edition, m, rest, recode)
        panel[m] = panel["la_code"].map(pd.concat([own, built]))
        flags += [(c, int(y), m, "derived", "S-IOD-DISTRICT") for c, y in _rows(panel, built.index)]
    if has_newest(T, geography):
        for m in MEASURES:
            built = from_districts(T, NEWEST, m, codes, recode)
            panel[f"{m}_{NEWEST}"] = panel["la_code"].map(built)
    check_coverage(panel, T, edition)
    return panel


def footprint_edition(T: dict[str, pd.DataFrame], geography: str) -> int | None:
    """The edition the footprint takes: the first of its preferred editions that the folder has."""
    have = {int(y) for k in ("iod", "iod_district") if len(T.get(k, [])) for y in T[k]["year"].unique()}
    return next((e for e in EDITIONS[geography] if e in have), None)


def has_newest(T: dict[str, pd.DataFrame], geography: str) -> bool:
    """Whether IoD2025 goes beside the footprint's edition (the latest footprint, when the folder has it)."""
    dist = T.get("iod_district", pd.DataFrame())
    return geography == "latest" and bool(len(dist)) and NEWEST in set(dist["year"])


def editions(T: dict[str, pd.DataFrame], geography: str) -> dict[str, str]:
    """The edition in each deprivation column of the footprint ('IoD2019'), for the meta and the profiles."""
    edition = footprint_edition(T, geography)
    out = {m: f"IoD{edition}" for m in MEASURES} if edition else {}
    return out | ({f"{m}_{NEWEST}": f"IoD{NEWEST}" for m in MEASURES} if has_newest(T, geography) else {})


def _rows(panel: pd.DataFrame, codes) -> list[tuple[str, int]]:
    p = panel[panel["la_code"].isin(set(codes))]
    return list(zip(p["la_code"], p["year"]))


def summary(utla: pd.DataFrame, edition: int, measure: str, recode: dict[str, str]) -> pd.Series:
    """An edition's upper-tier scores by the footprint's code (a code reissued for the same area recoded)."""
    if not len(utla):
        return pd.Series(dtype="float64")
    e = utla[(utla["year"] == edition) & (utla["measure"] == measure)].dropna(subset=["value"])
    s = e.set_index(e["la_code"].replace(recode))["value"]
    return s[~s.index.duplicated()]


def from_districts(
    T: dict[str, pd.DataFrame], edition: int, measure: str, targets: list[str], recode: dict[str, str]
) -> pd.Series:
    """Scores of ``targets`` from an edition's district scores: an authority that is a district itself takes
    its row; a county or an authority formed by a split the mean of its districts' scores weighted by their
    IoD2019 populations (districts from :data:`boundaries.DISTRICTS_OF` or ONS's lower-to-upper tier lookup).
    An authority whose districts or weights are not all there is left out."""
    dist = T.get("iod_district", pd.DataFrame())
    if not len(dist) or not targets:
        return pd.Series(dtype="float64")
    score = dist[(dist["year"] == edition) & (dist["measure"] == measure)].dropna(subset=["value"])
    score = score.set_index(score["la_code"].replace(recode))["value"]  # a unitary's code reissued: its new code
    w = T.get("iod_weights", pd.DataFrame())
    weight = w[w["measure"] == WEIGHT[measure]].set_index("la_code")["value"] if len(w) else pd.Series(dtype=float)
    lookup = T.get("ons_lookup", pd.DataFrame())
    below = lookup.groupby("la_code")["district_code"].apply(tuple).to_dict() if "district_code" in lookup else {}
    out = {}
    for code in targets:
        if code in score.index:
            out[code] = score[code]
            continue
        parts = boundaries.DISTRICTS_OF.get(code) or below.get(code, ())
        parts = [d for d in parts if d != code]
        if parts and all(d in score.index and d in weight.index for d in parts):
            ww = weight[parts]
            out[code] = float((score[parts] * ww).sum() / ww.sum())
    return pd.Series(out, dtype="float64")


def check_coverage(panel: pd.DataFrame, T: dict[str, pd.DataFrame], edition: int | None) -> None:
    """Every authority of the footprint has the footprint's scores; otherwise the deprivation files are named
    with the authorities they lack."""
    for m in MEASURES:
        if m not in panel:
            continue
        miss = sorted(set(panel.loc[panel[m].isna(), "la_name"].fillna(panel["la_code"])))
        if miss:
            files = sorted({f for k in ("iod", "iod_district") for f in T.get(k, pd.DataFrame()).get("file", [])})
            raise UserError(
                ", ".join(files) or "deprivation",
                f"IoD{edition} gives no {m} for {len(miss)} authorities of the footprint: "
                + ", ".join(miss[:8])
                + (" ..." if len(miss) > 8 else ""),
                "deprivation-coverage",
            )
