"""What every archive format shares: member entries (names cleaned, never used as paths)
and the source stream's size and random access."""

from __future__ import annotations

import io
from datetime import datetime

from seawall.evidence._common import display_text, make_key
from seawall.evidence.archives.limits import MIB
from seawall.evidence.base import EvidenceError, FileEntry

_MAX_SPOOL = 64 * MIB  # non-seekable zip/7z streams are held in memory up to this size


def member_entry(parent: FileEntry, name: str | bytes, index: int, size: int | None,
                 mtime: datetime | None, kind: str) -> FileEntry:
    text, raw = display_text(name)
    entry = FileEntry(
        # The index keeps keys unique when an archive holds the same name twice.
        file_key=make_key(parent.file_key, f"{index}:{text}"),
        locator=None,
        path=f"{parent.path}!/{text}",
        volume=parent.volume,
        inode=None,
        allocated=parent.allocated,
        kind="archive_member",
        size=size,
        mtime=mtime,
        parent_key=parent.file_key,
        extra={"archive": kind, "member": text, "index": index},
    )
    if raw is not None:
        parent_raw = parent.path_bytes or parent.path.encode("utf-8", "surrogatepass")
        entry.path_bytes = parent_raw + b"!/" + raw
    if text.startswith("/") or "../" in text or text.startswith("..") or "\\..\\" in text:
        entry.extra["unsafe_name"] = True  # recorded only; we never write members anywhere
    return entry


def source_size(fileobj) -> int | None:
    try:
        if fileobj.seekable():
            position = fileobj.tell()
            size = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(position)
            return size
    except (OSError, AttributeError, ValueError):
        pass
    return None


def seekable(fileobj, what: str):
    """Zip and 7z need random access: spool a non-seekable stream into memory (capped)."""
    try:
        if fileobj.seekable():
            return fileobj
    except (AttributeError, ValueError):
        pass
    data = fileobj.read(_MAX_SPOOL + 1)
    if len(data) > _MAX_SPOOL:
        raise EvidenceError(f"{what} in a non-seekable stream larger than {_MAX_SPOOL} bytes")
    return io.BytesIO(data)
