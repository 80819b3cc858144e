"""SQLAlchemy models for scanned exhibits and their file records.

Times are stored as naive UTC ``DateTime`` values.  Paths are stored twice: ``path`` is a
display string (undecodable bytes escaped as ``\\xNN``, a backslash as ``\\\\``, so no two
names print alike) and ``path_bytes`` keeps the exact bytes of the name when the display
string is not simply their UTF-8 decoding, so nothing about the evidence is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    scheme: Mapped[str] = mapped_column(String(50), nullable=False, default="uk")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    exhibits: Mapped[list[Exhibit]] = relationship(back_populates="case")


class Exhibit(Base):
    """One seized item (a folder, a file or a disk image set) scanned for a case."""

    __tablename__ = "exhibits"
    __table_args__ = (UniqueConstraint("case_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    source_kind: Mapped[str] = mapped_column(String(40), nullable=False)
    # Identity of the evidence as given: paths, sizes, acquisition hashes, E01 verification,
    # and warnings from cross-checks (e.g. a container library that misread data).
    identity: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scanning")
    scan_started: Mapped[datetime | None] = mapped_column(DateTime)
    scan_finished: Mapped[datetime | None] = mapped_column(DateTime)
    tool_version: Mapped[str | None] = mapped_column(String(40))
    versions: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    case: Mapped[Case] = relationship(back_populates="exhibits")
    files: Mapped[list[FileRecord]] = relationship(back_populates="exhibit")


class FileRecord(Base):
    """One file (or alternate data stream, or archive member) found in an exhibit."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("exhibit_id", "file_key"),
        Index("ix_files_md5", "md5"),
        Index("ix_files_sha1", "sha1"),
        Index("ix_files_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibits.id"), nullable=False, index=True)
    # Stable identity of the file inside the exhibit: the same on every run, so that a resumed
    # scan skips what is already recorded and never records a file twice.
    file_key: Mapped[str] = mapped_column(String(1000), nullable=False)
    parent_key: Mapped[str | None] = mapped_column(String(1000))  # containing archive, if any
    # How the evidence source re-opens the bytes (thumbnails, re-checks); opaque to others.
    locator: Mapped[object | None] = mapped_column(JSON)
    volume: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    path: Mapped[str] = mapped_column(Text, nullable=False)
    path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    inode: Mapped[str | None] = mapped_column(String(100))
    allocated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="file")
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime: Mapped[datetime | None] = mapped_column(DateTime)
    atime: Mapped[datetime | None] = mapped_column(DateTime)
    ctime: Mapped[datetime | None] = mapped_column(DateTime)
    crtime: Mapped[datetime | None] = mapped_column(DateTime)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(100))
    media_class: Mapped[str | None] = mapped_column(String(20))  # image|video|archive|other
    extension_mismatch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    pdq: Mapped[str | None] = mapped_column(String(64), index=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    pdq_dihedral: Mapped[str | None] = mapped_column(Text)  # 8 hex hashes, space separated
    pdq_method: Mapped[str | None] = mapped_column(String(40))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    exif: Mapped[dict | None] = mapped_column(JSON)  # camera make/model/serial, capture time
    error: Mapped[str | None] = mapped_column(Text)

    exhibit: Mapped[Exhibit] = relationship(back_populates="files")
    frames: Mapped[list[VideoFrame]] = relationship(
        back_populates="file", cascade="all, delete-orphan"
    )

    @property
    def pdq_eligible(self) -> bool:
        """PDQ hashes below quality 50 are too flat to match reliably (Meta's guidance)."""
        return self.pdq is not None and (self.pdq_quality or 0) >= 50


class VideoFrame(Base):
    """One vPDQ frame hash of a video file."""

    __tablename__ = "video_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), nullable=False, index=True)
    frame_number: Mapped[int] = mapped_column(Integer, nullable=False)
    timestamp: Mapped[float] = mapped_column(Float, nullable=False)
    pdq: Mapped[str] = mapped_column(String(64), nullable=False)
    quality: Mapped[int] = mapped_column(Integer, nullable=False)

    file: Mapped[FileRecord] = relationship(back_populates="frames")
