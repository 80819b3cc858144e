"""Re-read the bytes of a file the scan recorded, read-only, the way the scan reached them.

A file of the exhibit (also one inside a disk image) is opened by its source with its
recorded locator.  An archive member has no locator of its own: it is reached again from
the top-level file that holds it, through each containing archive in turn, with the archive
detection (:attr:`seawall.hashing.media_type.MediaType.archive_kind`) and member walker
(:func:`seawall.evidence.archives.iter_archive_members`) the scan used, so a member's
file key comes out exactly as it was recorded.  Nothing is extracted to disk.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from seawall.evidence.archives import ArchiveLimits, iter_archive_members
from seawall.evidence.base import EvidenceError, EvidenceSource, FileEntry
from seawall.hashing.media_type import SNIFF_BYTES, sniff


@dataclass(frozen=True)
class RecordedFile:
    """What the store keeps of one file on the way to the wanted one."""

    file_key: str
    path: str
    volume: str = ""
    locator: object | None = None


def read_recorded(source: EvidenceSource, chain: Sequence[RecordedFile], *, max_bytes: int,
                  limits: ArchiveLimits | None = None) -> bytes:
    """The bytes of ``chain[-1]``: ``chain[0]`` is a file of the exhibit (with its locator),
    each later item a member of the archive before it.  Raises EvidenceError, also when the
    file is larger than ``max_bytes``."""
    if not chain:
        raise EvidenceError("nothing to read")
    top, members = chain[0], list(chain[1:])
    if top.locator is None:
        raise EvidenceError(f"{top.path}: no locator was recorded for it")
    with source.open(top.locator) as stream:
        if not members:
            return _read_capped(stream, max_bytes, top.path)
        container = FileEntry(file_key=top.file_key, locator=top.locator, path=top.path,
                              volume=top.volume)
        return _read_member(stream, container, members, 1, limits or ArchiveLimits(),
                            max_bytes)


def _read_member(stream: BinaryIO, container: FileEntry, members: list[RecordedFile],
                 depth: int, limits: ArchiveLimits, max_bytes: int) -> bytes:
    head, stream = _head(stream)
    kind = sniff(head, posixpath.basename(container.path)).archive_kind
    if kind is None:
        raise EvidenceError(f"{container.path}: not an archive Seawall can open")
    wanted = members[0]
    # Members are matched by the file key the scan derived from the same walk.
    for entry, member in iter_archive_members(stream, container, kind, limits, depth):
        if entry.file_key != wanted.file_key:
            continue
        if member is None:
            raise EvidenceError(f"{wanted.path}: {entry.error or 'content not readable'}")
        if len(members) == 1:
            return _read_capped(member, max_bytes, wanted.path)
        return _read_member(member, entry, members[1:], depth + 1, limits, max_bytes)
    raise EvidenceError(f"{wanted.path}: no longer found in its archive")


def _read_capped(stream: BinaryIO, max_bytes: int, path: str) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise EvidenceError(f"{path}: larger than {max_bytes} bytes")
    return data


def _head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of ``stream`` and a stream that still starts at them."""
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        position = stream.tell()
        head = stream.read(SNIFF_BYTES)
        stream.seek(position)
        return head, stream
    head = stream.read(SNIFF_BYTES)
    return head, io.BufferedReader(_Prefixed(head, stream))


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of a non-seekable stream."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        super().__init__()
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
