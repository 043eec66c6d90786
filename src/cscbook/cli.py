"""The ``cscbook`` command: synth, build, run, chapters, ingest, validate, snapshot, fetch."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from cscbook import procs
from cscbook.errors import UserError

STATE = {"debug": False}

param_option = click.option(
    "-p", "--param", "p", multiple=True, type=(str, str), metavar="NAME VALUE", help="A chapter parameter (repeatable)."
)
data_option = click.option(
    "--data",
    default=None,
    help="'official' (default: the committed snapshot of the official statistics), 'synthetic' or a folder of "
    "published files.",
)


def _build_dir_option(help_text: str):
    return click.option(
        "--build-dir", type=click.Path(path_type=Path), default=Path("_build"), show_default=True, help=help_text
    )


build_dir_option = _build_dir_option("Where the build goes.")
cache_dir_option = _build_dir_option("The build folder: parsed files are cached in its cache/ingest.")
profiles_option = click.option(
    "--profiles",
    default="all",
    show_default=True,
    help="Authority profile pages: all, none, or codes/names separated by commas.",
)
pdf_option = click.option(
    "--pdf",
    type=click.Choice(["book", "all", "none"]),
    default="book",
    show_default=True,
    help="The PDF edition: the book, the book with every profile as an appendix, or none.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def app(debug: bool) -> None:
    """Build the book on the pressures on children's social care in England."""
    STATE["debug"] = debug


def _overrides(p, data: str | None) -> dict[str, str]:
    out = {k: v for k, v in p}
    if data is not None:
        out["data"] = data
    return out


def _progress():
    """Per-chapter progress lines on a terminal; quiet otherwise."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)

    def show(chapter: str, state: str, seconds: float) -> None:
        if state == "start":
            console.print(f"[dim]… {chapter}[/dim]")
        else:
            console.print(f"✓ {chapter} {state} in {seconds:.1f} s")

    return show


@app.command()
@click.option("--seed", default=2019, show_default=True, help="Random seed.")
@click.option("--years", default="2011-2018", show_default=True, help="First-last year ending 31 March.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("_build/data/synthetic"), show_default=True)
def synth(seed: str, years: str, out: Path) -> None:
    """Generate synthetic England (panel, flags, meta, truth) into OUT."""
    from cscbook import contract, params
    from cscbook.acquire import synth as gen
    from cscbook.fsutil import claim

    p = params.resolve(params.ChapterParams, {"seed": seed, "years": years}, where="synth")
    claim(out, contract.PREPARED_FILES, what="--out folder")
    t = time.perf_counter()
    prep = gen.generate(seed=p.seed, years=p.synthetic_years)
    contract.write_prepared(prep, out)
    n = prep.panel.la_code.nunique()
    click.echo(f"wrote {out} ({len(prep.panel)} rows, {n} authorities) in {time.perf_counter() - t:.2f} s")


@app.command()
@param_option
@data_option
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="Chapters run at once (default: number of cores)."
)
@click.option("--force", is_flag=True, help="Re-run every chapter, ignoring the cache.")
@build_dir_option
@profiles_option
@pdf_option
def build(p, data, jobs, force, build_dir, profiles, pdf) -> None:
    """Build the whole book into BUILD_DIR/html (and its PDF edition, when Chromium is installed)."""
    from cscbook.build.pipeline import build as build_book

    res = build_book(
        _overrides(p, data),
        build_dir=build_dir,
        force=force,
        jobs=jobs,
        progress=_progress(),
        profiles=profiles,
        pdf=pdf,
    )
    ran = sum(res.executed.values())
    click.echo(
        f"built {res.html / 'index.html'} in {res.timings['total']:.1f} s "
        f"({ran} chapter(s) executed, {len(res.executed) - ran} reused)"
    )


@app.command()
@click.argument("chapter")
@param_option
@data_option
@build_dir_option
@profiles_option
@pdf_option
def run(chapter, p, data, build_dir, profiles, pdf) -> None:
    """Re-run one CHAPTER with other parameters, then rebuild the book. CHAPTER 'profile' re-makes the
    authority profiles (--profiles chooses which) with the profiles' parameters (neighbours, compare)."""
    from cscbook.build.pipeline import build as build_book
    from cscbook.build.registry import chapter_by_id
    from cscbook.params import RUN_PROFILES

    if chapter in RUN_PROFILES:
        res = build_book(
            _overrides(p, data), build_dir=build_dir, only=[], progress=_progress(), profiles=profiles, pdf=pdf
        )
        click.echo(f"ran the profiles; built {res.html / 'index.html'} in {res.timings['total']:.1f} s")
        return
    ch = chapter_by_id(chapter)
    res = build_book(
        _overrides(p, data), build_dir=build_dir, only=[ch.id], progress=_progress(), profiles=profiles, pdf=pdf
    )
    click.echo(f"ran {ch.id}; built {res.html / 'index.html'} in {res.timings['total']:.1f} s")


