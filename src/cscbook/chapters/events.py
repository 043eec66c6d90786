"""The events a time series of children's social care is read against: the first pandemic year, Ofsted's
change of inspection framework and the reorganisations of authorities. Years end 31 March, as everywhere
in the book: 2021 is 2020-21."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from cscbook.harmonise import boundaries

#: The year ending 31 March 2021, the first year of the pandemic.
PANDEMIC = 2021
#: Ofsted's inspections of local authority children's services (ILACS) replaced the single inspection
#: framework in January 2018, within the year ending 31 March 2018: later judgements are made under ILACS.
ILACS = 2018
#: Where in its year (ending 31 March) January falls: the framework's line is drawn there.
JANUARY = -0.25


class Reorganisation(NamedTuple):
    """A change of authorities' areas: the first year (ending 31 March) under the new authorities, the
    harmonising rule that handles it, and every code it involves, old and new."""

    first_year: int
    rule: str
    codes: frozenset[str]

    @property
    def label(self) -> str:
        return f"reorganisation, April {self.first_year - 1}"


@cache
def reorganisations() -> tuple[Reorganisation, ...]:
    """The reorganisations that changed areas (authorities summed or split), from the harmonising table of
    boundary changes, with the codes whose area changed; a change of code alone is not one, even in the same
    April (North Yorkshire and Somerset in 2023), but a recode whose area changed is (Dorset in the 2019 change
    that made Bournemouth, Christchurch and Poole)."""
    rules = {c.rule for c in boundaries.CHANGES if c.how in ("sum", "share")}
    out = []
    for rule in sorted(rules):
        rows = [c for c in boundaries.CHANGES if c.rule == rule]
        moved = [c for c in rows if c.how != "recode" or set(c.old) & boundaries.RECODES_WITH_NEW_AREA]
        codes = frozenset(code for c in moved for code in (*c.old, *c.new))
        out.append(Reorganisation(rows[0].year + 1, rule, codes))
    return tuple(sorted(out))


def reorganisations_of(code: str) -> list[Reorganisation]:
    """The reorganisations an authority took part in (under its old or its new code)."""
    return [r for r in reorganisations() if code in r.codes]
