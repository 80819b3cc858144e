"""Append-only, hash-chained audit log.

Each entry stores the SHA-256 of the previous entry (``prev_hash``) and its own hash
(``entry_hash``) over a canonical serialisation of its content and ``prev_hash``.  Editing,
deleting, inserting or reordering entries therefore breaks the chain, and :func:`verify` says
where.  The single ``audit_head`` row holds the tip; appenders update it before reading it,
which serialises concurrent writers (a row lock on PostgreSQL, the write lock on SQLite), so
two writers can never chain onto the same entry.  ``prev_hash`` is also UNIQUE, so a fork
cannot commit even if that serialisation were bypassed.

An entry is written in the caller's transaction: the action and its audit record commit or
roll back together.  Keep that transaction short, as it holds the log's lock until commit.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from seawall.store.audit_models import AuditEntry, AuditHead
from seawall.store.models import utcnow

GENESIS_HASH = "0" * 64

# Known actions, for the UI's filter; record() accepts any dotted name.
ACTIONS = (
    "login.success", "login.failure", "login.delayed", "login.rate_limited", "logout",
    "case.view", "files.view", "media.view", "media.reveal", "grade", "grade.undo",
    "grade.resolve", "export", "admin.user.add", "admin.user.update", "admin.case.add",
    "admin.case.assign", "admin.case.unassign", "audit.view", "access.denied",
)


def _timestamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def canonical(seq: int, at: datetime, actor: str, action: str, case: str | None,
              target: str | None, details: dict | None, prev_hash: str) -> bytes:
    """The bytes an entry's hash covers: sorted-key, whitespace-free UTF-8 JSON."""
    doc = {
        "seq": seq, "at": _timestamp(at), "actor": actor, "action": action, "case": case,
        "target": target, "details": details, "prev": prev_hash,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def entry_digest(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(
        entry.seq, entry.at, entry.actor, entry.action, entry.case_reference, entry.target,
        entry.details, entry.prev_hash)).hexdigest()


def _normalise(details: dict | None) -> dict | None:
    # Round-trip through JSON now so the hashed value is exactly what the database returns.
    if details is None:
        return None
    return json.loads(json.dumps(details, sort_keys=True, default=str))


def _lock_head(session: Session) -> AuditHead:
    """Take the log's append lock and return the head row (created on first use)."""
    now = utcnow()
    # A write first: on SQLite this takes the database write lock before we read the tip;
    # on PostgreSQL it row-locks the head until commit, like SELECT ... FOR UPDATE.
    result = cast(CursorResult, session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(updated_at=now)
        .execution_options(synchronize_session=False)))
    if result.rowcount == 0:
        # Only for a head row removed by hand: the migration creates it.
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH, updated_at=now)
        session.add(head)
        # A concurrent first writer makes this flush fail on the primary key; the caller's
        # transaction then rolls back rather than forking the chain.
        session.flush()
        return head
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    return head


def record(session: Session, actor: str, action: str, case: str | None = None,
           target: str | None = None, details: dict | None = None) -> AuditEntry:
    """Append one entry to the audit log in ``session``'s transaction and return it.

    ``actor`` is a username (or "-" when unknown, e.g. a failed login's client), ``case`` a
    case reference, ``target`` what was acted on (a file id, a username ...), ``details`` any
    JSON-serialisable dict.  Commit the session to make it durable.
    """
    head = _lock_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1, at=utcnow(), actor=actor, action=action, case_reference=case,
        target=None if target is None else str(target), details=_normalise(details),
        prev_hash=head.last_hash)
    entry.entry_hash = entry_digest(entry)
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.entry_hash
    session.flush()
    return entry


def cli_actor() -> str:
    """The actor recorded for changes made from the command line: the OS login name."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def verify(session: Session) -> list[str]:
    """Check the whole chain; return human-readable problems (empty when intact).

    Detects edited entries (hash mismatch), deleted ones (sequence gap / broken link),
    inserted ones (broken link / duplicate sequence), reordered ones (sequence and links out
    of order) and entries cut off the end (head disagrees with the last entry).
    """
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    last: AuditEntry | None = None
    # Row id is insertion order; seq is what the chain says the order should be.
    entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)
                              .execution_options(yield_per=1000)).scalars()
    for entry in entries:
        where = f"entry seq {entry.seq} (row {entry.id})"
        if entry_digest(entry) != entry.entry_hash:
            problems.append(f"{where}: content does not match its hash (edited)")
        if entry.seq != expected_seq:
            if last is not None and entry.seq < last.seq:
                problems.append(f"{where}: out of order after seq {last.seq} (reordered)")
            elif entry.seq > expected_seq:
                problems.append(f"{where}: seq {expected_seq}..{entry.seq - 1} missing (deleted)")
            else:
                problems.append(f"{where}: repeated sequence number (inserted)")
        if entry.prev_hash != prev_hash:
            after = f"seq {last.seq}" if last is not None else "the start of the log"
            problems.append(f"{where}: does not link to the entry before it ({after}); "
                            "entries deleted, inserted or reordered here")
        prev_hash = entry.entry_hash
        expected_seq = entry.seq + 1
        last = entry
    head = session.get(AuditHead, 1)
    if head is not None:
        last_seq = last.seq if last is not None else 0
        if head.last_seq != last_seq or head.last_hash != prev_hash:
            problems.append(f"end of log: head records seq {head.last_seq} but the log ends at "
                            f"seq {last_seq} (entries deleted from the end, or head edited)")
    elif last is not None:
        problems.append("end of log: head row missing")
    return problems


def check_anchors(session: Session, anchors: list[tuple[int, str]]) -> list[str]:
    """Compare entries with (seq, hash) pairs noted earlier *outside* the database (see
    ``seawall audit anchor``).  A consistent rewrite of the whole chain and its head passes
    :func:`verify` but cannot reproduce an anchored hash."""
    problems = []
    for seq, expected in anchors:
        found = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq))
        if found is None:
            problems.append(f"anchor seq {seq}: entry missing (anchored hash {expected})")
        elif found != expected:
            problems.append(f"anchor seq {seq}: hash {found} differs from the anchored "
                            f"{expected}: the log was rewritten")
    return problems


def head_hash(session: Session) -> tuple[int, str]:
    """(last sequence number, last hash): note it outside the database to anchor the log."""
    head = session.get(AuditHead, 1)
    return (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
