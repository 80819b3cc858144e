"""7z members (py7zr), streamed: py7zr extracts in a thread into bounded queues that the
consumer reads member by member, so nothing is written to disk and a bomb is stopped
(extraction cancelled) as soon as one member trips a limit."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import py7zr
from py7zr.helpers import get_sanitized_output_path
from py7zr.io import Py7zIO, WriterFactory

from seawall.evidence.archives.limits import CHUNK, ArchiveLimits, ExpansionBudget, LimitedStream
from seawall.evidence.archives.members import member_entry, seekable, source_size
from seawall.evidence.base import EvidenceError, FileEntry


class _Cancelled(Exception):
    """Raised inside py7zr's extraction to stop it."""


class _QueueWriter(Py7zIO):
    """Hands decompressed chunks to the consumer; blocks when it lags (bounded)."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel
        self.chunks: queue.Queue = queue.Queue(maxsize=4)
        self.written = 0
        self.ended = False

    def write(self, data) -> int:
        while True:
            if self.cancel.is_set():
                raise _Cancelled()
            try:
                self.chunks.put(bytes(data), timeout=0.2)
                self.written += len(data)
                return len(data)
            except queue.Full:
                continue

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            while not self.cancel.is_set():
                try:
                    self.chunks.put(None, timeout=0.2)
                    return
                except queue.Full:
                    continue

    def close(self) -> None:
        self.end()

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset, whence=0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.written


class _WriterFactory(WriterFactory):
    """One writer per member py7zr extracts, announced on ``created`` in extraction order."""

    def __init__(self, cancel: threading.Event, created: queue.Queue):
        self.cancel = cancel
        self.created = created
        self.last: _QueueWriter | None = None

    def create(self, filename: str) -> Py7zIO:
        if self.last is not None:
            self.last.end()
        writer = _QueueWriter(self.cancel)
        self.last = writer
        self.created.put((filename, writer))
        return writer


class _Extraction:
    """py7zr extracting ``targets`` in a thread; ``created`` yields (filename, writer)
    pairs, then None; ``error`` is what stopped it early (reported, never lost)."""

    def __init__(self, archive, targets: list[str]):
        self.archive = archive
        self.targets = targets
        self.cancel = threading.Event()
        self.created: queue.Queue = queue.Queue()
        self.factory = _WriterFactory(self.cancel, self.created)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seawall-7z", daemon=True)

    def _run(self) -> None:
        try:
            self.archive.extract(targets=self.targets, factory=self.factory)
        except _Cancelled:
            pass
        except BaseException as exc:  # reported to the consumer, never lost
            self.error = exc
        finally:
            if self.factory.last is not None:
                self.factory.last.end()
            self.created.put(None)


class _QueueReader(io.RawIOBase):
    """The consumer's side of one member's writer."""

    def __init__(self, writer: _QueueWriter, extraction: _Extraction):
        super().__init__()
        self._writer = writer
        self._extraction = extraction
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
            if self._extraction.error is not None and not self._writer.ended:
                raise EvidenceError(f"corrupt 7z member: {self._extraction.error}")
            return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def drain(self) -> None:
        while not self._done:
            if self._writer.chunks.get() is None:
                self._done = True


def iter_members(fileobj, parent: FileEntry, limits: ArchiveLimits,
                 budget: ExpansionBudget) -> Iterator[tuple[FileEntry, BinaryIO | None]]:
    source = seekable(fileobj, "7z")
    size = source_size(source)
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
    members: dict[str, tuple[int, Any]] = {}
    unsafe = []
    for index, info in enumerate(infos):
        if info.is_directory:
            continue
        try:
            members[get_sanitized_output_path(info.filename, None).as_posix()] = (index, info)
        except py7zr.Bad7zFile:
            unsafe.append((index, info))  # py7zr refuses these names; list them only
    extraction = _Extraction(archive, [info.filename for _, info in members.values()])
    seen: set[str] = set()
    try:
        for index, info in unsafe:
            entry = member_entry(parent, info.filename, index, info.uncompressed, None, "7z")
            entry.error = "unsafe member name: listed, content not extracted"
            yield entry, None
        if encrypted:
            for index, info in sorted(members.values(), key=lambda item: item[0]):
                entry = member_entry(parent, info.filename, index, info.uncompressed, None,
                                     "7z")
                entry.error = "encrypted member: content not readable"
                yield entry, None
            return
        extraction.thread.start()
        # Once cancelled, take no further member: py7zr may have begun the next one before
        # it saw the cancel, and that member's data would never come.
        while not extraction.cancel.is_set() and (item := extraction.created.get()) is not None:
            filename, writer = item
            index, info = members.get(filename, (len(infos) + len(seen), None))
            name = info.filename if info is not None else filename
            seen.add(filename)
            entry = member_entry(parent, name, index,
                                 info.uncompressed if info is not None else None,
                                 info.creationtime if info is not None else None, "7z")
            reader = _QueueReader(writer, extraction)
            stream = LimitedStream(reader, entry, limits, budget, size)
            yield entry, io.BufferedReader(stream, CHUNK)
            if entry.error and entry.error.startswith("expansion limit"):
                extraction.cancel.set()  # stop decompressing: the rest is never inflated
            else:
                reader.drain()
        for filename, (index, info) in sorted(members.items(), key=lambda kv: kv[1][0]):
            if filename in seen:
                continue
            entry = member_entry(parent, info.filename, index, info.uncompressed, None, "7z")
            if extraction.error is not None:
                entry.error = f"corrupt 7z archive: {extraction.error}"
                yield entry, None
            elif extraction.cancel.is_set():
                entry.error = "not read: extraction stopped after an expansion limit"
                yield entry, None
            else:
                yield entry, io.BytesIO(b"")  # empty members get no writer from py7zr
        if extraction.error is not None and not seen:
            raise EvidenceError(f"corrupt 7z archive: {extraction.error}")
    finally:
        extraction.cancel.set()
        if extraction.thread.is_alive():
            extraction.thread.join(timeout=5)
        archive.close()
