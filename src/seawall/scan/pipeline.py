"""Scan one exhibit: list its files, hash them in parallel, store the records.

Resumability: every file has a stable ``file_key``.  Records of one top-level entry (the file
and any archive members inside it) are committed in one transaction, and a rerun of the same
scan skips keys already stored, so a scan killed at any point and started again ends with
the same records as one that was never interrupted: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from typing import Protocol

from sqlalchemy import JSON, Boolean, DateTime, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from seawall import __version__
from seawall.evidence import registry
from seawall.evidence.base import FileEntry
from seawall.scan.worker import EntryResult, WorkerOptions, init_worker, process_batch
from seawall.store.db import session_factory
from seawall.store.models import Case, Exhibit, FileRecord, VideoFrame, utcnow

FILE_COLUMNS = {c.name for c in FileRecord.__table__.columns} - {"id", "exhibit_id"}
DEPENDENCIES = ("dfvfs", "pytsk3", "libewf-python", "pdqhash", "vpdq", "pillow", "numpy",
                "SQLAlchemy")


@dataclass
class ScanSummary:
    case: str
    exhibit: str
    exhibit_id: int
    files_total: int = 0  # top-level entries listed
    files_scanned: int = 0  # entries hashed in this run
    files_skipped: int = 0  # already recorded by an earlier, interrupted run
    records_written: int = 0  # incl. archive members
    bytes_read: int = 0
    errors: int = 0  # file records with an error
    warnings: list[str] = field(default_factory=list)
    # Parts of the exhibit that could not be read at all (no file system found, a volume
    # that would not open): the records are complete only for what was read.
    exhibit_errors: list[str] = field(default_factory=list)


class ProgressSink(Protocol):
    """Receives progress; the CLI renders it with Rich, tests ignore it.  Listing runs
    alongside hashing, so the totals grow until ``listing(..., done=True)``."""

    def start(self) -> None: ...

    def listing(self, files: int, size: int, done: bool = False) -> None: ...

    def advance(self, files: int, nbytes: int) -> None: ...


class NoProgress:
    """The progress sink that ignores everything (the default)."""

    def start(self) -> None:
        pass

    def listing(self, files: int, size: int, done: bool = False) -> None:
        pass

    def advance(self, files: int, nbytes: int) -> None:
        pass


def dependency_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _get_or_create(session: Session, model, where, **values):
    """The row matching ``where``, created if absent.  Two scans starting together may both
    try to create it: the loser's insert fails on the unique key inside a savepoint, and it
    uses the winner's row."""
    row = session.scalar(select(model).where(*where))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = model(**values)
            session.add(row)
        return row
    except IntegrityError:
        return session.scalar(select(model).where(*where))


def get_or_create_case(session: Session, reference: str, scheme: str = "uk") -> Case:
    return _get_or_create(session, Case, [Case.reference == reference], reference=reference,
                          scheme=scheme)


def _batches(entries: Iterable[FileEntry], max_files: int, max_bytes: int) -> Iterator[list]:
    batch: list[FileEntry] = []
    size = 0
    for entry in entries:
        batch.append(entry)
        size += entry.size or 0
        if len(batch) >= max_files or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _fault_point(stage: str) -> None:
    """Fault injection for the resumability tests: SEAWALL_FAULT=STAGE:N kills this process
    with SIGKILL the N-th time STAGE is reached (never set in normal use)."""
    spec = os.environ.get("SEAWALL_FAULT")
    if not spec:
        return
    want, _, count = spec.partition(":")
    if want != stage:
        return
    _FAULT_COUNTS[stage] = _FAULT_COUNTS.get(stage, 0) + 1
    if _FAULT_COUNTS[stage] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_FAULT_COUNTS: dict[str, int] = {}


