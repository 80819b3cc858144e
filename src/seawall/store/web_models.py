"""Models for the web application: users, case assignments, sessions, login attempts, the
audit log, and grading (grades, final grades, reveals, exposure).

They share :class:`seawall.store.models.Base`, so one Alembic history covers everything.
Times are naive UTC, as in :mod:`seawall.store.models`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seawall.store.models import Base, Case, utcnow

ROLES = ("admin", "supervisor", "examiner", "grader", "investigator")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Consecutive failed logins; reset by a successful login or an admin unlock.
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    # Welfare limits set by an admin; None means no limit.
    daily_reveal_limit: Mapped[int | None] = mapped_column(Integer)
    daily_grading_minutes_limit: Mapped[int | None] = mapped_column(Integer)

    assignments: Mapped[list[CaseAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class CaseAssignment(Base):
    """A user may see a case only while assigned to it (admins see every case)."""

    __tablename__ = "case_assignments"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    assigned_by: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship(back_populates="assignments")
    case: Mapped[Case] = relationship()


class WebSession(Base):
    """A server-side login session.  Only the SHA-256 of the cookie token is stored, so a copy
    of the database does not hand out live sessions."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Every login attempt, for rate limiting by client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    username: Mapped[str] = mapped_column(String(100), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)


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


class Grade(Base):
    """One grader's decision on one file.  A cluster decision writes one row per member, all
    with the same ``decision``; undo withdraws the rows of a decision."""

    __tablename__ = "grades"
    __table_args__ = (Index("ix_grades_file_user", "file_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    decision: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)


class FinalGrade(Base):
    """The agreed category of a file: graders' consensus or a supervisor's resolution."""

    __tablename__ = "final_grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), unique=True, nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)  # consensus|supervisor
    decided_by: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Reveal(Base):
    """A deliberate reveal of one item's unblurred thumbnail; grants a short viewing window."""

    __tablename__ = "reveals"
    __table_args__ = (Index("ix_reveals_user_file", "user_id", "file_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class ExposureDay(Base):
    """Per-user, per-day welfare counters, split by category ("" when not yet graded)."""

    __tablename__ = "exposure_days"
    __table_args__ = (UniqueConstraint("user_id", "day", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    reveals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    items_graded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    seconds_grading: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
