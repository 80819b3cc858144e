"""SQLAlchemy models for known-hash sets, their versions and entries, and file matches.

Import this module (not only ``seawall.store.models``) wherever these tables are used, so
they are registered on the shared ``Base``.

* A :class:`HashSet` has numbered, immutable :class:`HashSetVersion` rows; exactly one is
  current (``HashSet.current_version_id``).  Each version keeps the source file's SHA-256,
  size, row counts and import time, a snapshot of the category scheme it was read with, its
  PDQ distance and its role (positive, or negative: known false positives).
* :class:`HashEntry` rows belong to one version; ``(version_id, kind, value)`` is unique
  after import.  Values are raw digests (32 bytes for PDQ).  When a newer version becomes
  current, the old version's entries are deleted (NSRL sets are huge) but its row stays, so
  matches made against it still name it.
* :class:`HashMatch` is one match of one file against one entry, naming the version.
"""

from __future__ import annotations

from datetime import datetime

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
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seawall.store.hashset_defaults import DEFAULT_PDQ_DISTANCE
from seawall.store.models import Base, utcnow

ROLES = ("positive", "negative")

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL needs BIGINT for 10^9 rows.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class HashSet(Base):
    __tablename__ = "hash_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    format: Mapped[str] = mapped_column(String(40), nullable=False)
    scheme: Mapped[str] = mapped_column(String(50), nullable=False)
    # Untrusted sets are matched and shown, but never decide a file's category.  The
    # current version's trust; each version keeps its own (HashSetVersion.trusted).
    trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # Not a foreign key: a cycle between the two tables would complicate SQLite batch DDL.
    current_version_id: Mapped[int | None] = mapped_column(Integer)

    versions: Mapped[list[HashSetVersion]] = relationship(
        back_populates="hash_set", cascade="all, delete-orphan", order_by="HashSetVersion.version"
    )


class HashSetVersion(Base):
    __tablename__ = "hash_set_versions"
    __table_args__ = (UniqueConstraint("hash_set_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash_set_id: Mapped[int] = mapped_column(
        ForeignKey("hash_sets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="current")
    format: Mapped[str] = mapped_column(String(40), nullable=False)
    format_detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    scheme: Mapped[str] = mapped_column(String(50), nullable=False)
    scheme_toml: Mapped[str | None] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(Text, nullable=False)
    source_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    source_size: Mapped[int | None] = mapped_column(BigInteger)
    rows_read: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    entry_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    duplicate_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # {"kinds": {"md5": n, …}, "categories": {"A": n, …}}
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    warnings: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    imported_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    import_seconds: Mapped[float | None] = mapped_column(Float)
    tool_version: Mapped[str | None] = mapped_column(String(40))
    # PDQ matches count within this Hamming distance (out of 256 bits).
    pdq_distance: Mapped[int] = mapped_column(Integer, nullable=False,
                                              default=DEFAULT_PDQ_DISTANCE,
                                              server_default=str(DEFAULT_PDQ_DISTANCE))
    # "positive": matches categorise; "negative": known false positives (flat, generic
    # pictures) whose match stops any PDQ match of the file from counting.
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="positive",
                                      server_default="positive")
    # The trust given at import: matches against this version decide (or not) by it, and
    # a report names it, whatever later versions of the set are given.
    trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                          server_default=true())

    hash_set: Mapped[HashSet] = relationship(back_populates="versions")


class HashEntry(Base):
    __tablename__ = "hash_entries"
    __table_args__ = (Index("ix_hash_entries_lookup", "version_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("hash_set_versions.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # md5|sha1|sha256|pdq|vpdq
    value: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    category: Mapped[str] = mapped_column(String(100), nullable=False)
    raw_code: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int | None] = mapped_column(BigInteger)  # line/record in the source
    payload: Mapped[str | None] = mapped_column(Text)  # vpdq frames "hex:quality …"


class HashMatch(Base):
    __tablename__ = "hash_matches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("hash_set_versions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    entry_id: Mapped[int | None] = mapped_column(BigInteger)  # entries of old versions go
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # md5|sha1|sha256|pdq|vpdq
    distance: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100), nullable=False)
    detail: Mapped[dict | None] = mapped_column(JSON)  # dihedral, vPDQ percentages
    matched_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
