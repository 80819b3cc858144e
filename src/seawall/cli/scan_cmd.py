"""``seawall scan``, ``seawall files``, ``seawall export`` and ``seawall demo``."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from seawall.cli.common import CaseOption, DbOption, audit_cli, console, fail
from seawall.cluster import cluster_client


class RichProgress:
    """Two bars, files and bytes, with rate and ETA; their totals grow while the exhibit is
    still being listed (the description says so) and are exact once listing is done."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.files_task = None
        self.bytes_task = None

    def start(self) -> None:
        self.files_task = self.progress.add_task("files (listing…)", total=None)
        self.bytes_task = self.progress.add_task("bytes (listing…)", total=None)

    def listing(self, files: int, size: int, done: bool = False) -> None:
        suffix = "" if done else " (listing…)"
        self.progress.update(self.files_task, total=files, description=f"files{suffix}")
        self.progress.update(self.bytes_task, total=max(size, 1), description=f"bytes{suffix}")

    def advance(self, files: int, nbytes: int) -> None:
        self.progress.advance(self.files_task, files)
        self.progress.advance(self.bytes_task, nbytes)


def summary_table(summary, db_url) -> Table:
    from sqlalchemy import func, select

    from seawall.store.db import session_scope
    from seawall.store.models import FileRecord

    table = Table(title=f"Exhibit {summary.exhibit} (case {summary.case})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    with session_scope(db_url) as session:
        rows = session.execute(
            select(FileRecord.media_class, func.count(),
                   func.coalesce(func.sum(FileRecord.size), 0))
            .where(FileRecord.exhibit_id == summary.exhibit_id).group_by(FileRecord.media_class)
        ).all()
        deleted = session.scalar(select(func.count()).where(
            FileRecord.exhibit_id == summary.exhibit_id, FileRecord.allocated.is_(False)))
    total_files = sum(r[1] for r in rows)
    total_bytes = sum(r[2] for r in rows)
    table.add_row("file records", str(total_files))
    table.add_row("bytes", f"{total_bytes:,}")
    table.add_row("deleted (recovered)", str(deleted))
    for media_class, count, size in sorted(rows, key=lambda r: str(r[0])):
        table.add_row(f"  {media_class or 'unread'}", f"{count} ({size:,} B)")
    table.add_row("read this run", f"{summary.files_scanned} entries, {summary.bytes_read:,} B")
    if summary.files_skipped:
        table.add_row("already recorded (resumed)", str(summary.files_skipped))
    table.add_row("errors", str(summary.errors))
    return table


def scan(
    exhibit: list[Path] = typer.Argument(..., help="Folder, file or disk image (all segments "
                                         "of one image, or just the first: .E01/.001)."),
    case: str = CaseOption,
    exhibit_id: str = typer.Option(None, "--exhibit-id", help="Exhibit reference (default: "
                                   "the file or folder name)."),
    workers: int = typer.Option(0, "--workers", help="Worker processes (default: all cores)."),
    snapshots: bool = typer.Option(False, "--snapshots", help="Also scan Windows shadow copies."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Verify a disk image's "
                                "stored acquisition hash (E01 MD5) before the scan; for raw "
                                "images, compute and record the media MD5."),
    full_pdq: bool = typer.Option(False, "--full-pdq", help="PDQ at full resolution (slower; "
                                  "no reduced-size JPEG decode)."),
    no_archives: bool = typer.Option(False, "--no-archives", help="Do not expand archives."),
    match: bool = typer.Option(True, "--match/--no-match", help="Match against hash sets after "
                               "the scan when any are imported."),
    cluster: str = typer.Option(None, "--cluster", help="Dask scheduler address, e.g. "
                                "tcp://HOST:8786: run the scan on a Dask cluster whose workers "
                                "see the exhibit at the same path."),
    batch_size: int = typer.Option(64, "--batch-size", help="Files per work unit (and per "
                                   "database transaction)."),
    commit_every: int = typer.Option(5000, "--commit-every", help="Records per database "
                                     "transaction (also committed every 2 s): the most a "
                                     "crash can make a resumed scan redo."),
    db: str = DbOption,
) -> None:
    """Scan an exhibit: list every file (incl. deleted), hash it, store the records."""
    from seawall.scan.pipeline import scan_exhibit
    from seawall.scan.worker import WorkerOptions

    for p in exhibit:
        if not p.exists() and not p.is_symlink():
            fail(f"{p}: no such file or folder")
    options = WorkerOptions(fast_pdq=not full_pdq, expand_archives=not no_archives)
    with ExitStack() as stack:
        client = None
        if cluster:
            # Before anything is recorded: an unreachable cluster (Unavailable) changes nothing.
            client = stack.enter_context(cluster_client(cluster))
        audit_cli(db, "scan.start", case=case, target=exhibit_id,
                  details={"paths": [str(p.absolute()) for p in exhibit]})
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                      console=console, transient=False) as progress:
            try:
                summary = scan_exhibit([str(p) for p in exhibit], case,
                                       exhibit_reference=exhibit_id, db_url=db,
                                       workers=workers or None, options=options,
                                       snapshots=snapshots, verify=verify,
                                       progress=RichProgress(progress),
                                       batch_files=max(1, batch_size), dask_client=client,
                                       commit_records=max(1, commit_every))
            except ValueError as exc:  # e.g. dfVFS on a malformed image, reported like ours
                fail(str(exc))
    audit_cli(db, "scan.finish", case=case, target=summary.exhibit, details={
        "files_scanned": summary.files_scanned, "records_written": summary.records_written,
        "files_with_errors": summary.errors, "exhibit_errors": summary.exhibit_errors})
    console.print(summary_table(summary, db))
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    for error in summary.exhibit_errors:
        console.print(f"[red]error:[/red] {escape(error)}")
    if match:
        _match_after_scan(case, db)
    if summary.exhibit_errors:
        # Finished, and everything read is recorded; but part of the exhibit was not read.
        raise typer.Exit(1)


