"""What an archive may unpack to: the bounds every reader of a ZIP (a release's archive, a workbook, a
download) applies before it expands anything, so a small file cannot take the machine's memory or disk."""

from __future__ import annotations

import zipfile
from pathlib import Path

from cscbook.errors import UserError

#: An archive member (a workbook's XML, a release's file) may unpack to at most this many bytes, and one over
#: RATIO_FROM bytes to at most MAX_RATIO times its compressed size (published files compress 5 to 40 times).
MAX_MEMBER = 1024**3
MAX_RATIO = 200
RATIO_FROM = 16 * 1024**2
#: A ZIP with more members than this is not a statistical release.
MAX_MEMBERS = 5_000


def check_member(where: Path | str, info: zipfile.ZipInfo) -> None:
    """Refuse an archive member that is encrypted or would unpack past the bounds."""
    if info.flag_bits & 0x1:
        raise UserError(where, f"member {info.filename!r} is encrypted: it cannot be read", "archive-encrypted")
    if info.file_size > MAX_MEMBER:
        raise UserError(
            where, f"member {info.filename!r} unpacks to {info.file_size:,} bytes, over {MAX_MEMBER:,}", "archive-size"
        )
    if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise UserError(
            where,
            f"member {info.filename!r} unpacks to {info.file_size / max(info.compress_size, 1):,.0f} times its size "
            f"(more than {MAX_RATIO} is a ZIP bomb, not a published file)",
            "archive-ratio",
        )


def check_archive(where: Path | str, z: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Every member of ``z``, each within the bounds (see :func:`check_member`), and not too many of them."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UserError(where, f"the archive has {len(infos):,} members, over {MAX_MEMBERS:,}", "archive-members")
    for info in infos:
        if not info.is_dir():
            check_member(where, info)
    return infos
