"""A gzip stream: one member, named from the header's FNAME or the file's own name."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import BinaryIO

from seawall.evidence.archives.limits import CHUNK, ArchiveLimits, ExpansionBudget, LimitedStream
from seawall.evidence.archives.members import member_entry, source_size
from seawall.evidence.base import EvidenceError, FileEntry


def _gzip_name(head: bytes, parent_path: str) -> str:
    """The FNAME stored in the gzip header, else the parent's name without .gz."""
    flags = head[3] if len(head) > 3 else 0
    position = 10
    if flags & 0x04 and len(head) >= 12:  # FEXTRA
        position += 2 + int.from_bytes(head[10:12], "little")
    if flags & 0x08:  # FNAME
        end = head.find(b"\0", position)
        if end > position:
            return head[position:end].decode("latin-1")
    base = parent_path.rsplit("/", 1)[-1].rsplit("!/", 1)[-1]
    lower = base.lower()
    if lower.endswith(".tgz"):
        return base[:-4] + ".tar"
    for suffix in (".gz", ".gzip", ".z"):
        if lower.endswith(suffix):
            return base[: -len(suffix)]
    return base + ".decompressed"


def iter_members(fileobj, parent: FileEntry, limits: ArchiveLimits,
                 budget: ExpansionBudget) -> Iterator[tuple[FileEntry, BinaryIO | None]]:
    size = source_size(fileobj)
    head = b""
    if size is not None:
        position = fileobj.tell()
        head = fileobj.read(1024)
        fileobj.seek(position)
    if head and not head.startswith(b"\x1f\x8b"):
        raise EvidenceError("corrupt gzip stream: bad magic")
    entry = member_entry(parent, _gzip_name(head, parent.path), 0, None, None, "gzip")
    raw = gzip.GzipFile(fileobj=fileobj, mode="rb")
    stream = LimitedStream(raw, entry, limits, budget, size)
    yield entry, io.BufferedReader(stream, CHUNK)
    stream.close()
