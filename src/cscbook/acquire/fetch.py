"""Download the official files listed in ``data/sources.yml``: fail fast offline, verify, write atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from cscbook.errors import UserError


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


def fetch(manifest: Path, dest: Path, timeout: float = 10.0) -> list[Path]:
    """Download each source to ``dest/<file>``; a partial or unverified download never replaces a good file."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for src in load_manifest(manifest):
        target = dest / src["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        url = src["url"]
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            h, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                while block := resp.read(1 << 16):
                    out.write(block)
                    h.update(block)
                    size += len(block)
            if src.get("sha256") and h.hexdigest() != src["sha256"]:
                raise UserError(url, f"sha256 {h.hexdigest()[:12]}… does not match the manifest", "checksum")
            if src.get("size") and size != int(src["size"]):
                raise UserError(url, f"size {size} does not match the manifest ({src['size']})", "checksum")
            os.replace(tmp, target)
            done.append(target)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = getattr(err, "reason", err)
            raise UserError(url, f"download failed: {reason}", "network") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return done
