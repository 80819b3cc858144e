"""Models for force operations: the digital-forensics backlog and the workforce register.

Backlog items are keyed by case and exhibit *reference* rather than only by foreign key,
because most of them come from the force's case-management system (CSV import) before any
Seawall scan exists; ``case_id``/``exhibit_id`` link them to Seawall rows when those exist.
Times are naive UTC and dates are calendar dates, as in :mod:`seawall.store.models`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seawall.store.models import Base, utcnow

BACKLOG_STATUSES = ("received", "triaged", "in_examination", "reported")
# Automated processing (``seawall process``) of an item that has a path, beside its
# examination status: the exhibit waits for an examiner however its scan went.
SCAN_STATUSES = ("scanning", "scanned", "failed")
EXHIBIT_TYPES = ("phone", "computer", "storage", "cloud_return")


class BacklogItem(Base):
    """One exhibit awaiting (or done with) digital-forensic examination."""

    __tablename__ = "ops_backlog_items"
    __table_args__ = (UniqueConstraint("case_reference", "exhibit_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    exhibit_reference: Mapped[str] = mapped_column(String(200), nullable=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    exhibit_id: Mapped[int | None] = mapped_column(ForeignKey("exhibits.id"))
    exhibit_type: Mapped[str] = mapped_column(String(20), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received",
                                        index=True)
    # Band as imported or entered; casework's latest assessment wins when there is one
    # (see seawall.operations.bands.case_bands).
    risk_band: Mapped[str | None] = mapped_column(String(20))
    safeguarding: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    estimated_hours: Mapped[float | None] = mapped_column(Float)
    started_on: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)
    actual_hours: Mapped[float | None] = mapped_column(Float)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("ops_staff.id"))
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 onupdate=utcnow)
    # The exhibit's evidence (as every processing node mounts it): set, the item is
    # scanned and matched by ``seawall process`` in queue order.
    path: Mapped[str | None] = mapped_column(Text)
    scan_status: Mapped[str | None] = mapped_column(String(20), index=True)  # SCAN_STATUSES
    scan_error: Mapped[str | None] = mapped_column(Text)
    scan_started: Mapped[datetime | None] = mapped_column(DateTime)
    scan_finished: Mapped[datetime | None] = mapped_column(DateTime)
    scan_files: Mapped[int | None] = mapped_column(Integer)  # records so far, then in all
    scan_errors: Mapped[int | None] = mapped_column(Integer)  # records with a read error
    scan_counts: Mapped[dict | None] = mapped_column(JSON)  # provisional category counts
    # A processor's claim: renewed by its heartbeat; once expired, another may take over.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires: Mapped[datetime | None] = mapped_column(DateTime)

    examiner: Mapped[Staff | None] = relationship()


class Team(Base):
    __tablename__ = "ops_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)

    members: Mapped[list[Staff]] = relationship(back_populates="team")


class Staff(Base):
    """A member of staff (officer or police staff) in the force's register."""

    __tablename__ = "ops_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_number: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("ops_teams.id"), index=True)
    role: Mapped[str] = mapped_column(String(50), nullable=False)
    # None: take the role's default from the workforce configuration.
    dedicated_ocsa: Mapped[bool | None] = mapped_column(Boolean)
    hours_per_week: Mapped[float] = mapped_column(Float, nullable=False, default=37.0)
    # Seawall login, when the person has one: links the grading exposure counters.
    username: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    team: Mapped[Team | None] = relationship(back_populates="members")
    credentials: Mapped[list[Credential]] = relationship(
        back_populates="staff", cascade="all, delete-orphan")
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="staff", cascade="all, delete-orphan")


class Credential(Base):
    """A training course, accreditation or welfare screening held (or in progress)."""

    __tablename__ = "ops_credentials"
    __table_args__ = (UniqueConstraint("staff_id", "code", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("ops_staff.id"), nullable=False,
                                          index=True)
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="held")
    achieved_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)

    staff: Mapped[Staff] = relationship(back_populates="credentials")


class Allocation(Base):
    """Work allocated to a member of staff: their current workload."""

    __tablename__ = "ops_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("ops_staff.id"), nullable=False,
                                          index=True)
    case_reference: Mapped[str] = mapped_column(String(200), nullable=False)
    task: Mapped[str] = mapped_column(String(40), nullable=False)
    risk_band: Mapped[str | None] = mapped_column(String(20))
    hours: Mapped[float | None] = mapped_column(Float)
    allocated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    allocated_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    staff: Mapped[Staff] = relationship(back_populates="allocations")
