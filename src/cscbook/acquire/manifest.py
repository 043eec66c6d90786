"""The download manifest (``data/sources.yml``): its entries, where each one's file goes, and what it covers.

Each entry of ``sources:`` has a ``file`` (its path under ``--dest``) and a ``url`` (the publisher's direct
download). Optional fields:

- ``set``: ``snapshot`` (a file the committed snapshot was made from, pinned by ``sha256``) or ``latest`` (the
  publisher's newest release, not pinned); ``cscbook fetch --set`` picks one or both.
- ``mirror``: a byte-identical copy at a pinned commit, used when the publisher's file fails or no longer
  matches the pin.
- ``member``: the file is this member of the ZIP archive that ``url`` serves.
- ``ees``: ``{publication, release}``; ``url`` holds ``{release_version_id}``, looked up in the EES content API.
- ``sha256``, ``size``, ``max_bytes``: the pin and the download cap.
- ``members``: the data files inside an archive entry that the snapshot names ``<file>/<member>``.
- ``from_tool``: the file exists only as a tool's own data (such as LAIT's); ``note`` says how it was made.
- ``publisher``, ``title``, ``licence``, ``note``: provenance, for people.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cscbook.errors import UserError

SETS = ("snapshot", "latest")
FIELDS = {
    "file", "url", "set", "mirror", "member", "ees", "sha256", "size", "max_bytes", "members", "from_tool",
    "publisher", "title", "licence", "note",
}  # fmt: skip
#: A download stops beyond this many bytes unless its manifest entry states ``size`` (or ``max_bytes``).
DEFAULT_CAP = 512 * 1024 * 1024


def load_manifest(manifest: Path, sets: tuple[str, ...] = SETS) -> list[dict]:
    """The entries of ``manifest`` in the chosen sets, each checked; a one-line error names the entry."""
    try:
        data = yaml.safe_load(Path(manifest).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise UserError(manifest, f"cannot read manifest: {type(err).__name__}", "manifest") from None
    sources = (data or {}).get("sources")
    if not isinstance(sources, list) or not all(
        isinstance(s, dict) and s.get("url") and s.get("file") for s in sources
    ):
        raise UserError(manifest, "expected 'sources:' as a list of entries with 'url' and 'file'", "manifest")
    for entry in sources:
        _check(manifest, entry)
    return [s for s in sources if s.get("set", "snapshot") in sets]


def _check(manifest: Path, entry: dict) -> None:
    where = f"{manifest}: {entry['file']}"
    if unknown := sorted(set(entry) - FIELDS):
        raise UserError(where, f"unknown field {unknown[0]!r}", "manifest: known fields")
    if entry.get("set", "snapshot") not in SETS:
        raise UserError(where, f"set {entry['set']!r} is not one of {', '.join(SETS)}", "manifest: set")
    for key in ("size", "max_bytes"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise UserError(where, f"{key} {str(value)[:30]!r} is not a whole number of bytes", f"manifest: {key}")
    for key in ("file", "url", "member", "sha256", "mirror"):
        if entry.get(key) is not None and not isinstance(entry[key], str | int | float):
            raise UserError(where, f"{key} is not text", f"manifest: {key}")
    ees = entry.get("ees")
    if ees is not None and not (isinstance(ees, dict) and ees.get("publication") and ees.get("release")):
        raise UserError(where, "ees needs a publication and a release", "manifest: ees")
    if (ees is not None) != ("{release_version_id}" in str(entry["url"])):
        raise UserError(
            where, "an ees entry's url holds {release_version_id}, and only an ees entry's", "manifest: ees"
        )


def target_of(manifest: Path, dest: Path, entry: dict) -> Path:
    """Where an entry's file goes: inside ``dest``, or a one-line error naming the entry."""
    name = str(entry["file"])
    root = dest.resolve()
    target = (root / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(root) or target == root:
        raise UserError(manifest, f"file {name!r} is outside the destination {dest}", "manifest: file within --dest")
    return target


def cap_of(entry: dict) -> int:
    """The most bytes an entry may download: its stated size, its ``max_bytes``, or the default cap (an
    archive that holds the file as a ``member`` is capped by ``max_bytes`` alone)."""
    for key in ("max_bytes",) if entry.get("member") else ("size", "max_bytes"):
        if entry.get(key):
            return int(entry[key])
    return DEFAULT_CAP


def covered(entries: list[dict]) -> set[str]:
    """The input names (as ingest records them) that the entries provide: each file, and each archive member."""
    names = {str(e["file"]) for e in entries}
    return names | {f"{e['file']}/{m}" for e in entries for m in e.get("members") or []}
