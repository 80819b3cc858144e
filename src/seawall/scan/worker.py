"""Work done for one batch of file entries, in whichever process runs it.

A batch is a list of :class:`FileEntry` of one exhibit.  The worker re-opens the exhibit
itself (evidence sources are per process and never pickled), reads each file once, and
returns plain-dict records: one for the file, plus one per archive member found inside it.
The same function serves the local process pool and Dask workers.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field, fields
from typing import BinaryIO

from seawall.evidence import registry
from seawall.evidence.archives import ArchiveLimits, iter_archive_members
from seawall.evidence.base import EvidenceSource, FileEntry
from seawall.hashing.content import analyse_stream


@dataclass(frozen=True)
class WorkerOptions:
    fast_pdq: bool = True
    video_seconds_per_hash: float = 1.0
    expand_archives: bool = True
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    source_options: tuple = ()  # (key, value) pairs passed to the evidence source


@dataclass
class EntryResult:
    """All records produced by one top-level entry; stored together in one transaction so a
    resumed scan never sees half an archive."""

    file_key: str
    records: list[dict]
    bytes_read: int


_SOURCES: dict[tuple, EvidenceSource] = {}


def _prepare_process() -> None:
    """Once per worker process.  FAT stores local times of an unknown zone and TSK converts
    them with the process's zone: UTC makes the recorded value the same on every examiner's
    machine and worker.  BLAS gets one thread: files are already processed in parallel, and
    nested BLAS threads (PDQ's matrix products) only contend for the same cores."""
    if os.environ.get("TZ") != "UTC":
        os.environ["TZ"] = "UTC"
        time.tzset()
    from threadpoolctl import threadpool_limits  # a declared dependency

    threadpool_limits(1)


def release_sources(paths: tuple[str, ...], kind: str) -> int:
    """Close this process's cached sources for an exhibit and delete their work files.

    Long-lived Dask workers outlive a scan: without this they would keep the exhibit open
    and, on hosts other than the client's, a qemu-img raw copy as large as the disk (open
    handles also keep a deleted copy's space allocated).  Returns how many were released."""
    released = 0
    for key in [k for k in _SOURCES if k[:2] == (tuple(paths), kind)]:
        src = _SOURCES.pop(key)
        try:
            src.close()
        finally:
            src.release_work_files()
        released += 1
    return released


def _source(paths: tuple[str, ...], kind: str, source_options: tuple) -> EvidenceSource:
    key = (paths, kind, source_options)
    src = _SOURCES.get(key)
    if src is None:
        _prepare_process()
        src = registry.SOURCES.get(kind)(list(paths), **dict(source_options))
        _SOURCES[key] = src
    return src


_ENTRY_FIELDS = tuple(f.name for f in fields(FileEntry) if f.name != "extra")
_EMPTY_RESULT = dict.fromkeys(("md5", "sha1", "sha256", "media_type", "media_class", "pdq",
                               "pdq_quality", "pdq_dihedral", "pdq_method", "width", "height",
                               "exif"))


def base_record(entry: FileEntry) -> dict:
    # Shallow on purpose: dataclasses.asdict deep-copies and costs more than hashing a
    # small file.
    rec = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    rec.update(_EMPTY_RESULT)
    rec["frames"] = []
    rec["extension_mismatch"] = False
    return rec


def _analyse(entry: FileEntry, stream: BinaryIO, options: WorkerOptions, depth: int,
             out: list[dict]) -> int:
    """Hash one stream into a record appended to ``out``; recurse into archives."""
    rec = base_record(entry)
    out.append(rec)
    result = analyse_stream(stream, os.path.basename(entry.path), fast_pdq=options.fast_pdq,
                            video_seconds_per_hash=options.video_seconds_per_hash,
                            keep_archives=options.expand_archives)
    try:
        rec.update(
            size=result.size if result.size is not None else entry.size,
            md5=result.md5, sha1=result.sha1, sha256=result.sha256,
            media_type=result.mime, media_class=result.media_class,
            extension_mismatch=bool(result.extension_mismatch),
            pdq=result.pdq, pdq_quality=result.pdq_quality,
            pdq_dihedral=" ".join(result.pdq_dihedral) if result.pdq_dihedral else None,
            pdq_method=result.pdq_method, width=result.width, height=result.height,
            exif=result.exif,
            frames=[{"frame_number": f.frame_number, "timestamp": f.timestamp, "pdq": f.pdq,
                     "quality": f.quality} for f in result.frames],
        )
        errors = [e for e in (entry.error, result.error) if e]
        nbytes = result.size or 0
        if options.expand_archives and result.archive_kind:
            retained = result.open_retained()
            if retained is not None:
                try:
                    nbytes += _expand(entry, retained, result.archive_kind, options, depth, out,
                                      errors)
                finally:
                    retained.close()
        rec["error"] = "; ".join(errors) if errors else None
        return nbytes
    finally:
        result.release()


def _expand(entry: FileEntry, stream: BinaryIO, kind: str, options: WorkerOptions, depth: int,
            out: list[dict], errors: list[str]) -> int:
    nbytes = 0
    try:
        for member, member_stream in iter_archive_members(stream, entry, kind,
                                                          options.archive_limits, depth + 1):
            if member_stream is None:
                out.append(base_record(member))
                continue
            try:
                nbytes += _analyse(member, member_stream, options, depth + 1, out)
            finally:
                member_stream.close()
    except Exception as exc:  # a broken archive never stops the scan
        errors.append(f"archive error: {exc}")
    return nbytes


def process_entry(source: EvidenceSource, entry: FileEntry, options: WorkerOptions) -> EntryResult:
    records: list[dict] = []
    if entry.error or entry.kind == "symlink" or entry.extra.get("no_content"):
        records.append(base_record(entry))
        return EntryResult(entry.file_key, records, 0)
    try:
        stream = source.open(entry.locator)
    except Exception as exc:
        rec = base_record(entry)
        rec["error"] = f"cannot open: {exc}"
        return EntryResult(entry.file_key, [rec], 0)
    try:
        nbytes = _analyse(entry, stream, options, 0, records)
    except Exception as exc:  # last line of defence: one file never stops the scan
        rec = base_record(entry)
        rec["error"] = f"{type(exc).__name__}: {exc}"
        records = [rec]
        nbytes = 0
    finally:
        stream.close()
    return EntryResult(entry.file_key, records, nbytes)


def init_worker() -> None:
    """Pool initializer: die with the parent.  A scan killed with SIGKILL must not leave
    orphaned workers reading evidence (and holding its terminal) forever."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    parent = os.getppid()

    def watch() -> None:  # portable fallback for systems without prctl
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def process_batch(paths: tuple[str, ...], kind: str, entries: list[FileEntry],
                  options: WorkerOptions) -> list[EntryResult]:
    """Entry point for pool and Dask workers."""
    source = _source(tuple(paths), kind, options.source_options)
    return [process_entry(source, entry, options) for entry in entries]
