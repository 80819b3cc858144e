"""Tables of the accounts stage: users and the cases assigned to them.

What a role may do is :mod:`seawall.accounts.roles`; ``User.role`` holds one of its names.
Times are naive UTC, as in :mod:`seawall.store.models`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seawall.store.models import Base, Case, utcnow


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