def _ingest_cache(build_dir: Path, folder: Path) -> Path:
    """The ingest cache inside ``build_dir``, once the folder is known to be cscbook's and apart from the input."""
    from cscbook.build.pipeline import claim_build_dir
    from cscbook.fsutil import mark

    claim_build_dir(build_dir, (folder,))
    build_dir.mkdir(parents=True, exist_ok=True)
    mark(build_dir)  # the folder is cscbook's now: a later run (and an --out made inside it) is its own
    return build_dir / "cache" / "ingest"


@app.command("chapters")
def list_chapters() -> None:
    """List the chapters and the parameters each takes, with defaults."""
    from cscbook import params
    from cscbook.build.registry import chapters

    for ch in chapters():
        names = ", ".join(f"{n}={ch.model.model_fields[n].default!r}" for n in params.allowed(ch.model))
        click.echo(f"{ch.id}: {names}")


@app.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("_build/data/official"), show_default=True)
@click.option("--geography", type=click.Choice(["latest", "2018"]), default="latest", show_default=True)
@cache_dir_option
def ingest(folder: Path, out: Path, geography: str, build_dir: Path) -> None:
    """Read a FOLDER of official files: print an inventory, write the panel and its data log."""
    from cscbook import contract
    from cscbook.fsutil import claim
    from cscbook.snapshot.official import harmonise_checked, ingest_official

    claim(out, contract.PREPARED_FILES, inputs=(folder,), what="--out folder")
    result = ingest_official(folder, cache=_ingest_cache(build_dir, folder))
    for r in result.inventory.itertuples():
        if r.status in ("unrecognised", "skipped"):
            click.echo(f"  {r.status:<13} {r.path}: {r.note}")
        else:
            dup = "  (duplicate)" if r.status == "duplicate" else ""
            click.echo(
                f"  {r.source:<16} {r.vintage:<42} {r.years:<10} {r.authorities:>4} LAs {r.rows:>7} rows  {r.path}{dup}"
            )
    prep = harmonise_checked(result, geography)
    contract.write_prepared(prep, out)
    click.echo(f"wrote {out} ({len(prep.panel)} LA-years, {len(prep.flags)} flags; flags.csv is the data log)")


@app.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--geography", type=click.Choice(["latest", "2018"]), default="latest", show_default=True)
@cache_dir_option
def validate(folder: Path, geography: str, build_dir: Path) -> None:
    """Ingest a FOLDER of official files and run the panel checks alone."""
    from cscbook.snapshot.prepare import prepare_official

    prep = prepare_official(folder, geography=geography, cache=_ingest_cache(build_dir, folder))  # runs the checks
    click.echo(f"ok: {len(prep.panel)} LA-years pass every rule")


@app.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/official"), show_default=True)
@cache_dir_option
def snapshot(folder: Path, out: Path, build_dir: Path) -> None:
    """Remake the official snapshot in OUT from a FOLDER of published files (both footprints, text only)."""
    from cscbook.fsutil import claim
    from cscbook.snapshot import write as snap

    claim(out, snap.OWNED, inputs=(folder,), what="--out folder")
    t = time.perf_counter()
    edition = snap.make(folder, out, cache=_ingest_cache(build_dir, folder))
    click.echo(f"wrote {out} (edition {edition}) in {time.perf_counter() - t:.1f} s")


