"""The member iterator every archive format shares: limits of depth and member count,
and the format's reader."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import BinaryIO

from seawall.evidence.archives.limits import (
    ArchiveLimits,
    ExpansionBudget,
    ExpansionLimitExceeded,
)
from seawall.evidence.base import EvidenceError, FileEntry

# Archive kind -> module of this package with its ``iter_members`` (imported when first
# needed: py7zr, for one, is slow to import and most exhibits hold no 7z).
_READERS = {"zip": "zip", "tar": "tar", "gzip": "gz", "7z": "sevenzip"}


def iter_archive_members(
    fileobj: BinaryIO,
    parent: FileEntry,
    kind: str,
    limits: ArchiveLimits | None = None,
    depth: int = 1,
    budget: ExpansionBudget | None = None,
) -> Iterator[tuple[FileEntry, BinaryIO | None]]:
    """Yield (member entry, capped stream or None) for each file member of an archive.

    ``depth`` is 1 for an archive found directly in an exhibit; the caller passes
    ``depth + 1`` for archives inside members.  Read each stream before advancing the
    iterator (tar streams and 7z require it).  When a read trips a limit the stream raises
    :class:`ExpansionLimitExceeded` and the member's ``error`` is set.  Raises EvidenceError
    when the archive itself cannot be listed (members read so far stay yielded).
    """
    limits = limits or ArchiveLimits()
    budget = budget or ExpansionBudget()
    if depth > limits.max_depth:
        raise ExpansionLimitExceeded(
            f"expansion limit exceeded: archive nesting deeper than {limits.max_depth}")
    if kind not in _READERS:
        raise EvidenceError(f"unknown archive kind {kind!r}")
    reader = importlib.import_module(f"{__package__}.{_READERS[kind]}")
    for entry, stream in reader.iter_members(fileobj, parent, limits, budget):
        budget.members += 1
        if budget.members > limits.max_members:
            if stream is not None:
                stream.close()
            raise ExpansionLimitExceeded(
                f"expansion limit exceeded: more than {limits.max_members} members")
        entry.extra["depth"] = depth
        yield entry, stream
