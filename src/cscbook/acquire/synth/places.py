"""Authorities of synthetic England: names, codes and regions, fixed for every seed.

152 fictional authorities in the nine English regions, with the real regional counts of
2017-18; two of them (one in the South West, one in London) are very small.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

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