def _match_after_scan(case: str, db: str | None) -> None:
    from seawall.matching import service
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        if service.has_hashsets(session):
            result = service.match_case(session, case)
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(result["matches"].items()))
            sets = ", ".join(f"{s['set']} v{s['version']}" for s in result["sets"])
            console.print(f"case {case}: {result['files_matched']} of {result['files']} files "
                          f"matched ({kinds or 'no matches'}) against {sets}; "
                          f"'seawall counts --case {case}' for the category counts")


FILE_FIELDS = ["exhibit", "volume", "path", "inode", "allocated", "size", "md5", "sha1",
               "sha256", "media_type", "pdq", "pdq_quality", "category", "error"]


def files(
    case: str = CaseOption,
    fmt: str = typer.Option("tsv", "--format", help="tsv or json."),
    db: str = DbOption,
) -> None:
    """List the file records of a case."""
    from seawall.scan.listing import file_dict, iter_files
    from seawall.store.db import session_scope
    from seawall.store.queries import case_by_reference

    if fmt not in ("tsv", "json"):
        fail("--format must be tsv or json")
    with session_scope(db) as session:
        case_by_reference(session, case)
        pairs = list(iter_files(session, case))
        rows = [file_dict(e, r) for e, r in pairs]
        _add_match_results(session, rows, [r.id for _, r in pairs])
    audit_cli(db, "case.files.list", case=case, details={"format": fmt, "records": len(rows)})
    if fmt == "json":
        json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    writer.writerow(FILE_FIELDS)
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in FILE_FIELDS])


def _add_match_results(session, rows: list[dict], file_ids: list[int]) -> None:
    from seawall.matching import NO_VERDICT, service

    results = service.file_results(session, file_ids)
    for row, file_id in zip(rows, file_ids, strict=True):
        verdict = results.get(file_id, NO_VERDICT)
        row["category"] = verdict.category
        row["known_benign"] = verdict.known_benign
        row["matches"] = [m.as_dict() for m in verdict.matches]


def export(
    case: str = CaseOption,
    fmt: str = typer.Option(..., "--format", help="Export format (dfxml, ...)."),
    out: Path = typer.Option(..., "--out", help="Output file."),
    dialect: str = typer.Option("UK", "--dialect", help="VICS dialect (UK or US)."),
    db: str = DbOption,
) -> None:
    """Export a case's records in an interchange format."""
    from seawall.exports.registry import EXPORTERS
    from seawall.store.db import session_scope
    from seawall.store.queries import case_by_reference

    exporter = EXPORTERS.get(fmt)
    with session_scope(db) as session:
        case_by_reference(session, case)
        count = exporter(session, case, out, dialect=dialect)
    audit_cli(db, "case.export", case=case, target=str(out.absolute()),
              details={"format": fmt, "dialect": dialect, "records": count})
    console.print(f"wrote {out} ({count} records, {fmt})")


def register(app: typer.Typer) -> None:
    app.command()(scan)
    app.command()(files)
    app.command()(export)
