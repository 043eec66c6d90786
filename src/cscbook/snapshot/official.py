"""A folder of published files read into a checked panel: ingest, harmonise and validate, the one path by which
official data reach a build or the committed snapshot (both import it; it imports neither)."""

from __future__ import annotations

from pathlib import Path

from cscbook import contract
from cscbook.errors import UserError


def ingest_official(folder: Path, cache: Path | None = None):
    """Read a folder of official files (cached per file on its hash in ``cache``, when given)."""
    from cscbook.ingest import ingest_folder

    if not Path(folder).is_dir():
        raise UserError(
            str(folder), "data folder not found", "data must be 'official', 'synthetic' or a folder of official files"
        )
    return ingest_folder(Path(folder), cache=cache)


def harmonise_checked(ingested, geography: str = "2018") -> contract.Prepared:
    """Harmonise ingested official files and run the panel checks: every path that reads official data
    goes through here, so a panel that breaks a rule stops with the rule's one-line error."""
    from cscbook import validate
    from cscbook.harmonise import harmonise

    prep = harmonise(ingested, geography=geography)
    validate.validate_prepared(prep)
    return prep
