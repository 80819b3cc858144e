"""Members of zip, tar, gzip and 7z archives, streamed with expansion limits.

Nothing is extracted to disk: every member is read through a capped stream, so a zip bomb
ends in an "expansion limit exceeded" error instead of exhausting memory or disk.  Member
names are only ever used as labels ("../x" and "/etc/x" are recorded, never written).
Recursion into nested archives is the caller's: it calls :func:`iter_archive_members` again
with ``depth + 1`` on a member whose first bytes :func:`detect_archive` recognises.
"""

from __future__ import annotations

import gzip
import io
import queue
import struct
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from seawall.evidence._common import display_name, make_key, utc_from_posix
from seawall.evidence.base import EvidenceError, FileEntry
from seawall.signatures import archive_kind

GIB = 1 << 30
MIB = 1 << 20
_CHUNK = 1 << 20
_MAX_SPOOL = 64 * MIB  # non-seekable zip/7z streams are held in memory up to this size


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


def detect_archive(head: bytes) -> str | None:
    """"zip", "tar", "gzip" or "7z" from the first bytes (give at least 512), else None."""
    return archive_kind(head)


class _LimitedStream(io.RawIOBase):
    """Reads from a decompressing stream, stopping at the member/total/ratio limits."""

    def __init__(self, raw, entry: FileEntry, limits: ArchiveLimits, budget: ExpansionBudget,
                 source_bytes: int | None, on_close=None):
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

    def _fail(self, message: str, error=ExpansionLimitExceeded):
        # The entry was yielded before reading; setting its error lets the caller record why.
        self._entry.error = message
        raise error(message)

    def close(self) -> None:
        if self._raw is not None and self._on_close is not None:
            self._on_close()
        self._raw = None
        super().close()


def _clean_name(name: str | bytes) -> tuple[str, bytes | None]:
    """(display name, raw bytes or None) of a member name.

    tarfile decodes names with ``surrogateescape`` and a 7z's UTF-16 names can hold lone
    surrogates: text no database can store, which used to fail the whole exhibit's write.
    Such names are shown like undecodable file names (``\\xNN``) and keep their raw bytes."""
    if isinstance(name, bytes):
        return display_name(name)
    try:
        name.encode("utf-8")
        return name, None
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogatepass")
        return display_name(raw)


def _member_entry(parent: FileEntry, name: str | bytes, index: int, size: int | None,
                  mtime: datetime | None, kind: str) -> FileEntry:
    name, raw = _clean_name(name)
    entry = FileEntry(
        # The index keeps keys unique when an archive holds the same name twice.
        file_key=make_key(parent.file_key, f"{index}:{name}"),
        locator=None,
        path=f"{parent.path}!/{name}",
        volume=parent.volume,
        inode=None,
        allocated=parent.allocated,
        kind="archive_member",
        size=size,
        mtime=mtime,
        parent_key=parent.file_key,
        extra={"archive": kind, "member": name, "index": index},
    )
    if raw is not None:
        parent_raw = parent.path_bytes or parent.path.encode("utf-8", "surrogatepass")
        entry.path_bytes = parent_raw + b"!/" + raw
    if name.startswith("/") or "../" in name or name.startswith("..") or "\\..\\" in name:
        entry.extra["unsafe_name"] = True  # recorded only; we never write members anywhere
    return entry


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
    walkers = {"zip": _iter_zip, "tar": _iter_tar, "gzip": _iter_gzip, "7z": _iter_7z}
    if kind not in walkers:
        raise EvidenceError(f"unknown archive kind {kind!r}")
    count = 0
    for entry, stream in walkers[kind](fileobj, parent, limits, budget):
        count += 1
        budget.members += 1
        if budget.members > limits.max_members:
            if stream is not None:
                stream.close()
            raise ExpansionLimitExceeded(
                f"expansion limit exceeded: more than {limits.max_members} members")
        entry.extra["depth"] = depth
        yield entry, stream


def _source_size(fileobj) -> int | None:
    try:
        if fileobj.seekable():
            position = fileobj.tell()
            size = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(position)
            return size
    except (OSError, AttributeError, ValueError):
        pass
    return None


