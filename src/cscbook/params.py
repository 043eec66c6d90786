"""Chapter parameters: one pydantic model per chapter, checked before anything runs.

Unknown names and ill-typed values are rejected with a one-line message that lists the allowed
names. By default a chapter runs on every year the data hold, on today's authorities; each chapter sets
the NAO's period (2010-11 to 2017-18) and footprint beside it in a section of its own.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cscbook.contract import REGIONS
from cscbook.errors import UserError

YEARS_RE = re.compile(r"^(\d{4})-(\d{4})$")
#: Years the book can run on (years ending 31 March).
YEAR_BOUNDS = (2010, 2030)
#: The ``years`` that mean every year the data hold.
ALL_YEARS = "all"
#: The years synthetic England is generated for when ``years`` is ``all``: the NAO's period.
SYNTHETIC_YEARS = (2011, 2018)


def _seed_in_range(v: int) -> int:
    """A random seed as numpy takes one."""
    if not 0 <= v < 2**32:
        raise ValueError("must be a whole number from 0 to 4294967295")
    return v


class ChapterParams(BaseModel):
    """Parameters every chapter takes."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    data: str = "official"  # "official" (the committed snapshot), "synthetic" or a folder of published files
    seed: int = 2019  # synthetic England's seed
    years: str = ALL_YEARS  # "all" (every year the data hold) or first-last, years ending 31 March
    geography: Literal["2018", "latest"] = "latest"  # today's authorities, or the 152 of 2017-18
    population: Literal["consistent", "as-published"] = "consistent"  # the 0-17 series under every rate
    highlight: str = ""  # an authority's code or name, shown on every chart
    region: str = ""  # restrict to one region
    panel_dir: str = ""  # set by the build: the prepared data folder
    profile_links: str = ""  # set by the build: the profile pages it makes ("all" or codes separated by commas)
    later_dir: str = ""  # set by the build: the prepared data of today's authorities over every year
    nao_dir: str = ""  # set by the build: the prepared data on the NAO's footprint (the 152 of 2017-18)

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        return _seed_in_range(v)

    @field_validator("years")
    @classmethod
    def _years(cls, v: str) -> str:
        if v.strip().lower() == ALL_YEARS:
            return ALL_YEARS
        m = YEARS_RE.match(v.strip())
        if not m:
            raise ValueError("must be all, or look like 2011-2018")
        a, b = int(m.group(1)), int(m.group(2))
        lo, hi = YEAR_BOUNDS
        if not (lo <= a < b <= hi):
            raise ValueError(f"must be two different years between {lo} and {hi}, first before last")
        return f"{a}-{b}"

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v and v not in REGIONS:
            raise ValueError(f"must be one of: {', '.join(REGIONS)}")
        return v

    @property
    def year_range(self) -> tuple[int, int] | None:
        """(first, last), or None for every year the data hold."""
        if self.years == ALL_YEARS:
            return None
        a, b = self.years.split("-")
        return int(a), int(b)

    @property
    def synthetic_years(self) -> tuple[int, int]:
        """The years synthetic England is generated for: the chosen ones, or the NAO's period for ``all``."""
        return self.year_range or SYNTHETIC_YEARS


class DemandParams(ChapterParams):
    pass


class Bootstrapped(ChapterParams):
    """Parameters of a chapter that draws bootstrap replicates."""

    n_boot: int = 200
    boot_seed: int = 1

    @field_validator("boot_seed")
    @classmethod
    def _boot_seed(cls, v: int) -> int:
        return _seed_in_range(v)

    @field_validator("n_boot")
    @classmethod
    def _n_boot(cls, v: int) -> int:
        if not 0 <= v <= 5000:
            raise ValueError("must be between 0 and 5000")
        return v


class BudgetsParams(ChapterParams):
    pass


class VariationParams(Bootstrapped):
    pass


class OfstedParams(ChapterParams):
    judgement_scale: Literal["four-point", "binary"] = "four-point"


class PreventativeParams(ChapterParams):
    definition: Literal["A", "B", "C"] = "B"


class DecompositionParams(Bootstrapped):
    outcome_scale: Literal["log", "level"] = "log"
    deprivation: Literal["idaci", "imd"] = "idaci"


class StudiesParams(ChapterParams):
    pass


#: Each chapter's parameter model, by chapter id (the notebook template is book/<id>.ipynb).
CHAPTER_MODELS: dict[str, type[ChapterParams]] = {
    "demand": DemandParams,
    "budgets": BudgetsParams,
    "variation": VariationParams,
    "ofsted": OfstedParams,
    "preventative": PreventativeParams,
    "decomposition": DecompositionParams,
    "studies": StudiesParams,
}


class ProfileParams(BaseModel):
    """What a reader may change about the authority profiles (``cscbook run profile -p compare=...``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    neighbours: str = "dfe"  # "dfe" (DfE's latest edition in the data), "dfe-<year>" or "computed"
    compare: str = ""  # set the series against these authorities (codes or names, commas) instead of neighbours

    @field_validator("neighbours")
    @classmethod
    def _neighbours(cls, v: str) -> str:
        v = v.strip().lower()
        if v in ("dfe", "computed") or re.fullmatch(r"dfe-20\d\d", v):
            return v
        raise ValueError("must be dfe, dfe-<year> (an edition, such as dfe-2021) or computed")


#: The names a profile takes, which the build hands to the profiles, not to the chapters.
PROFILE_NAMES = tuple(ProfileParams.model_fields)
#: What ``cscbook run`` takes, instead of a chapter, to re-make the profiles.
RUN_PROFILES = ("profile", "profiles")

#: Names that the build sets, not users: the prepared data folder and the profile pages that chapters link to.
INTERNAL = {"panel_dir", "profile_links", "later_dir", "nao_dir"}


def allowed(model: type[ChapterParams]) -> list[str]:
    return [n for n in model.model_fields if n not in INTERNAL]


def resolve(model: type[ChapterParams], values: dict[str, Any], where: str) -> ChapterParams:
    """Check ``values`` against ``model``; raise a one-line UserError naming the parameter and rule."""
    names = allowed(model)
    for k in values:
        if k not in model.model_fields or k in INTERNAL:
            raise UserError(f"parameter {k!r}", f"unknown parameter for {where}", f"allowed names: {', '.join(names)}")
    try:
        return model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "?"
        got = values.get(name)
        msg = err["msg"].removeprefix("Value error, ")
        raise UserError(f"parameter {name!r}", f"{got!r} is not valid for {where}", msg) from None
