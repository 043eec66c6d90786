"""Shared fixtures: synthetic England for the default seed, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscbook import synth

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "real-data"


@pytest.fixture(scope="session")
def england():
    return synth.generate(seed=2019, years=(2011, 2018))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The whole book built once on synthetic England into a temporary build folder."""
    from cscbook import pipeline

    build_dir = tmp_path_factory.mktemp("build")
    result = pipeline.build({}, build_dir=build_dir)
    return build_dir, result


def run_chapter(chapter_id: str, folder: Path, **parameters) -> Path:
    """Execute book/<chapter_id>.ipynb with papermill in ``folder``; return the executed notebook."""
    import papermill as pm

    out = folder / f"{chapter_id}.ipynb"
    pm.execute_notebook(
        str(ROOT / "book" / f"{chapter_id}.ipynb"),
        str(out),
        parameters=parameters,
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
    )
    return out
