"""Places of synthetic England: authorities (names, codes, regions), populations and deprivation.

152 fictional authorities in the nine English regions, with the real regional counts of
2017-18; two of them (one in the South West, one in London) are very small. Names and codes
are the same for every seed; populations and deprivation are drawn.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from cscbook import reference
from cscbook.acquire.synth.calibration import national_path, scale_to_totals

#: Authorities per region, as in 2017-18.
REGION_COUNTS = {
    "North East": 12,
    "North West": 23,
    "Yorkshire and the Humber": 15,
    "East Midlands": 9,
    "West Midlands": 14,
    "East of England": 11,
    "London": 33,
    "South East": 19,
    "South West": 16,
}
REGION_CODE = {
    "North East": "NE",
    "North West": "NW",
    "Yorkshire and the Humber": "YH",
    "East Midlands": "EM",
    "West Midlands": "WM",
    "East of England": "EE",
    "London": "LN",
    "South East": "SE",
    "South West": "SW",
}
#: Deprivation leaning by region (added to the IDACI score), so regional patterns look familiar.
REGION_DEPRIVATION = {
    "North East": 0.05,
    "North West": 0.04,
    "Yorkshire and the Humber": 0.03,
    "East Midlands": 0.0,
    "West Midlands": 0.03,
    "East of England": -0.03,
    "London": 0.05,
    "South East": -0.04,
    "South West": -0.03,
}

#: Indices (within the South West and London) of the two very small authorities.
TINY = {"South West": "Isle of Varrow", "London": "City of Wendmark"}

_SYLLABLES_A = [
    "Quill",
    "Tarn",
    "Vell",
    "Ombr",
    "Brack",
    "Wend",
    "Fenn",
    "Skarr",
    "Mirr",
    "Dunn",
    "Harl",
    "Ketter",
    "Lorr",
    "Nethe",
    "Pell",
    "Rusk",
    "Sorr",
    "Thrim",
    "Ulver",
    "Varr",
    "Wixe",
    "Yarr",
    "Zell",
    "Corv",
]
_SYLLABLES_B = [
    "mere",
    "holt",
    "wick",
    "stane",
    "brook",
    "fold",
    "garth",
    "combe",
    "lowe",
    "thwaite",
    "marsh",
    "dene",
    "shaw",
    "hythe",
    "ness",
    "by",
    "worth",
    "ley",
    "well",
    "stow",
    "burn",
    "ridge",
    "moor",
    "ham",
]


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    region: str
    tiny: bool


def authorities() -> list[Authority]:
    """The 152 fictional authorities: fixed names and codes, the same for every seed.

    Codes are ``X`` + a two-letter region code + six digits: no real ONS code starts with X.
    """
    out: list[Authority] = []
    k = 0
    for region, n in REGION_COUNTS.items():
        for j in range(n):
            tiny = j == n - 1 and region in TINY
            if tiny:
                name = TINY[region]
            else:
                a = _SYLLABLES_A[(k * 7) % len(_SYLLABLES_A)]
                b = _SYLLABLES_B[(k * 11 + k // len(_SYLLABLES_B)) % len(_SYLLABLES_B)]
                name = a + b
                if region == "London":
                    name = f"{name} Borough"
                elif k % 5 == 0:
                    name = f"{name}shire"
            code = f"X{REGION_CODE[region]}{j + 1:06d}"
            out.append(Authority(code, name, region, tiny))
            k += 1
    names = [a.name for a in out]
    dupes = {x for x in names if names.count(x) > 1}
    if dupes:  # make every name unique with a letter
        seen: dict[str, int] = {}
        fixed = []
        for a in out:
            if a.name in dupes:
                seen[a.name] = seen.get(a.name, 0) + 1
                a = Authority(a.code, f"{a.name} {string.ascii_uppercase[seen[a.name] - 1]}", a.region, a.tiny)
            fixed.append(a)
        out = fixed
    return out


def population(rng: np.random.Generator, las: list[Authority], yrs: np.ndarray) -> np.ndarray:
    """Population aged 0-17 (authority × year), summing to the national path; the two small authorities fixed."""
    N = len(las)
    is_london = np.array([a.region == "London" for a in las])
    tiny = np.array([a.tiny for a in las])
    reg = ~tiny
    size = np.exp(rng.normal(np.log(62_000), 0.55, N))
    size[is_london] = np.exp(rng.normal(np.log(62_000), 0.25, is_london.sum()))
    size[tiny] = [380.0 if a.region == "South West" else 1_050.0 for a in las if a.tiny]
    growth = rng.normal(np.log(1.052) / 7, 0.0035, N) + np.where(is_london, 0.003, 0.0)
    pop = size[:, None] * np.exp(growth[:, None] * (yrs - 2018)[None, :])
    pop_total = national_path(reference.value("pop_2018"), reference.value("pop_growth") / 100, yrs)
    fixed_small = pop[tiny].sum(axis=0)
    pop[reg] = scale_to_totals(pop[reg], pop_total - fixed_small)
    return np.round(pop)


def deprivation(rng: np.random.Generator, las: list[Authority]) -> tuple[np.ndarray, np.ndarray]:
    """IDACI and IMD scores (authority level, one vintage), leaning by region."""
    dep_region = np.array([REGION_DEPRIVATION[a.region] for a in las])
    idaci = np.clip(0.17 + dep_region + rng.normal(0, 0.055, len(las)), 0.05, 0.42)
    imd = np.clip(4 + 95 * idaci + rng.normal(0, 2.2, len(las)), 5, 48)
    return idaci, imd