class _Writer:
    """Writes finished entries; commits every ``commit_records`` rows or ``commit_seconds``.

    Each commit is atomic, so a killed scan leaves only whole entries behind and loses at
    most the uncommitted ones (redone on resume).  Fewer, larger transactions matter: with
    hash indexes on every row, a commit per small batch costs more than hashing small files.

    Another scan of the same exhibit (a second examiner, a rerun task) may have stored some
    entries meanwhile: the unique (exhibit, file_key) constraint refuses the duplicate, and
    the uncommitted entries are written again without those already there."""

    def __init__(self, session: Session, exhibit_id: int, commit_records: int,
                 commit_seconds: float):
        self.session = session
        self.exhibit_id = exhibit_id
        self.commit_records = commit_records
        self.commit_seconds = commit_seconds
        self.uncommitted: list[EntryResult] = []
        self.uncommitted_rows = 0
        self.last_commit = time.monotonic()

    def add(self, results: list[EntryResult]) -> int:
        _fault_point("before_store")
        try:
            rows = _insert(self.session, self.exhibit_id, results)
            self.uncommitted.extend(results)
        except IntegrityError:
            self.session.rollback()
            retry = self.uncommitted + results
            present: set[str] = set()
            keys = [r.file_key for r in retry]
            for i in range(0, len(keys), 500):
                present.update(self.session.scalars(select(FileRecord.file_key).where(
                    FileRecord.exhibit_id == self.exhibit_id,
                    FileRecord.file_key.in_(keys[i:i + 500]))))
            self.uncommitted = [r for r in retry if r.file_key not in present]
            rows = _insert(self.session, self.exhibit_id, self.uncommitted)
            self.uncommitted_rows = 0
        self.uncommitted_rows += rows
        _fault_point("mid_transaction")
        if (self.uncommitted_rows >= self.commit_records
                or time.monotonic() - self.last_commit >= self.commit_seconds):
            self.commit()
        return rows

    def commit(self) -> None:
        self.session.commit()
        self.uncommitted.clear()
        self.uncommitted_rows = 0
        self.last_commit = time.monotonic()
        _fault_point("after_commit")


def _sqlite_value(column):
    """Converter from a Python value to what SQLAlchemy itself stores in SQLite for this
    column type (so that reading through the ORM gives back exactly the same values)."""
    kind = type(column.type)
    if kind is DateTime:
        # SQLAlchemy's "%04d-%02d-%02d %02d:%02d:%02d.%06d"; strftime's %Y does not pad
        # years before 1000, which would sort wrongly as text.  isoformat is also 2x faster.
        return lambda v: None if v is None else v.isoformat(" ", "microseconds")
    if kind is JSON:  # SQLAlchemy's JSON stores Python None as JSON 'null' too
        return lambda v: "null" if v is None else json.dumps(v)
    if kind is Boolean:
        return lambda v: None if v is None else int(bool(v))
    return None


_SQLITE_COLUMNS = [c for c in FileRecord.__table__.columns if c.name != "id"]
_SQLITE_NAMES = [c.name for c in _SQLITE_COLUMNS]
_SQLITE_CONVERT = [(i, convert) for i, convert in
                   enumerate(_sqlite_value(c) for c in _SQLITE_COLUMNS) if convert is not None]
_SQLITE_INSERT = (f"INSERT INTO files ({', '.join(_SQLITE_NAMES)}) "
                  f"VALUES ({', '.join('?' for _ in _SQLITE_COLUMNS)})")


def _sqlite_insert(connection, rows: list[dict]) -> None:
    """The same rows as ``insert(FileRecord)`` writes, without SQLAlchemy's per-parameter
    processing, which costs more than hashing a small file (a test reads rows written both
    ways back through the ORM and compares them)."""
    params = []
    for row in rows:
        values = list(map(row.get, _SQLITE_NAMES))
        for i, convert in _SQLITE_CONVERT:
            values[i] = convert(values[i])
        params.append(tuple(values))
    connection.exec_driver_sql(_SQLITE_INSERT, params)


