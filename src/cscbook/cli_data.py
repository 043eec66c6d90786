"""Data commands behind ``cscbook ingest``, ``validate`` and ``fetch`` (options are declared in ``cli``)."""

from __future__ import annotations

from pathlib import Path

import click

from cscbook import contract
from cscbook.harmonise import harmonise
from cscbook.ingest import ingest_folder


def _print_inventory(inv) -> None:
    for r in inv.itertuples():
        if r.status == "unrecognised":
            click.echo(f"  unrecognised  {r.path}: {r.note}")
        else:
            click.echo(
                f"  {r.source:<16} {r.vintage:<42} {r.years:<10} {r.authorities:>4} LAs {r.rows:>7} rows  {r.path}"
                + ("  (duplicate)" if r.status == "duplicate" else "")
            )


def ingest_cmd(
    folder: Path,
    out: Path = Path("_build/data/official"),
    geography: str = "2018",
) -> None:
    """Read the official files, print the inventory and write the prepared folder (flags.csv is the data log)."""
    result = ingest_folder(folder)
    _print_inventory(result.inventory)
    prep = harmonise(result, geography)
    contract.write_prepared(prep, out)
    click.echo(f"wrote {out} ({len(prep.panel)} LA-years, {len(prep.flags)} flags)")


def validate_cmd(
    folder: Path,
    geography: str = "2018",
) -> None:
    """Ingest and harmonise, then run the panel's validation rules."""
    prep = harmonise(ingest_folder(folder), geography)
    try:
        from cscbook.validate import validate_prepared
    except ImportError:  # validation module not installed in this build
        click.echo("validation rules not available; ingest and harmonise succeeded")
        return
    validate_prepared(prep)
    click.echo(f"ok: {len(prep.panel)} LA-years pass every rule")


def fetch_cmd(
    dest: Path = Path("data/raw"),
    manifest: Path = Path("data/sources.yml"),
) -> None:
    """Download every source in the manifest (fails fast without network)."""
    from cscbook.acquire import fetch

    for path in fetch(manifest, dest):
        click.echo(f"  {path}")
