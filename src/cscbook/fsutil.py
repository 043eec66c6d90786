"""File-system helpers: atomic replacement of folders and files, and content hashes."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; on success it replaces ``target``.

    On any exception (including KeyboardInterrupt) the temporary folder is removed and
    ``target`` is left exactly as it was.
    """
    target = Path(target)
    ensure_writable(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        remove_tree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, target)


def remove_tree(path: Path, ignore_errors: bool = False) -> None:
    """Remove a folder (or file) cscbook made, also when a read-only copy left entries that cannot be deleted: the
    folder holding them is made writable, and the removal tried again. Nothing if it does not exist."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir() or path.is_symlink():
        path.unlink()
        return

    def retry(func, name, exc) -> None:
        try:
            os.chmod(os.path.dirname(name) or ".", 0o700)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
            func(name)
        except OSError:
            if not ignore_errors:
                raise

    shutil.rmtree(path, onerror=lambda func, name, info: retry(func, name, info[1]))


def copy_writable(src: Path, dst: Path, ignore=None) -> None:
    """Copy a file or folder of the checkout into the build, as files the build owns: contents only, never the
    permission bits, so a read-only checkout gives a build folder the next run can change and remove."""
    src, dst = Path(src), Path(dst)
    if src.is_dir():
        shutil.copytree(src, dst, ignore=ignore, copy_function=shutil.copyfile, dirs_exist_ok=True)
        for root, dirs, _files in os.walk(dst):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(dst, 0o755)
    else:
        shutil.copyfile(src, dst)


def clear_unfinished(folder: Path) -> list[Path]:
    """Remove the temporary folders that :func:`atomic_dir` and :func:`swap_in` leave when their process is
    killed (``.<name>.new-*``, ``.<name>.old-*``), in ``folder`` and its first level. Call it only while no
    other process can be writing there (a build holds its folder's lock)."""
    stale = re.compile(r"^\..+\.(new|old)-")
    tops = [folder, *(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))]
    found = [p for top in tops for p in top.iterdir() if p.is_dir() and stale.match(p.name)]
    for p in found:
        remove_tree(p, ignore_errors=True)
    return found


def warn_damaged(path: Path, err: Exception, then: str = "it is made again") -> None:
    """The one line a cache entry that cannot be read prints before it is made again."""
    import sys

    print(f"warning: {path}: unreadable cache entry ({type(err).__name__}); {then}", file=sys.stderr)


def ensure_writable(folder: Path) -> None:
    """Create ``folder`` if needed and check that files can be made in it, before any work is done."""
    from cscbook.errors import UserError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise UserError(
            str(folder), f"cannot write here: {exc.strerror}", "the output folder must be writable"
        ) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: the bytes go to a temporary file beside it, then replace it, so
    a killed process, or another writer of the same file, never leaves half a file there."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(data)
    os.replace(part, path)


def swap_in(new: Path, target: Path) -> None:
    """Replace folder ``target`` by folder ``new`` with two renames, never leaving neither."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        remove_tree(old)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        remove_tree(old, ignore_errors=True)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


#: A text cell that a spreadsheet would read as a formula starts with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A signed number written as text ('+7.0%', '-1,234'): a spreadsheet reads it as a number, never a formula.
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def map_text(df, fn, labels: bool = False):
    """A copy of ``df`` with ``fn`` applied to every text cell (and to the index, or with ``labels`` to every
    index and column label and their names); numbers are left as they are."""
    import pandas as pd

    def text(values) -> bool:
        return values.dtype == object or pd.api.types.is_string_dtype(values)

    def one(x):
        return fn(x) if isinstance(x, str) else x

    out = df.copy()
    for col in out.columns:
        if text(out[col]):
            out[col] = out[col].map(one)
    if not isinstance(out.index, pd.MultiIndex) and (labels or text(out.index)):
        out.index = out.index.map(one)
    if labels:
        if not isinstance(out.columns, pd.MultiIndex):
            out.columns = out.columns.map(one)
        out.index.name, out.columns.name = one(df.index.name), one(df.columns.name)
    return out


def csv_safe(df):
    """A copy of ``df`` for a download: every text cell a spreadsheet would read as a formula, and every such
    column header, index label and their names (an authority's name heads a column of a profile's tables),
    gets a leading apostrophe, so that it shows as text (numbers, in numeric columns, stay numbers)."""

    def safe(x: str) -> str:
        return "'" + x if x.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(x) else x

    return map_text(df, safe, labels=True)


#: The file cscbook leaves in a folder it made, so that it knows the folder is its own to replace.
MARKER = ".cscbook"


def claim(folder: Path, owned: set[str], inputs: tuple[Path, ...] = (), what: str = "output folder") -> None:
    """Check that ``folder`` may be written (and replaced) by cscbook, before any work is done.

    It may not be, or hold, or lie inside, one of ``inputs`` (the data a command reads); and if it exists
    it must be empty, carry cscbook's marker, or hold only the entries ``owned`` names (what the command
    writes there). Anything else in it was not written by cscbook, so the command refuses rather than
    replace it. A one-line error names the folder and the first foreign entry.
    """
    from cscbook.errors import UserError

    target = Path(folder).resolve()
    for src in inputs:
        s = Path(src).resolve()
        if target == s or s.is_relative_to(target) or target.is_relative_to(s):
            raise UserError(
                folder, f"the {what} would hold or replace the input folder {src}", "output apart from input"
            )
    if not target.exists():
        return
    if not target.is_dir():
        raise UserError(folder, f"the {what} is a file, not a folder", "output folder")
    entries = sorted(p.name for p in target.iterdir())
    if MARKER in entries:
        return
    foreign = [e for e in entries if e not in owned and not e.startswith(".")]
    if foreign:
        raise UserError(
            folder,
            f"the {what} holds files cscbook did not write ({', '.join(foreign[:3])}"
            + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            + "): choose an empty or new folder",
            "output folder",
        )


def mark(folder: Path) -> None:
    """Leave cscbook's marker in a folder it made (see :func:`claim`)."""
    Path(folder, MARKER).write_text("made by cscbook; cscbook may replace this folder\n")


@contextmanager
def exclusive(folder: Path, what: str = "build folder") -> Iterator[None]:
    """Hold ``folder``'s lock while the block runs; a second holder is refused at once with one line naming
    the process that has it. The operating system drops the lock when its process ends, however it ends."""
    import fcntl

    from cscbook.errors import UserError

    path = Path(folder) / ".lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise UserError(
            folder, f"another cscbook run (process {holder}) is using this {what}", "one run per folder"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@functools.cache
def code_hash() -> str:
    """A hash of the package's source files (computed once per process)."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for f in sorted(pkg.rglob("*.py")):
        h.update(f.relative_to(pkg).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def read_json(path: Path) -> dict | None:
    """A cache file's JSON, or None when it is missing; a damaged one is None too, with one line of warning
    (the entry is then made again, so a truncated or emptied cache never stops a build)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        warn_damaged(path, err)
        return None
