"""Which processor scans which backlog item: claims that are leases with a heartbeat.

A processor claims the first claimable item in the backlog's own priority order (the score
``seawall backlog queue`` explains).  An item is claimable when it waits for examination,
has a path, and is either not yet processed or being processed under an expired lease (its
processor died: the scan resumes where it stopped).  Claiming is one short transaction that
locks the candidates it reads: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
processors never wait for each other, and an immediate transaction (the database's write
lock taken first) on SQLite.  Either way no two processors hold the same item.

Lease times are the processors' own UTC clocks: keep the lab's machines on NTP, and the
lease well above any clock difference.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from seawall.operations import backlog, policy
from seawall.operations.config import BacklogConfig
from seawall.operations.model import WAITING
from seawall.store.db import session_factory
from seawall.store.models import Case, Exhibit, FileRecord, utcnow
from seawall.store.operations_models import BacklogItem

LEASE_SECONDS = 120.0
log = logging.getLogger(__name__)


def processor_name() -> str:
    """This processor in leases and the audit log: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    item_id: int
    case: str
    exhibit: str
    path: str
    band: str
    owner: str


def _claimable(now: datetime):
    return and_(BacklogItem.path.is_not(None), BacklogItem.status.in_(WAITING),
                or_(BacklogItem.scan_status.is_(None),
                    and_(BacklogItem.scan_status == "scanning",
                         or_(BacklogItem.lease_expires.is_(None),
                             BacklogItem.lease_expires < now))))


def claim_next(db_url: str | None, cfg: BacklogConfig, owner: str,
               lease_seconds: float = LEASE_SECONDS) -> Claim | None:
    """Claim the most urgent claimable item for ``owner``; None when there is none now."""
    session = session_factory(db_url)()
    try:
        entries = {(e.case_reference, e.exhibit_reference): e
                   for e in backlog.load_entries(session, cfg)}
        order = [(e.case_reference, e.exhibit_reference)  # as `seawall backlog queue` today
                 for e in policy.order(entries.values(), date.today(), cfg)]
        session.rollback()  # the ordering read is done; the claim is its own transaction
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        now = utcnow()
        query = select(BacklogItem).where(_claimable(now))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        free = {(i.case_reference, i.exhibit_reference): i for i in session.scalars(query)}
        key = next((k for k in order if k in free), None)
        if key is None:
            session.rollback()
            return None
        item = free[key]
        if item.scan_status is None:  # else taken over from a dead processor: resumed
            item.scan_started = now
        item.scan_status = "scanning"
        item.lease_owner = owner
        item.lease_expires = now + timedelta(seconds=lease_seconds)
        item.scan_finished = None
        item.scan_error = None
        claim = Claim(item.id, item.case_reference, item.exhibit_reference, item.path or "",
                      entries[key].band, owner)
        session.commit()
        return claim
    finally:
        session.close()


def unfinished(db_url: str | None) -> int:
    """Items with a path still to process or being processed (by anyone)."""
    with session_factory(db_url)() as session:
        return session.scalar(select(func.count()).select_from(BacklogItem).where(
            BacklogItem.path.is_not(None), BacklogItem.status.in_(WAITING),
            or_(BacklogItem.scan_status.is_(None), BacklogItem.scan_status == "scanning"))) or 0


def release(db_url: str | None, claim: Claim) -> None:
    """Give an unfinished item back at once (interrupted, or the cluster went away): the
    next processor resumes its scan."""
    with session_factory(db_url)() as session:
        session.execute(update(BacklogItem).where(
            BacklogItem.id == claim.item_id, BacklogItem.lease_owner == claim.owner)
            .values(scan_status=None, lease_owner=None, lease_expires=None))
        session.commit()


class Heartbeat:
    """Renews a claim's lease every third of its length while the item is processed, and
    records the scan's progress (records stored so far) on the item."""

    def __init__(self, db_url: str | None, claim: Claim, lease_seconds: float):
        self.db_url, self.claim, self.lease_seconds = db_url, claim, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="seawall-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - a busy database: the next beat retries
                log.warning("lease of %s/%s not renewed: %s", self.claim.case,
                            self.claim.exhibit, exc)

    def beat(self) -> None:
        with session_factory(self.db_url)() as session:
            stored = session.scalar(
                select(func.count()).select_from(FileRecord)
                .join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
                .join(Case, Case.id == Exhibit.case_id)
                .where(Case.reference == self.claim.case,
                       Exhibit.reference == self.claim.exhibit))
            session.execute(update(BacklogItem).where(
                BacklogItem.id == self.claim.item_id,
                BacklogItem.lease_owner == self.claim.owner).values(
                lease_expires=utcnow() + timedelta(seconds=self.lease_seconds),
                scan_files=stored))
            session.commit()
