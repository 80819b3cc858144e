"""Tar members (tarfile): random access when the source can seek, streaming otherwise."""

from __future__ import annotations

import io
import tarfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO, cast

from seawall.evidence._common import utc_from_posix
from seawall.evidence.archives.limits import CHUNK, ArchiveLimits, ExpansionBudget, LimitedStream
from seawall.evidence.archives.members import member_entry, source_size
from seawall.evidence.base import EvidenceError, FileEntry


def iter_members(fileobj, parent: FileEntry, limits: ArchiveLimits,
                 budget: ExpansionBudget) -> Iterator[tuple[FileEntry, BinaryIO | None]]:
    seekable = source_size(fileobj) is not None
    try:
        # Random access when possible (hard links resolve); pure streaming otherwise.
        archive = tarfile.open(fileobj=fileobj, mode="r:" if seekable else "r|")
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise EvidenceError(f"corrupt tar archive: {exc}") from exc
    index = -1
    with archive:
        try:
            for member in archive:
                index += 1
                if member.isdir():
                    continue
                entry = member_entry(parent, member.name, index, member.size,
                                     utc_from_posix(member.mtime), "tar")
                if member.issym() or (member.islnk() and not seekable):
                    entry.extra["link_target"] = member.linkname
                    entry.extra["note"] = "link, not followed"
                    entry.size = None
                    yield entry, None
                    continue
                if not (member.isreg() or member.islnk()):
                    entry.error = "skipped: special file (device or FIFO)"
                    entry.size = None
                    yield entry, None
                    continue
                try:
                    raw = archive.extractfile(member)
                except (tarfile.TarError, KeyError, OSError) as exc:
                    entry.error = f"corrupt member: {exc}"
                    yield entry, None
                    continue
                stored = member.size
                if member.issparse():  # (typeshed calls ``sparse`` bytes: it holds regions)
                    regions = cast("list[tuple[int, int]]", member.sparse or [])
                    stored = sum(length for _, length in regions)
                stream = LimitedStream(raw, entry, limits, budget, stored)
                yield entry, io.BufferedReader(stream, CHUNK)
                stream.close()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise EvidenceError(f"corrupt tar archive after {index} members: {exc}") from exc
