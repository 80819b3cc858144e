"""Tables of the grading stage: grades, final grades, reveals and welfare counters.

Times are naive UTC, as in :mod:`seawall.store.models`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from seawall.store import accounts_models  # noqa: F401  (the users table the grades name)
from seawall.store.models import Base, utcnow


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
    """The final local category of a file and how it was reached (``method``): one grader
    where the category allows it (``single_grader``), independent graders who agreed
    (``consensus``), a supervisor resolving a disagreement (``supervisor``), or a supervisor
    overriding a hash-set category or an earlier final grade (``override``, with ``reason``)."""

    __tablename__ = "final_grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), unique=True, nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    decided_by: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)  # required for an override


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