def _seekable(fileobj, what: str):
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


# -- zip -------------------------------------------------------------------------------------

class _ZipUtf8FlagCleared:
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


def _iter_zip(fileobj, parent, limits, budget):
    source = _seekable(fileobj, "zip")
    recoded: set[int] = set()
    try:
        try:
            archive = zipfile.ZipFile(source)
        except UnicodeDecodeError:  # a name flagged UTF-8 that is not: read names as bytes
            source.seek(0)
            view = _ZipUtf8FlagCleared(source)
            archive = zipfile.ZipFile(view)
            recoded = view.utf8_entries
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceError(f"corrupt zip archive: {exc}") from exc
    with archive:
        for index, info in enumerate(infos):
            if info.is_dir():
                continue
            try:
                mtime = datetime(*info.date_time)
            except ValueError:
                mtime = None
            # (The raw name bytes where the UTF-8 flag had to be cleared: see above.)
            name = info.filename.encode("cp437") if index in recoded else info.filename
            entry = _member_entry(parent, name, index, info.file_size, mtime, "zip")
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
            stream = _LimitedStream(raw, entry, limits, budget, info.compress_size,
                                    on_close=raw.close)
            yield entry, io.BufferedReader(stream, _CHUNK)
            stream.close()


# -- tar -------------------------------------------------------------------------------------

