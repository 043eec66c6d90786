"""Shared fixtures: synthetic England for the default seed, its prepared folder, and the built book.

The book's default data is the committed official snapshot; every fixture here that builds or runs a
chapter says ``data="synthetic"``.

The book is built once per test session and shared by the xdist workers: the first worker to ask
builds it behind a file lock, any other waits and reads it (``make test`` groups the tests that use it
on one worker, so the other goes on with the rest meanwhile). Tests must not change the shared build;
those that rebuild, break or interrupt a build take ``own_book``, a private copy. The shared build
has a handful of profiles (the most extreme synthetic authorities); the build with every profile is
``full_book``, for the slow tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from cscbook import contract
from cscbook.acquire import synth

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "real-data"
#: Fixtures that build the whole book; tests using them carry the ``book`` marker.
BOOK_FIXTURES = {"built_book", "own_book", "full_book"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """Mark the tests that use a built book, and group them on one worker (``--dist loadgroup``): that
    worker builds while the other runs the rest, so no worker waits idle for the lock."""
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)
            item.add_marker(pytest.mark.xdist_group("book"))
    # the book's group first, so that its worker starts building at once rather than after a share of the rest
    items.sort(key=lambda item: item.get_closest_marker("book") is None)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, request) -> Path:
    """A folder every xdist worker of this session sees (the session's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(request.config, "workerinput") else base


def make_once(shared: Path, name: str, make: Callable[[Path], object]) -> Path:
    """``shared/name``, made by the first worker that asks (behind a lock); the others reuse it."""
    out, done = shared / name, shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            make(out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def england():
    return synth.generate(seed=2019, years=(2011, 2018))


@pytest.fixture(scope="session")
def panel_dir(england, tmp_path_factory) -> Path:
    """Synthetic England (default seed) as a prepared folder, for chapter and profile kernels to read."""
    out = tmp_path_factory.mktemp("prepared") / "synthetic"
    contract.write_prepared(england, out)
    return out


@pytest.fixture(scope="session")
def latest(tmp_path_factory) -> tuple[str, str]:
    """The committed snapshot on today's authorities (as profiles use it), as a prepared folder, and its years."""
    from cscbook.snapshot import write as snapshot

    prep = snapshot.read("latest")
    out = tmp_path_factory.mktemp("official") / "latest"
    contract.write_prepared(prep, out)
    return str(out), f"{prep.panel['year'].min()}-{prep.panel['year'].max()}"


def chapter_figures(res) -> list[tuple[str, object]]:
    """The drawn figures of a chapter's results, as (field name, matplotlib figure)."""
    import dataclasses

    from cscbook.present import figures

    fields = ((f.name, getattr(res, f.name)) for f in dataclasses.fields(res))
    return [(name, v.fig) for name, v in fields if isinstance(v, figures.Figure) and v.fig is not None]


def extreme_authorities(england) -> list[str]:
    """Codes of the synthetic authorities that stress a page most: the two smallest and the largest
    child populations, and the lowest and highest rates of child protection plans and children in need."""
    last = england.panel[england.panel["year"] == england.panel["year"].max()].set_index("la_code")
    pop = last["pop_0_17"].astype(float)
    picks = list(pop.nsmallest(2).index) + [pop.idxmax()]
    for col in ("cpp_31mar", "cin_31mar"):
        rate = (last[col].astype(float) / pop).dropna()
        picks += [rate.idxmin(), rate.idxmax()]
    return list(dict.fromkeys(picks))


#: The parameters of the shared synthetic builds (the book's default data is the official snapshot); few
#: bootstrap replicates, since no test of a built page reads the intervals' width.
SYNTHETIC = {"data": "synthetic", "n_boot": 20}


def _build(build_dir: Path, **kwargs) -> None:
    """One whole build on synthetic England."""
    from cscbook.build.pipeline import build

    build(dict(SYNTHETIC), build_dir=build_dir, **kwargs)


@pytest.fixture(scope="session")
def sample_profiles(england) -> list[str]:
    return extreme_authorities(england)


@pytest.fixture(scope="session")
def built_book(shared_dir, sample_profiles) -> Path:
    """The book built once on synthetic England, with the sample of profiles: read it, never change it."""
    return make_once(shared_dir, "book", lambda d: _build(d, profiles=",".join(sample_profiles)))


@pytest.fixture
def own_book(built_book, tmp_path) -> Path:
    """A private copy of the shared build (its cache included), for a test that rebuilds, breaks or interrupts it."""
    out = tmp_path / "build"
    shutil.copytree(built_book, out, symlinks=True)
    return out


@pytest.fixture(scope="session")
def full_book(shared_dir) -> Path:
    """The book with every profile (slow tests only)."""
    return make_once(shared_dir, "full-book", _build)


@pytest.fixture(scope="session")
def ingest_cache(shared_dir) -> Path:
    """One cache of parsed official files for the session: the first ingest of a file parses it, later ones read it."""
    out = shared_dir / "ingest-cache"
    out.mkdir(exist_ok=True)
    return out


@pytest.fixture(scope="session")
def real_ingested(ingest_cache):
    """The files in ../shared/real-data, ingested once per worker (parsed once per session)."""
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/real-data is absent (real published files not available)")
    from cscbook.ingest import ingest_folder

    with FileLock(str(ingest_cache) + ".lock"):  # one worker parses, on both cores; the other then reads
        return ingest_folder(REAL_DATA.resolve(), cache=ingest_cache)


@pytest.fixture(scope="session")
def real_prepared(real_ingested) -> contract.Prepared:
    """The real files harmonised on the 2017-18 footprint."""
    from cscbook.harmonise import harmonise

    return harmonise(real_ingested)


def run_chapter(chapter_id: str, folder: Path, panel_dir: Path, **parameters) -> Path:
    """Execute a chapter's notebook as the build does, on a prepared data folder (so the kernel does not
    make synthetic England again), into ``folder/executed/<id>/``; return the executed notebook, whose
    CSV and JSON outputs lie beside it."""
    from cscbook import params
    from cscbook.build.execute import execute
    from cscbook.build.registry import chapter_by_id

    ch = chapter_by_id(chapter_id)
    parameters = {"data": "synthetic"} | parameters  # the folder is synthetic England unless a test says otherwise
    execute(ch, params.resolve(ch.model, parameters, where=chapter_id), Path(panel_dir), folder, force=True)
    return folder / "executed" / chapter_id / f"{chapter_id}.ipynb"
