"""The contract every evidence source fulfils."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from seawall.errors import InvalidInput


class EvidenceError(InvalidInput):
    """A problem with one exhibit or one file in it; the scan records it and carries on."""


@dataclass
class FileEntry:
    """One file found in an exhibit, before its content is read.

    Attributes:
      file_key: stable identity inside the exhibit (same on every run of the same exhibit).
      locator: JSON-serialisable value that ``EvidenceSource.open`` turns back into bytes;
        opaque to everyone but the source that made it.
      volume: partition/volume name ("" for folders and single-file-system images), e.g. "p1".
      path: display path inside the volume, "/"-separated, starting with "/".
      path_bytes: the raw name bytes when ``path`` is not their plain UTF-8 decoding (bytes
        that are not UTF-8, or a backslash, shown escaped), else None.
      inode: inode / MFT entry (as text: "64-128-4" style addresses are allowed).
      allocated: False for deleted files recovered from unallocated directory entries.
      kind: "file", "ads" (NTFS alternate data stream / HFS+ resource fork) or "archive_member".
      error: a listing problem (the scan still records the entry, with this error).
    """

    file_key: str
    locator: object
    path: str
    volume: str = ""
    path_bytes: bytes | None = None
    inode: str | None = None
    allocated: bool = True
    kind: str = "file"
    size: int | None = None
    mtime: datetime | None = None
    atime: datetime | None = None
    ctime: datetime | None = None
    crtime: datetime | None = None
    error: str | None = None
    parent_key: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def full_path(self) -> str:
        """Path prefixed by its volume, as DFXML's ``filename`` wants it."""
        return f"{self.volume}{self.path}" if self.volume else self.path


class EvidenceSource(abc.ABC):
    """An opened exhibit.  Instances are per process: never pickle one, pass its paths."""

    NAME: str = ""
    PRIORITY: int = 100  # lower is tried first by registry.detect
    # Capabilities, declared by each kind so that callers never test names:
    # SUPPORTS_SNAPSHOTS: the constructor takes ``snapshots=True`` (also list volume
    # shadow snapshots); VERIFIES_MEDIA: it takes ``verify=True`` and ``describe()`` then
    # checks the exhibit's acquisition hash (one extra read of the whole media).
    SUPPORTS_SNAPSHOTS: bool = False
    VERIFIES_MEDIA: bool = False

    def __init__(self, paths: list[str]):
        self.paths = list(paths)

    @classmethod
    @abc.abstractmethod
    def accepts(cls, paths: list[str]) -> bool:
        """True if this source kind can open the exhibit made of ``paths``."""

    @abc.abstractmethod
    def iter_entries(self) -> Iterator[FileEntry]:
        """Yield every file entry, in a deterministic order.  Never raises for one bad file:
        such files are yielded with ``error`` set."""

    @abc.abstractmethod
    def open(self, locator: object) -> BinaryIO:
        """Open the bytes of one entry read-only.  Raises EvidenceError."""

    def describe(self) -> dict:
        """Identity of the exhibit: image names and sizes, acquisition hashes, verification
        results, warnings from cross-checks.  JSON-serialisable."""
        return {"paths": self.paths}

    def listing_warnings(self) -> list[str]:
        """Warnings found while listing (after ``iter_entries`` has run); sources that keep
        such warnings override this."""
        return []

    def release_work_files(self) -> None:  # noqa: B027 - optional hook
        """Delete temporary files kept for the scan's worker processes (call once, when the
        whole scan is finished)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