def _iter_tar(fileobj, parent, limits, budget):
    seekable = _source_size(fileobj) is not None
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
                entry = _member_entry(parent, member.name, index, member.size,
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
                if member.issparse():
                    stored = sum(length for _, length in member.sparse or [])
                stream = _LimitedStream(raw, entry, limits, budget, stored)
                yield entry, io.BufferedReader(stream, _CHUNK)
                stream.close()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise EvidenceError(f"corrupt tar archive after {index} members: {exc}") from exc


# -- gzip ------------------------------------------------------------------------------------

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


def _iter_gzip(fileobj, parent, limits, budget):
    size = _source_size(fileobj)
    head = b""
    if size is not None:
        position = fileobj.tell()
        head = fileobj.read(1024)
        fileobj.seek(position)
    if head and not head.startswith(b"\x1f\x8b"):
        raise EvidenceError("corrupt gzip stream: bad magic")
    entry = _member_entry(parent, _gzip_name(head, parent.path), 0, None, None, "gzip")
    raw = gzip.GzipFile(fileobj=fileobj, mode="rb")
    stream = _LimitedStream(raw, entry, limits, budget, size)
    yield entry, io.BufferedReader(stream, _CHUNK)
    stream.close()


# -- 7z --------------------------------------------------------------------------------------

class _Cancelled(Exception):
    pass


def _iter_7z(fileobj, parent, limits, budget):
    import py7zr
    from py7zr.helpers import get_sanitized_output_path
    from py7zr.io import Py7zIO, WriterFactory

    source = _seekable(fileobj, "7z")
    size = _source_size(source)
    try:
        archive = py7zr.SevenZipFile(source, mode="r")
        infos = archive.list()
    except py7zr.PasswordRequired as exc:
        # (py7zr's message is the repr of its coder table: no use to an examiner.)
        raise EvidenceError("encrypted 7z archive: its member names are encrypted too, so "
                            "neither names nor content can be read without the "
                            "password") from exc
    except (py7zr.Bad7zFile, py7zr.exceptions.ArchiveError, OSError, EOFError, ValueError,
            KeyError, IndexError) as exc:
        raise EvidenceError(f"corrupt 7z archive: {exc}") from exc
    encrypted = archive.needs_password()
    members: dict[str, tuple[int, object]] = {}
    unsafe = []
    for index, info in enumerate(infos):
        if info.is_directory:
            continue
        try:
            members[get_sanitized_output_path(info.filename, None).as_posix()] = (index, info)
        except py7zr.Bad7zFile:
            unsafe.append((index, info))  # py7zr refuses these names; list them only
    cancel = threading.Event()
    created: queue.Queue = queue.Queue()

    class _QueueWriter(Py7zIO):
        """Hands decompressed chunks to the consumer; blocks when it lags (bounded)."""

        def __init__(self):
            self.chunks: queue.Queue = queue.Queue(maxsize=4)
            self.written = 0
            self.ended = False

        def write(self, data) -> int:
            while True:
                if cancel.is_set():
                    raise _Cancelled()
                try:
                    self.chunks.put(bytes(data), timeout=0.2)
                    self.written += len(data)
                    return len(data)
                except queue.Full:
                    continue

        def end(self):
            if not self.ended:
                self.ended = True
                while not cancel.is_set():
                    try:
                        self.chunks.put(None, timeout=0.2)
                        return
                    except queue.Full:
                        continue

        def close(self):
            self.end()

        def read(self, size=None) -> bytes:
            return b""

        def seek(self, offset, whence=0) -> int:
            return 0

        def flush(self) -> None:
            pass

        def size(self) -> int:
            return self.written

    class _Factory(WriterFactory):
        last: _QueueWriter | None = None

        def create(self, filename: str) -> Py7zIO:
            if self.last is not None:
                self.last.end()
            writer = _QueueWriter()
            self.last = writer
            created.put((filename, writer))
            return writer

    factory = _Factory()
    result: dict = {}

    def extract():
        try:
            archive.extract(targets=[info.filename for _, info in members.values()],
                            factory=factory)
        except _Cancelled:
            pass
        except BaseException as exc:  # reported to the consumer, never lost
            result["error"] = exc
        finally:
            if factory.last is not None:
                factory.last.end()
            created.put(None)

    class _QueueReader(io.RawIOBase):
        def __init__(self, writer):
            super().__init__()
            self._writer = writer
            self._pending = b""
            self._done = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            while not self._pending and not self._done:
                chunk = self._writer.chunks.get()
                if chunk is None:
                    self._done = True
                else:
                    self._pending = chunk
            if not self._pending:
                if "error" in result and not self._writer.ended:
                    raise EvidenceError(f"corrupt 7z member: {result['error']}")
                return 0
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n

        def drain(self):
            while not self._done:
                if self._writer.chunks.get() is None:
                    self._done = True

    worker = threading.Thread(target=extract, name="seawall-7z", daemon=True)
    seen = set()
    try:
        for index, info in unsafe:
            entry = _member_entry(parent, info.filename, index, info.uncompressed, None, "7z")
            entry.error = "unsafe member name: listed, content not extracted"
            yield entry, None
        if encrypted:
            for index, info in sorted(members.values(), key=lambda item: item[0]):
                entry = _member_entry(parent, info.filename, index, info.uncompressed, None,
                                      "7z")
                entry.error = "encrypted member: content not readable"
                yield entry, None
            return
        worker.start()
        while (item := created.get()) is not None:
            filename, writer = item
            index, info = members.get(filename, (len(infos) + len(seen), None))
            name = info.filename if info is not None else filename
            seen.add(filename)
            entry = _member_entry(parent, name, index,
                                  info.uncompressed if info is not None else None,
                                  info.creationtime if info is not None else None, "7z")
            reader = _QueueReader(writer)
            stream = _LimitedStream(reader, entry, limits, budget, size)
            yield entry, io.BufferedReader(stream, _CHUNK)
            if entry.error and entry.error.startswith("expansion limit"):
                cancel.set()  # stop decompressing: the rest of a bomb is never inflated
            else:
                reader.drain()
        for filename, (index, info) in sorted(members.items(), key=lambda kv: kv[1][0]):
            if filename in seen:
                continue
            entry = _member_entry(parent, info.filename, index, info.uncompressed, None, "7z")
            if "error" in result:
                entry.error = f"corrupt 7z archive: {result['error']}"
                yield entry, None
            elif cancel.is_set():
                entry.error = "not read: extraction stopped after an expansion limit"
                yield entry, None
            else:
                yield entry, io.BytesIO(b"")  # empty members get no writer from py7zr
        if "error" in result and not seen:
            raise EvidenceError(f"corrupt 7z archive: {result['error']}")
    finally:
        cancel.set()
        if worker.is_alive():
            worker.join(timeout=5)
        archive.close()
