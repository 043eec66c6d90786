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
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
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
#: The EES content API's answer about a release is small JSON.
SUMMARY_CAP = 1024 * 1024
#: A page that begins with other markup (an XML declaration, a comment) still holds one of these tags early on.
PAGE_TAG = re.compile(rb"<(html|head|body)\b")
#: One download may take at most this long in all, however slowly its bytes arrive.
MAX_SECONDS = 900.0
#: Content encodings a server may apply, and how each is undone (as zlib's window bits).
ENCODINGS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class Fetched:
    """What a fetch wrote, from where, and what changed against the previous download."""

    paths: list[Path] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # file -> the URL it came from
    report: list[str] = field(default_factory=list)


def looks_like_html(content_type: str, head: bytes) -> bool:
    """A web page, by its type or by its first bytes (after any byte-order mark), whatever type it is served as."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    markup = start.startswith(b"<") and bool(PAGE_TAG.search(start[:2048]))
    return "html" in content_type.lower() or start.startswith(HTML_STARTS) or markup


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
    check_targets(manifest, entries, targets)
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


def check_targets(manifest: Path, entries: list[dict], targets: list[Path]) -> None:
    """Before anything is fetched: no two entries write one file, and each file can be written where it goes (it
    is not a folder, inside a file, or the folder of another entry's file)."""
    owner: dict[Path, str] = {}
    for entry, target in zip(entries, targets):
        name = str(entry["file"])
        if target in owner:
            raise UserError(
                manifest, f"entries {owner[target]!r} and {name!r} both write {target.name}", "manifest: one file each"
            )
        owner[target] = name
    for target, name in owner.items():
        blocked = target.is_dir() or any(p.is_file() or p in owner for p in target.parents)
        if blocked:
            raise UserError(manifest, f"file {name!r} cannot be written: {target} or a folder above it is taken",
                            "manifest: a file in a folder")  # fmt: skip


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
    except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, or nested past reading
        found = ""
    finally:
        os.unlink(tmp)
    if not GUID.fullmatch(str(found)):
        raise UserError(summary, "the answer names no release version id", "ees")
    try:
        return url.format(release_version_id=found)
    except (KeyError, IndexError, ValueError) as err:
        raise UserError(f"{entry['file']}", f"url {url[:120]!r} is not a template with only {{release_version_id}} "
                        f"({type(err).__name__})", "manifest: url")  from None  # fmt: skip


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


def _stream(url: str, out: Path, cap: int, timeout: float, seconds: float | None = None) -> None:
    """Save ``url`` to ``out``: at most ``cap`` bytes (after undoing any content encoding), in at most ``seconds``
    however slowly the bytes come, and never a web page."""
    size, expected, received = 0, None, 0
    seconds = MAX_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    try:
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, identity"})
        with open(out, "wb") as fh, urllib.request.urlopen(request, timeout=timeout) as resp:
            ctype = resp.headers.get("Content-Type", "")
            expected = resp.headers.get("Content-Length")
            coding = resp.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
            if coding not in ENCODINGS and coding != "identity":
                raise UserError(url, f"the response is encoded as {coding[:20]!r}, which cannot be read", "network")
            undo = zlib.decompressobj(ENCODINGS[coding]) if coding in ENCODINGS else None
            while raw := resp.read1(1 << 16):
                received += len(raw)
                block = undo.decompress(raw, cap + 1 - size) if undo else raw
                if size == 0 and block and looks_like_html(ctype, block[:2048]):
                    raise UserError(url, f"the response is a web page ({ctype or 'HTML'}), not a data file", "not-data")
                size += len(block)
                if size > cap or (undo is not None and undo.unconsumed_tail):
                    raise UserError(url, f"the download passed {cap:,} bytes and was stopped", "size cap")
                fh.write(block)
                if time.monotonic() > deadline:
                    raise UserError(url, f"the download took more than {seconds:,.0f} s and was stopped", "too slow")
            if undo is not None:
                fh.write(undo.flush())
        if expected is not None and expected.isdigit() and received != int(expected):
            raise http.client.IncompleteRead(b"", int(expected) - received)
        if size == 0:
            raise UserError(url, "the response is empty", "not-data")
    except zlib.error:
        raise UserError(url, f"the response claims {coding} encoding but is not", "truncated") from None
    except http.client.IncompleteRead:
        raise UserError(url, f"the response ended after {received:,} of {expected} bytes", "truncated") from None
    except urllib.error.HTTPError as err:
        raise UserError(url, f"download failed: HTTP {err.code} {err.reason}", "network") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as err:
        raise UserError(url, f"download failed: {getattr(err, 'reason', err)}", "network") from None
    except ValueError as err:  # not a URL urllib can open
        raise UserError(url[:200], f"not a URL that can be fetched ({err})"[:200], "manifest: url") from None


def _unpack(url: str, archive: Path, member: str, out: Path) -> None:
    name = PurePosixPath(member)
    if name.is_absolute() or ".." in name.parts:
        raise UserError(url, f"member {member!r} names a path outside the archive", "archive")
    try:
        with zipfile.ZipFile(archive) as z:
            info = z.getinfo(member)
            check_member(url, info)  # encrypted, too large, or a ZIP bomb
            with z.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except KeyError:
        raise UserError(url, f"the archive has no member {member!r}", "archive") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise UserError(url, f"not a readable ZIP archive ({' '.join(str(err).split())[:120]})", "archive") from None
