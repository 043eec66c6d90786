"""ZIP archives as the publishers serve them (a release's "download all files"): the data files inside are
read like any other file of the folder, named ``<archive>/<member>`` in the inventory."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from cscbook.errors import UserError
from cscbook.fsutil import file_sha256
from cscbook.limits import check_archive

#: Members read from an archive (other members, such as PDFs and metadata, are not data).
MEMBER_SUFFIXES = {".csv", ".xls", ".xlsx", ".ods"}
#: An archive that would unpack to more than this is refused (a ZIP bomb, or not a statistical release).
MAX_UNPACKED = 2 * 1024**3


def listing(folder: Path, files: list[Path], scratch: Path) -> list[tuple[str, Path]]:
    """(name in the inventory, file to read) for each file under ``folder``; an archive's data members are
    unpacked into ``scratch`` and listed as ``<archive>/<member>``."""
    out: list[tuple[str, Path]] = []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() == ".zip":
            out += _members(path, rel, scratch / str(len(out)))
        else:
            out.append((rel, path))
    return out


def _members(path: Path, rel: str, into: Path) -> list[tuple[str, Path]]:
    try:
        with zipfile.ZipFile(path) as z:
            listed = check_archive(path, z)  # encrypted, too many members, a bomb: refused by name
            if nested := next((i.filename for i in listed if i.filename.lower().endswith(".zip")), None):
                raise UserError(
                    path, f"member {nested!r} is an archive inside the archive: unpack it beside it", "archive-nested"
                )
            infos = [i for i in listed if _is_data(i)]
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise UserError(path, f"the archive unpacks to more than {MAX_UNPACKED:,} bytes", "archive")
            out, seen = [], {}  # member name -> (its entry number, its unpacked file)
            for k, info in enumerate(infos):
                name = PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise UserError(path, f"member {info.filename!r} names a path outside the archive", "archive")
                target = into / str(k) / name.name
                target.parent.mkdir(parents=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if info.filename in seen:  # one name, two entries: the same file twice, or a conflict
                    first, earlier = seen[info.filename]
                    if file_sha256(earlier) != file_sha256(target):
                        raise UserError(
                            path,
                            f"members {first + 1} and {k + 1} are both named {info.filename!r} and differ: "
                            "which one is the release's file cannot be told",
                            "archive-conflict",
                        )
                    continue
                seen[info.filename] = (k, target)
                out.append((f"{rel}/{info.filename}", target))
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise UserError(path, f"not a readable ZIP archive ({' '.join(str(err).split())[:120]})", "archive") from None


def _is_data(info: zipfile.ZipInfo) -> bool:
    name = PurePosixPath(info.filename)
    return (
        not info.is_dir()
        and name.suffix.lower() in MEMBER_SUFFIXES
        and not name.name.startswith(".")
        and "__MACOSX" not in name.parts
    )


def named(err: UserError, read: Path, shown: Path) -> UserError:
    """The error of a file read from an archive, naming the member as the inventory does."""
    return UserError(shown, err.what, err.rule) if err.where == str(read) else err
