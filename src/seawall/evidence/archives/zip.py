"""Zip members (zipfile), with declared sizes checked before any byte is inflated."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from seawall.evidence.archives.limits import CHUNK, ArchiveLimits, ExpansionBudget, LimitedStream
from seawall.evidence.archives.members import member_entry, seekable
from seawall.evidence.base import EvidenceError, FileEntry


class ZipUtf8FlagCleared:
    """A zip source whose central directory reads back with the "names are UTF-8" flag
    (bit 11) cleared, so that zipfile decodes every name as CP437 and cannot fail.

    zipfile refuses a whole archive when one name flagged UTF-8 is not valid UTF-8; the
    members are fine.  zipfile reads the central directory in one ``read`` starting at its
    first entry, so that read is patched, entry by entry (lengths parsed, no searching), and
    so are the 30-byte local headers ``ZipFile.open`` reads and checks against it; member
    data passes untouched.  ``utf8_entries`` lists the entries that had the flag."""

    _ENTRY = b"PK\x01\x02"
    _LOCAL = b"PK\x03\x04"

    def __init__(self, source):
        self._source = source
        self.utf8_entries: set[int] = set()
        self._patched = False

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if len(data) == 30 and data[:4] == self._LOCAL:
            # A member's local header, which ZipFile.open reads alone and checks against
            # the central directory: the same flag, cleared the same way.
            flags, = struct.unpack_from("<H", data, 6)
            return data[:6] + struct.pack("<H", flags & ~0x800) + data[8:]
        if self._patched or data[:4] != self._ENTRY:
            return data
        self._patched = True
        patched, pos, index = bytearray(data), 0, 0
        while patched[pos:pos + 4] == self._ENTRY and pos + 46 <= len(patched):
            flags, = struct.unpack_from("<H", patched, pos + 8)
            if flags & 0x800:
                self.utf8_entries.add(index)
                struct.pack_into("<H", patched, pos + 8, flags & ~0x800)
            lengths = struct.unpack_from("<HHH", patched, pos + 28)
            pos += 46 + sum(lengths)
            index += 1
        return bytes(patched)


def iter_members(fileobj, parent: FileEntry, limits: ArchiveLimits,
                 budget: ExpansionBudget) -> Iterator[tuple[FileEntry, BinaryIO | None]]:
    source = seekable(fileobj, "zip")
    recoded: set[int] = set()
    try:
        try:
            archive = zipfile.ZipFile(source)
        except UnicodeDecodeError:  # a name flagged UTF-8 that is not: read names as bytes
            source.seek(0)
            view = ZipUtf8FlagCleared(source)
            archive = zipfile.ZipFile(view)  # type: ignore[arg-type]  # file-like enough
            recoded = view.utf8_entries
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceError(f"corrupt zip archive: {exc}") from exc
    with archive:
        for index, info in enumerate(infos):
            if info.is_dir():
                continue
            mtime: datetime | None
            try:
                mtime = datetime(*info.date_time)
            except ValueError:
                mtime = None
            # (The raw name bytes where the UTF-8 flag had to be cleared: see above.)
            name = info.filename.encode("cp437") if index in recoded else info.filename
            entry = member_entry(parent, name, index, info.file_size, mtime, "zip")
            entry.extra["compressed_size"] = info.compress_size
            if info.flag_bits & 0x1:
                entry.error = "encrypted member: content not readable"
                yield entry, None
                continue
            # Declared sizes let an honest bomb fail before any byte is inflated.
            if info.file_size > limits.max_member_bytes or (
                    info.file_size > limits.ratio_floor_bytes
                    and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                entry.error = (f"expansion limit exceeded: declares {info.file_size} bytes "
                               f"from {info.compress_size} compressed")
                yield entry, None
                continue
            try:
                raw = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError,
                    ValueError, zlib.error) as exc:
                entry.error = f"corrupt or unsupported member: {exc}"
                yield entry, None
                continue
            stream = LimitedStream(raw, entry, limits, budget, info.compress_size,
                                   on_close=raw.close)
            yield entry, io.BufferedReader(stream, CHUNK)
            stream.close()
