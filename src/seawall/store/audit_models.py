"""Tables of the append-only, hash-chained audit log (written by :mod:`seawall.store.audit`).

Times are naive UTC, as in :mod:`seawall.store.models`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seawall.store.models import Base, utcnow


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log (see seawall.store.audit)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Sequence number, 1, 2, 3 ... without gaps; hashed, so renumbering is detected.
    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    case_reference: Mapped[str | None] = mapped_column(String(200), index=True)
    target: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    # Unique: two writers that both chained onto the same entry (a fork) cannot both commit.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHead(Base):
    """Single row holding the chain's tip.  Appenders update it first, which serialises them
    (a row lock on PostgreSQL, the database write lock on SQLite), and it lets verification
    notice entries cut off the end of the log."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