def _insert(session: Session, exhibit_id: int, results: list[EntryResult]) -> int:
    rows: list[dict] = []
    frames: list[list[dict]] = []
    for result in results:
        for rec in result.records:
            rec["exhibit_id"] = exhibit_id
            rows.append(rec)
            frames.append(rec.get("frames") or [])
    if rows:
        # One executemany per batch: per-row inserts cost more than hashing small files.
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            _sqlite_insert(connection, rows)
        else:
            connection.execute(insert(FileRecord),
                               [{k: rec.get(k) for k in FILE_COLUMNS} | {"exhibit_id": exhibit_id}
                                for rec in rows])
        with_frames = {row["file_key"]: fs for row, fs in zip(rows, frames, strict=True) if fs}
        if with_frames:  # videos only: look their ids up rather than RETURNING every row
            ids = {key: file_id for key, file_id in session.execute(
                select(FileRecord.file_key, FileRecord.id).where(
                    FileRecord.exhibit_id == exhibit_id,
                    FileRecord.file_key.in_(list(with_frames))))}
            session.connection().execute(insert(VideoFrame), [dict(f, file_id=ids[key])
                                                 for key, fs in with_frames.items() for f in fs])
    return len(rows)


def scan_exhibit(
    paths: list[str],
    case_reference: str,
    *,
    exhibit_reference: str | None = None,
    db_url: str | None = None,
    workers: int | None = None,
    options: WorkerOptions | None = None,
    snapshots: bool = False,
    verify: bool = True,
    progress: ProgressSink | None = None,
    batch_files: int = 64,
    batch_bytes: int = 64 << 20,
    commit_records: int = 5000,
    commit_seconds: float = 2.0,
    stop_after: Callable[[int], bool] | None = None,
    dask_client=None,
) -> ScanSummary:
    """Scan the exhibit made of ``paths`` into the database; resume if already started.

    With a ``dask_client`` (see seawall.cluster), files are hashed by the cluster's workers."""
    paths = [os.path.abspath(p) for p in paths]
    progress = progress or NoProgress()
    workers = workers or max(1, os.cpu_count() or 1)
    source_cls = registry.detect(paths)
    source_options: tuple = ()
    if source_cls.SUPPORTS_SNAPSHOTS and snapshots:
        source_options = (("snapshots", True),)
    options = options or WorkerOptions()
    options = WorkerOptions(**{**options.__dict__, "source_options": source_options})
    exhibit_reference = exhibit_reference or os.path.basename(paths[0].rstrip("/")) or paths[0]

    session = session_factory(db_url)()
    try:
        case = get_or_create_case(session, case_reference)
        exhibit = _get_or_create(
            session, Exhibit, [Exhibit.case_id == case.id, Exhibit.reference == exhibit_reference],
            case_id=case.id, reference=exhibit_reference, source_kind=source_cls.NAME,
            identity={}, scan_started=utcnow(), status="scanning")
        if exhibit.identity.get("paths") and exhibit.identity["paths"] != paths:
            raise ValueError(
                f"exhibit {exhibit_reference!r} of case {case_reference!r} was scanned from "
                f"{exhibit.identity['paths']}, not {paths}; choose another --exhibit-id")
        session.commit()  # never hold the database's write lock while verifying an image
        # Only this process describes the exhibit, so only it verifies the image's stored
        # acquisition hash (one extra read of the media); workers just read files.
        describe_options = dict(source_options)
        if source_cls.VERIFIES_MEDIA:
            describe_options["verify"] = verify
        source = source_cls(paths, **describe_options)
        exhibit.identity = {**source.describe(), "paths": paths}
        exhibit.tool_version = __version__
        exhibit.versions = dependency_versions()
        exhibit.status = "scanning"
        exhibit.scan_finished = None
        session.commit()
        summary = ScanSummary(case=case_reference, exhibit=exhibit_reference,
                              exhibit_id=exhibit.id,
                              warnings=list(exhibit.identity.get("warnings", [])))

        done = set(session.scalars(select(FileRecord.file_key).where(
            FileRecord.exhibit_id == exhibit.id, FileRecord.parent_key.is_(None))))

        def listed() -> Iterator[FileEntry]:
            """Entries still to scan, listed while earlier batches are being hashed."""
            files = size = 0
            for entry in source.iter_entries():
                summary.files_total += 1
                if entry.file_key in done:
                    summary.files_skipped += 1
                    continue
                files += 1
                size += entry.size or 0
                if files % 500 == 0:
                    progress.listing(files, size)
                yield entry
            progress.listing(files, size, done=True)
            late = [w for w in source.listing_warnings()
                    if w not in exhibit.identity.get("warnings", [])]
            if late:  # seen while listing (unreadable directories, empty file systems)
                exhibit.identity = {**exhibit.identity,
                                    "warnings": [*exhibit.identity.get("warnings", []), *late]}
                summary.warnings.extend(late)
            source.close()

        progress.start()
        pending = listed()
        batches = _batches(pending, batch_files, batch_bytes)
        writer = _Writer(session, exhibit.id, commit_records, commit_seconds)
        consume = _consumer(writer, progress, summary, stop_after)
        try:
            if dask_client is not None:
                from seawall.scan.distributed import run_on_cluster

                run_on_cluster(dask_client, paths, source_cls.NAME, batches, options, consume)
            else:
                _run_local(paths, source_cls.NAME, batches, options, workers, consume)
        finally:
            # Interrupted (Ctrl-C) or failed: keep every whole entry already written.
            if writer.uncommitted_rows:
                writer.commit()

        exhibit.status = "complete"
        exhibit.scan_finished = utcnow()
        session.commit()
        source.release_work_files()
        summary.exhibit_errors = list(exhibit.identity.get("errors", []))
        summary.errors = session.query(FileRecord).filter(
            FileRecord.exhibit_id == exhibit.id, FileRecord.error.is_not(None)).count()
        return summary
    finally:
        session.close()


