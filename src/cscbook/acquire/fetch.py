"""Download the official files listed in ``data/sources.yml``: fail fast offline, refuse what is not a data
file, stay inside the destination, stop at a size cap, verify against the pin, fall back to a pinned mirror,
and change the destination only when every download succeeded (then report what changed)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cscbook.acquire import changes
from cscbook.acquire.manifest import DEFAULT_CAP, SETS, cap_of, load_manifest, target_of
from cscbook.errors import UserError
from cscbook.fsutil import file_sha256
from cscbook.limits import check_member

__all__ = ["DEFAULT_CAP", "Fetched", "fetch", "looks_like_html"]

#: How a web page begins (a landing page saved as data is the commonest wrong download).
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<!--")
#: A member unpacked from a publisher's archive may be at most this large.
MAX_MEMBER = 2 * 1024**3
#: The EES content API's answer about a release is small JSON.
SUMMARY_CAP = 1024 * 1024
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class Fetched:
    """What a fetch wrote, from where, and what changed against the previous download."""

    paths: list[Path] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # file -> the URL it came from
    report: list[str] = field(default_factory=list)


def looks_like_html(content_type: str, head: bytes) -> bool:
    return "html" in content_type.lower() or head.lstrip().lower().startswith(HTML_STARTS)


def fetch(manifest: Path, dest: Path, timeout: float = 10.0, sets: tuple[str, ...] = SETS) -> Fetched:
    """Download each entry of ``sets`` to ``dest/<file>``. Every destination is checked before anything is
    fetched; downloads go to a staging folder, and ``dest`` changes only when all of them succeeded."""
    dest = Path(dest)
    listed = load_manifest(manifest, sets)
    if not listed:
        raise UserError(manifest, f"no entries in the set {' or '.join(sets)}", "manifest: set")
    entries = [e for e in listed if not e.get("from_tool")]
    targets = [target_of(manifest, dest, e) for e in listed]
    targets = [t for e, t in zip(listed, targets) if not e.get("from_tool")]
    skipped = [
        f"not made {e['file']}: a tool's own data, made by hand (see its note)" for e in listed if e.get("from_tool")
    ]
    made = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest))
    ok = False
    try:
        done, notes = Fetched(), {}
        staged = [staging / str(k) / t.name for k, t in enumerate(targets)]
        for entry, out in zip(entries, staged):
            done.used[str(entry["file"])], notes[str(entry["file"])] = _get(entry, out, timeout)
        done.report = changes.apply(dest, [str(e["file"]) for e in entries], staged, targets, notes) + skipped
        done.paths, ok = targets, True
        return done
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made and not ok:
            shutil.rmtree(dest, ignore_errors=True)  # a first fetch that failed leaves no folder behind


def _get(entry: dict, out: Path, timeout: float) -> tuple[str, str]:
    """Download an entry from its URL, or from its mirror when that fails: (the URL used, a note)."""
    mirror = entry.get("mirror")
    try:
        url = _resolve(entry, timeout)
        _download(entry, url, out, timeout)
        return url, ""
    except UserError as first:
        if not mirror:
            raise
        try:
            _download(entry, mirror, out, timeout)
        except UserError as err:
            raise UserError(err.where, f"{err.what}; the publisher's URL failed too: {first.what}", err.rule) from None
        return mirror, f"from the mirror: the publisher's file failed ({first.rule}: {first.what})"


def _resolve(entry: dict, timeout: float) -> str:
    """The entry's URL; for an EES release, with the release version's id looked up in the content API."""
    url, ees = str(entry["url"]), entry.get("ees")
    if not ees:
        return url
    parts = urllib.parse.urlsplit(url)
    summary = f"{parts.scheme}://{parts.netloc}/api/publications/{ees['publication']}/releases/{ees['release']}"
    summary += "/version-summary"
    fd, tmp = tempfile.mkstemp(prefix=".summary.")
    os.close(fd)
    try:
        _stream(summary, Path(tmp), SUMMARY_CAP, timeout)
        found = json.loads(Path(tmp).read_text()).get("id", "")
    except (ValueError, AttributeError):
        found = ""
    finally:
        os.unlink(tmp)
    if not GUID.fullmatch(str(found)):
        raise UserError(summary, "the answer names no release version id", "ees")
    return url.format(release_version_id=found)


def _download(entry: dict, url: str, out: Path, timeout: float) -> None:
    """Download ``url`` to ``out`` (unpacking ``member`` when set) and verify it against the pin."""
    out.parent.mkdir(parents=True, exist_ok=True)
    got = out.with_name(out.name + ".download") if entry.get("member") else out
    try:
        _stream(url, got, cap_of(entry), timeout)
        if entry.get("member"):
            _unpack(url, got, str(entry["member"]), out)
        size = out.stat().st_size
        if entry.get("sha256") and (sha := file_sha256(out)) != entry["sha256"]:
            raise UserError(url, f"sha256 {sha[:12]}… does not match the manifest", "checksum")
        if entry.get("size") and size != int(entry["size"]):
            raise UserError(url, f"size {size} does not match the manifest ({entry['size']})", "checksum")
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        if got != out:
            got.unlink(missing_ok=True)


def _stream(url: str, out: Path, cap: int, timeout: float) -> None:
    size, expected = 0, None
    try:
        with open(out, "wb") as fh, urllib.request.urlopen(url, timeout=timeout) as resp:
            ctype = resp.headers.get("Content-Type", "")
            expected = resp.headers.get("Content-Length")
            while block := resp.read(1 << 16):
                if size == 0 and looks_like_html(ctype, block[:512]):
                    raise UserError(url, f"the response is a web page ({ctype or 'HTML'}), not a data file", "not-data")
                size += len(block)
                if size > cap:
                    raise UserError(url, f"the download passed {cap:,} bytes and was stopped", "size cap")
                fh.write(block)
        if expected is not None and expected.isdigit() and size != int(expected):
            raise http.client.IncompleteRead(b"", int(expected) - size)
        if size == 0:
            raise UserError(url, "the response is empty", "not-data")
    except http.client.IncompleteRead:
        raise UserError(url, f"the response ended after {size:,} of {expected} bytes", "truncated") from None
    except urllib.error.HTTPError as err:
        raise UserError(url, f"download failed: HTTP {err.code} {err.reason}", "network") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as err:
        raise UserError(url, f"download failed: {getattr(err, 'reason', err)}", "network") from None


def _unpack(url: str, archive: Path, member: str, out: Path) -> None:
    name = PurePosixPath(member)
    if name.is_absolute() or ".." in name.parts:
        raise UserError(url, f"member {member!r} names a path outside the archive", "archive")
    try:
        with zipfile.ZipFile(archive) as z:
            info = z.getinfo(member)
            if info.file_size > MAX_MEMBER:
                raise UserError(url, f"member {member!r} unpacks to more than {MAX_MEMBER:,} bytes", "archive")
            check_member(url, info)  # encrypted, or a ZIP bomb
            with z.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except KeyError:
        raise UserError(url, f"the archive has no member {member!r}", "archive") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise UserError(url, f"not a readable ZIP archive ({' '.join(str(err).split())[:120]})", "archive") from None
