"""A chapter re-run alone never leaves the others showing another data source or other parameters."""

from __future__ import annotations

import json

import pytest

from cscbook.build import registry
from cscbook.build.pipeline import build, chapters_to_run, plan
from tests.conftest import SYNTHETIC

ALL = {c.id for c in registry.chapters()}


def test_a_rerun_of_one_chapter_takes_every_chapter_its_change_makes_stale(own_book, sample_profiles):
    links = ",".join(sample_profiles)
    same = plan(dict(SYNTHETIC), own_book, links, {})
    assert [c.id for c in chapters_to_run(same, ["demand"], own_book)] == ["demand"]  # the rest are this plan's
    other_seed = plan(SYNTHETIC | {"seed": "1000"}, own_book, links, {})
    assert {c.id for c in chapters_to_run(other_seed, ["variation"], own_book)} == ALL
    fewer_boot = plan(SYNTHETIC | {"n_boot": "10"}, own_book, links, {})
    # n_boot belongs to the two bootstrapped chapters: they run, the others are still this plan's
    assert {c.id for c in chapters_to_run(fewer_boot, ["variation"], own_book)} == {"variation", "decomposition"}


def test_a_stamp_from_another_plan_is_never_published(own_book, sample_profiles, monkeypatch):
    """Even if the choice of chapters were wrong, a page whose run is not this plan's stops the build in one line
    and the site stays as it was."""
    from cscbook.build import pipeline as build_mod
    from cscbook.errors import UserError

    before = (own_book / "html" / "book" / "demand.html").read_bytes()
    monkeypatch.setattr(build_mod, "chapters_to_run", lambda pl, only, d: [])
    with pytest.raises(UserError) as exc:
        build(SYNTHETIC | {"seed": "1000"}, build_dir=own_book, profiles="none", pdf="none")
    assert "not from this build's data and parameters" in exc.value.line()
    assert (own_book / "html" / "book" / "demand.html").read_bytes() == before


@pytest.mark.slow
def test_rerunning_one_chapter_on_official_data_republishes_every_chapter_on_it(own_book, sample_profiles):
    """`cscbook run demand --data official` in a synthetic build: every page then carries the official data, and
    the run record says each chapter ran on it."""
    build({"data": "official"}, build_dir=own_book, only=["demand"], profiles="E06000009", pdf="none")
    record = json.loads((own_book / "run_record.json").read_text())
    assert record["data"]["source"] != "synthetic"
    assert set(record["executed"].values()) == {"ran"}
    for cid in ALL:
        page = (own_book / "html" / "book" / f"{cid}.html").read_text()
        assert "Synthetic data" not in page and "fictional" not in page, cid