def _consumer(writer: _Writer, progress, summary, stop_after):
    def consume(results: list[EntryResult]) -> None:
        summary.records_written += writer.add(results)
        nbytes = sum(r.bytes_read for r in results)
        summary.files_scanned += len(results)
        summary.bytes_read += nbytes
        progress.advance(len(results), nbytes)
        if stop_after and stop_after(summary.files_scanned):
            raise KeyboardInterrupt("stop_after")
    return consume


def _run_local(paths, kind, batches, options, workers, consume) -> None:
    if os.environ.get("SEAWALL_INLINE") == "1":  # debugging: no subprocesses
        for batch in batches:
            consume(process_batch(tuple(paths), kind, batch, options))
        return
    # Bounded number of batches in flight: memory stays flat however large the exhibit.
    max_in_flight = workers * 3
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker)
    in_flight: dict[Future, list[FileEntry]] = {}
    try:
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < max_in_flight:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                in_flight[pool.submit(process_batch, tuple(paths), kind, batch, options)] = batch
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            crashed: list[FileEntry] = []
            for future in finished:
                batch = in_flight.pop(future)
                try:
                    consume(future.result())
                except BrokenProcessPool:
                    crashed.extend(batch)
            if crashed:
                # A native library died on some file (hostile input).  Every batch still in
                # the broken pool is lost too: redo them one file at a time in isolation.
                for batch in in_flight.values():
                    crashed.extend(batch)
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                for entry in crashed:
                    consume([_isolated(paths, kind, entry, options)])
                pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _isolated(paths, kind, entry: FileEntry, options: WorkerOptions) -> EntryResult:
    """Process one entry in a throw-away process; a crash becomes that file's error."""
    with ProcessPoolExecutor(max_workers=1, initializer=init_worker) as solo:
        try:
            return solo.submit(process_batch, tuple(paths), kind, [entry], options).result()[0]
        except BrokenProcessPool:
            record = _crash_record(entry)
            return EntryResult(entry.file_key, [record], 0)


def _crash_record(entry: FileEntry) -> dict:
    from seawall.scan.worker import base_record

    record = base_record(entry)
    record["error"] = "worker process crashed while reading this file (hostile or corrupt data)"
    return record
