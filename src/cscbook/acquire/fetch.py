"""Download the official files listed in ``data/sources.yml``: fail fast offline, refuse what is not a data
file, stay inside the destination, stop at a size cap, verify, and write atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from cscbook.errors import UserError

#: A download stops beyond this many bytes unless its manifest entry states ``size`` (or ``max_bytes``).
DEFAULT_CAP = 512 * 1024 * 1024
#: How a web page begins (a landing page saved as data is the commonest wrong download).
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<!--")


def load_manifest(manifest: Path) -> list[dict]:
    try:
        data = yaml.safe_load(Path(manifest).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise UserError(manifest, f"cannot read manifest: {type(err).__name__}", "manifest") from None
    sources = (data or {}).get("sources")
    if not isinstance(sources, list) or not all(
        isinstance(s, dict) and s.get("url") and s.get("file") for s in sources
    ):
        raise UserError(manifest, "expected 'sources:' as a list of entries with 'url' and 'file'", "manifest")
    return sources


def target_of(manifest: Path, dest: Path, entry: dict) -> Path:
    """Where an entry's file goes: inside ``dest``, or a one-line error naming the entry."""
    name = str(entry["file"])
    root = dest.resolve()
    target = (root / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(root) or target == root:
        raise UserError(manifest, f"file {name!r} is outside the destination {dest}", "manifest: file within --dest")
    return target


def cap_of(entry: dict) -> int:
    """The most bytes an entry may download: its stated size, its ``max_bytes``, or the default cap."""
    for key in ("size", "max_bytes"):
        if entry.get(key):
            return int(entry[key])
    return DEFAULT_CAP


def looks_like_html(content_type: str, head: bytes) -> bool:
    return "html" in content_type.lower() or head.lstrip().lower().startswith(HTML_STARTS)


def fetch(manifest: Path, dest: Path, timeout: float = 10.0) -> list[Path]:
    """Download each source to ``dest/<file>``; a partial, refused or unverified download never replaces a
    good file and leaves nothing behind. Every entry's destination is checked before anything is fetched."""
    dest = Path(dest)
    sources = load_manifest(manifest)
    targets = [target_of(manifest, dest, src) for src in sources]
    dest.mkdir(parents=True, exist_ok=True)
    return [_download(src, target, dest.resolve(), timeout) for src, target in zip(sources, targets)]


def _download(src: dict, target: Path, root: Path, timeout: float) -> Path:
    url, cap = src["url"], cap_of(src)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=root)  # same file system as the target
    try:
        h, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            ctype = resp.headers.get("Content-Type", "")
            while block := resp.read(1 << 16):
                if size == 0 and looks_like_html(ctype, block[:512]):
                    raise UserError(url, f"the response is a web page ({ctype or 'HTML'}), not a data file", "not-data")
                size += len(block)
                if size > cap:
                    raise UserError(url, f"the download passed {cap:,} bytes and was stopped", "size cap")
                out.write(block)
                h.update(block)
        if src.get("sha256") and h.hexdigest() != src["sha256"]:
            raise UserError(url, f"sha256 {h.hexdigest()[:12]}… does not match the manifest", "checksum")
        if src.get("size") and size != int(src["size"]):
            raise UserError(url, f"size {size} does not match the manifest ({src['size']})", "checksum")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise UserError(url, f"download failed: {reason}", "network") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
