"""The events time series are read against: reorganisations come from the harmonising table of changes."""

from cscbook.chapters import events


def test_reorganisations_are_the_changes_of_area_not_of_code():
    got = {r.rule: r.first_year for r in events.reorganisations()}
    assert got == {"G-BCP-2019": 2020, "G-NORTHANTS-2021": 2022, "G-2023": 2024}
    assert [r.rule for r in events.reorganisations_of("E06000062")] == ["G-NORTHANTS-2021"]  # a successor
    assert [r.rule for r in events.reorganisations_of("E10000006")] == ["G-2023"]  # a predecessor (Cumbria)
    assert events.reorganisations_of("E08000016") == []  # Barnsley: a new code in 2025, the same area
    assert events.reorganisations()[0].label == "reorganisation, April 2019"


def test_an_authority_whose_area_did_not_change_is_not_marked_with_its_neighbours_reorganisation():
    for same_area in ("E06000065", "E10000023", "E06000066", "E10000027", "E06000060"):  # N Yorks, Somerset, Bucks
        assert events.reorganisations_of(same_area) == [], same_area
    assert [r.rule for r in events.reorganisations_of("E06000059")] == ["G-BCP-2019"]  # Dorset lost Christchurch
    assert [r.rule for r in events.reorganisations_of("E06000063")] == ["G-2023"]  # Cumberland