@app.command()
@click.option("--dest", type=click.Path(path_type=Path), default=Path("data/raw"), show_default=True)
@click.option("--manifest", type=click.Path(path_type=Path), default=Path("data/sources.yml"), show_default=True)
@click.option(
    "--set",
    "which",
    type=click.Choice(["snapshot", "latest", "all"]),
    default="snapshot",
    show_default=True,
    help="'snapshot': the pinned files the committed snapshot was made from; 'latest': the publishers' newest "
    "releases; 'all': both.",
)
def fetch(dest: Path, manifest: Path, which: str) -> None:
    """Download the official files listed in the manifest into DEST, then say what changed (fails fast without
    a network; DEST changes only when every download succeeded)."""
    from cscbook.acquire.fetch import fetch as download
    from cscbook.acquire.manifest import SETS

    done = download(manifest, dest, sets=SETS if which == "all" else (which,))
    for line in done.report:
        click.echo(line)
    click.echo(f"fetched {len(done.paths)} files into {dest}")


@app.command()
@build_dir_option
def check(build_dir: Path) -> None:
    """Check the built site in headless Chromium: accessibility (axe-core), console, images, interactive charts,
    the data banner and links."""
    import json

    from cscbook.site import browsercheck, linkcheck

    html = build_dir / "html"
    if not (html / "index.html").is_file():
        raise UserError(str(html), "no built site here", "run `cscbook build` first")
    if not browsercheck.chromium_available():
        raise UserError(
            "chromium", "Chromium, chromedriver or selenium is not installed", "the check runs the site in Chromium"
        )
    record_file = build_dir / "run_record.json"
    if record_file.is_file():
        synthetic = json.loads(record_file.read_text()).get("data", {}).get("source") == "synthetic"
    else:
        synthetic = "synthetic" in linkcheck.landing_page(html).read_text(errors="replace").lower()
    report = browsercheck.inspect_site(html, synthetic=synthetic, screenshots=build_dir / "screenshots")
    click.echo(
        f"checked {report.pages} pages, {report.images} images, {report.links} links in {report.seconds:.1f} s: "
        f"{len(report.problems)} problem(s)"
    )
    click.echo(browsercheck.axe_summary(report))
    for line in report.problems:
        click.echo(line)
    if report.problems:
        sys.exit(1)


def main() -> None:
    """Entry point: user errors print one line and exit 2; --debug shows the traceback."""
    debug = "--debug" in sys.argv
    # Ctrl-C always stops the build cleanly, even when started from a process that ignores it
    # (Python installs no KeyboardInterrupt handler for a signal ignored at start-up).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    procs.end_on_sigterm()  # SIGTERM ends a command as Ctrl-C does: nothing it started outlives it
    try:
        app.main(standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        click.echo(exc.line(), err=True)
        sys.exit(2)
    except (procs.Terminated, click.exceptions.Abort, KeyboardInterrupt) as exc:
        # click turns Ctrl-C (and SIGTERM, raised as Terminated) into Abort: the cause says which it was
        if isinstance(exc, procs.Terminated) or isinstance(exc.__cause__, procs.Terminated):
            click.echo("error: terminated; the previous site is unchanged (terminate)", err=True)
            sys.exit(143)
        click.echo("error: interrupted; the previous site is unchanged (interrupt)", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"error: {' '.join(exc.format_message().split())} (usage: cscbook --help)", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # the machine's limits (disk full, too many open files), not the book's code
        if debug:
            raise
        where = exc.filename or "cscbook"
        click.echo(f"error: {where}: {exc.strerror or exc} (a limit of this machine: errno {exc.errno})", err=True)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"error: {type(exc).__name__}: {' '.join(str(exc).split())} (unexpected; rerun with --debug)", err=True
        )
        sys.exit(1)
