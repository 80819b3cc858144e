"""Processing one claimed backlog item, and the processor's loop.

Each item is scanned (resuming an earlier, interrupted scan of it), its case matched, and
the results kept on the item: ``scanned`` with start/finish times, file and error counts and
the exhibit's provisional category counts (as ``seawall counts`` gives them), or ``failed``
with the reason (a missing path, something that is not an exhibit) for an examiner to fix
and retry.  A processor stopped (Ctrl-C, SIGTERM) gives its item back at once; one killed
leaves it to be taken over when the lease expires.  A cluster that goes away leaves the
item resumable and stops the processor.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seawall.errors import Conflict, NotFound, Unavailable
from seawall.matching import service as matching
from seawall.matching.counts import case_counts
from seawall.operations.config import BacklogConfig
from seawall.processing.claims import (
    LEASE_SECONDS,
    Claim,
    Heartbeat,
    claim_next,
    release,
    unfinished,
)
from seawall.scan.pipeline import scan_exhibit
from seawall.scan.worker import WorkerOptions
from seawall.store import audit
from seawall.store.db import session_scope
from seawall.store.models import Case, Exhibit, FileRecord, utcnow
from seawall.store.operations_models import BacklogItem


@dataclass(frozen=True)
class ScanSettings:
    """How each exhibit is scanned (the options of ``seawall scan``)."""

    workers: int | None = None
    batch_files: int = 64
    commit_records: int = 5000
    options: WorkerOptions = WorkerOptions()


@dataclass
class Processed:
    """One item's outcome, as ``seawall process --format json`` prints it."""

    case: str
    exhibit: str
    band: str
    started: datetime | None
    finished: datetime | None
    files: int
    errors: int
    counts: dict | None
    status: str
    error: str | None = None

    def as_dict(self) -> dict:
        out = {"case": self.case, "exhibit": self.exhibit, "band": self.band,
               "started": _iso(self.started), "finished": _iso(self.finished),
               "files": self.files, "errors": self.errors, "counts": self.counts}
        if self.status != "scanned":
            out |= {"status": self.status, "error": self.error}
        return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def process_claim(db_url: str | None, claim: Claim, actor: str, *, client=None,
                  settings: ScanSettings = ScanSettings(),
                  lease_seconds: float = LEASE_SECONDS) -> Processed | None:
    """Scan and match the claimed item; record the outcome on it (None: another processor
    took the item over meanwhile)."""
    try:
        with Heartbeat(db_url, claim, lease_seconds):
            return _scan_and_match(db_url, claim, actor, client, settings)
    except (KeyboardInterrupt, SystemExit):
        release(db_url, claim)  # a no-op once the outcome is recorded
        raise


def _scan_and_match(db_url: str | None, claim: Claim, actor: str, client,
                    settings: ScanSettings) -> Processed | None:
    try:
        if not os.path.exists(claim.path):
            raise FileNotFoundError(f"{claim.path}: no such file or folder")
        scan_exhibit([claim.path], claim.case, exhibit_reference=claim.exhibit,
                     db_url=db_url, workers=settings.workers, options=settings.options,
                     batch_files=settings.batch_files, commit_records=settings.commit_records,
                     dask_client=client)
        with session_scope(db_url) as session:
            if matching.has_hashsets(session):
                matching.match_case(session, claim.case, client=client)
    except Exception as exc:  # noqa: BLE001 - bad input is the item's error; go on
        if client is not None and client.status != "running":
            release(db_url, claim)
            raise Unavailable(f"the Dask cluster went away while scanning "
                              f"{claim.case}/{claim.exhibit} (resumable): {exc}") from exc
        return _record(db_url, claim, actor, error=str(exc) or type(exc).__name__)
    return _record(db_url, claim, actor)


def _record(db_url: str | None, claim: Claim, actor: str,
            error: str | None = None) -> Processed | None:
    with session_scope(db_url) as session:
        item = session.get(BacklogItem, claim.item_id, with_for_update=True)
        if item is None or item.lease_owner != claim.owner:
            # The lease ran out (no heartbeat got through) and another processor took the
            # item over: it records the outcome, once.
            return None
        exhibit = session.scalar(select(Exhibit).join(Case).where(
            Case.reference == claim.case, Exhibit.reference == claim.exhibit))
        files = errors = 0
        counts = None
        if exhibit is not None:
            files, errors = session.execute(
                select(func.count(), func.count(FileRecord.error))
                .where(FileRecord.exhibit_id == exhibit.id)).one()
            item.case_id, item.exhibit_id = exhibit.case_id, exhibit.id
            if error is None:
                counts = case_counts(session, claim.case)["exhibits"].get(claim.exhibit)
        item.scan_status = "failed" if error else "scanned"
        item.scan_error = error
        item.scan_finished = utcnow()
        item.scan_files, item.scan_errors, item.scan_counts = files, errors, counts
        item.lease_owner = item.lease_expires = None
        audit.record(session, actor, "operations.backlog.process", case=claim.case,
                     target=claim.exhibit, details={
                         "status": item.scan_status, "files": files, "errors": errors,
                         "error": error, "processor": claim.owner})
        return Processed(claim.case, claim.exhibit, claim.band, item.scan_started,
                         item.scan_finished, files, errors, counts, item.scan_status, error)


def run(db_url: str | None, cfg: BacklogConfig, owner: str, actor: str, *,
        until_empty: bool, poll_seconds: float = 10.0, client=None,
        settings: ScanSettings = ScanSettings(), lease_seconds: float = LEASE_SECONDS,
        ) -> Iterator[Processed]:
    """Process items in priority order, yielding each outcome.  With ``until_empty``, stop
    once no item with a path is left to process, nor being processed by another processor
    (whose lease may yet expire); otherwise poll for new items for ever."""
    while True:
        claim = claim_next(db_url, cfg, owner, lease_seconds)
        if claim is not None:
            done = process_claim(db_url, claim, actor, client=client, settings=settings,
                                 lease_seconds=lease_seconds)
            if done is not None:
                yield done
            continue
        if until_empty and not unfinished(db_url):
            return
        time.sleep(poll_seconds)


def retry(session: Session, actor: str, case: str, exhibit: str) -> BacklogItem:
    """Make a failed item claimable again (once its path is fixed); audited.  Caller
    commits."""
    item = session.scalar(select(BacklogItem).where(
        BacklogItem.case_reference == case, BacklogItem.exhibit_reference == exhibit))
    if item is None:
        raise NotFound(f"no backlog item {case}/{exhibit}")
    if item.scan_status != "failed":
        raise Conflict(f"{case}/{exhibit} has not failed (scan status: "
                       f"{item.scan_status or 'not processed'})")
    audit.record(session, actor, "operations.backlog.retry", case=case, target=exhibit,
                 details={"error": item.scan_error})
    item.scan_status = item.scan_error = None
    return item
