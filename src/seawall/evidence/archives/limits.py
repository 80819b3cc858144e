"""Expansion limits shared by every archive format: the bounds, the running budget of one
archive tree, and the capped stream every member is read through."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from seawall.evidence.base import EvidenceError, FileEntry

GIB = 1 << 30
MIB = 1 << 20
CHUNK = 1 << 20


class ExpansionLimitExceeded(EvidenceError):
    """A member (or the archive as a whole) expands beyond ArchiveLimits."""


@dataclass
class ArchiveLimits:
    """Bounds on what one archive (with its nested archives) may expand to."""

    max_depth: int = 5
    max_members: int = 100_000
    max_member_bytes: int = 4 * GIB
    max_total_bytes: int = 4 * GIB
    max_ratio: float = 200.0
    # Below this many output bytes the ratio is not checked: small runs of zeros compress
    # far beyond any sensible ratio and are harmless.
    ratio_floor_bytes: int = 16 * MIB


@dataclass
class ExpansionBudget:
    """Bytes expanded so far; share one between nested calls to bound the whole tree."""

    total_bytes: int = 0
    members: int = 0
    extra: dict = field(default_factory=dict)


class LimitedStream(io.RawIOBase):
    """Reads from a decompressing stream, stopping at the member/total/ratio limits."""

    def __init__(self, raw, entry: FileEntry, limits: ArchiveLimits, budget: ExpansionBudget,
                 source_bytes: int | None, on_close: Callable[[], object] | None = None):
        super().__init__()
        self._raw = raw
        self._entry = entry
        self._limits = limits
        self._budget = budget
        self._source_bytes = source_bytes
        self._read = 0
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._raw is None:
            raise ValueError("read from a closed archive member")
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, tarfile.TarError,
                RuntimeError, ValueError) as exc:
            self._fail(f"corrupt member: {exc}", EvidenceError)
        n = len(data)
        self._read += n
        self._budget.total_bytes += n
        limits = self._limits
        if self._read > limits.max_member_bytes:
            self._fail(f"expansion limit exceeded: member larger than "
                       f"{limits.max_member_bytes} bytes")
        if self._budget.total_bytes > limits.max_total_bytes:
            self._fail(f"expansion limit exceeded: archive expands beyond "
                       f"{limits.max_total_bytes} bytes in total")
        if (self._source_bytes is not None and self._read > limits.ratio_floor_bytes
                and self._read > limits.max_ratio * max(self._source_bytes, 1)):
            self._fail(f"expansion limit exceeded: compression ratio above {limits.max_ratio:g}")
        buffer[:n] = data
        return n

    def _fail(self, message: str,
              error: type[EvidenceError] = ExpansionLimitExceeded) -> NoReturn:
        # The entry was yielded before reading; setting its error lets the caller record why.
        self._entry.error = message
        raise error(message)

    def close(self) -> None:
        if self._raw is not None and self._on_close is not None:
            self._on_close()
        self._raw = None
        super().close()
