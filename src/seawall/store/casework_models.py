"""Casework models: case details, assigned officers, suspects, offences, seized devices,
risk assessments (append-only history) and pathway decisions.

People are recorded by username (as in the audit log) rather than by foreign key, so
casework history stays readable if an account is later removed.  Times are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seawall.store.models import Base, Case, Exhibit, utcnow

CASE_STATUSES = ("new", "triage", "investigation", "diversion", "charged", "closed")
OFFENCE_KINDS = ("possession", "making", "distribution", "production",
                 "sexual_communication", "grooming", "other")
OFFENCE_STATUSES = ("suspected", "charged", "cautioned", "convicted", "no_further_action")


class CaseDetails(Base):
    """Casework facts about a scanned case (one row per case, created on first edit)."""

    __tablename__ = "casework_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="new")
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))

    case: Mapped[Case] = relationship()


class CaseOfficer(Base):
    """An officer working the case and their part in it (officer in charge, DMI ...).  Who
    may *see* the case in Seawall is the separate web assignment."""

    __tablename__ = "casework_officers"
    __table_args__ = (UniqueConstraint("case_id", "username", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(60), nullable=False, default="investigator")
    assigned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    assigned_by: Mapped[str | None] = mapped_column(String(100))


class Suspect(Base):
    """A suspect under a pseudonymous reference; no names are stored."""

    __tablename__ = "suspects"
    __table_args__ = (UniqueConstraint("case_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    reference: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    circumstances: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Pathway facts that are not risk items (admission, consent ...): {fact: value}.
    facts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    case: Mapped[Case] = relationship()


class Offence(Base):
    __tablename__ = "offences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    suspect_id: Mapped[int | None] = mapped_column(ForeignKey("suspects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    legislation: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="suspected")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    suspect: Mapped[Suspect | None] = relationship()


class SeizedDevice(Base):
    """A seized device, optionally linked to its scan (an Exhibit).  Make, model and serial
    let camera-original images be matched to it (possible production)."""

    __tablename__ = "seized_devices"
    __table_args__ = (UniqueConstraint("case_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    suspect_id: Mapped[int | None] = mapped_column(ForeignKey("suspects.id"), index=True)
    exhibit_id: Mapped[int | None] = mapped_column(ForeignKey("exhibits.id"), index=True)
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    exhibit: Mapped[Exhibit | None] = relationship()
    suspect: Mapped[Suspect | None] = relationship()


class RiskAssessment(Base):
    """One completed or partial assessment.  Never edited: a reassessment is a new row whose
    ``supersedes_id`` points at the previous one, so the history is kept."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    suspect_id: Mapped[int] = mapped_column(ForeignKey("suspects.id"), nullable=False,
                                            index=True)
    instrument: Mapped[str] = mapped_column(String(100), nullable=False)
    instrument_version: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    instrument_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("risk_assessments.id"))
    answers: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    indicators: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    result: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    band: Mapped[str] = mapped_column(String(40), nullable=False)
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    assessor: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    suspect: Mapped[Suspect] = relationship()


class PathwayDecision(Base):
    """The recorded decision on a suspect's pathway, next to the advice it was given."""

    __tablename__ = "pathway_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    suspect_id: Mapped[int] = mapped_column(ForeignKey("suspects.id"), nullable=False,
                                            index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("risk_assessments.id"))
    recommended: Mapped[str | None] = mapped_column(String(40))
    recommendation: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    decided: Mapped[str] = mapped_column(String(40), nullable=False)
    departure: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
