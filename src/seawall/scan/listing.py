"""Read stored file records back as plain dicts (for ``seawall files`` and exports)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.store.models import Case, Exhibit, FileRecord


def iter_files(session: Session, case_reference: str,
               batch: int = 2000) -> Iterator[tuple[Exhibit, FileRecord]]:
    """Every file record of a case, exhibit by exhibit, in a stable order."""
    stmt = (select(Exhibit, FileRecord).join(FileRecord, FileRecord.exhibit_id == Exhibit.id)
            .join(Case, Case.id == Exhibit.case_id).where(Case.reference == case_reference)
            .order_by(Exhibit.reference, FileRecord.volume, FileRecord.path, FileRecord.file_key)
            .execution_options(yield_per=batch))
    for row in session.execute(stmt):
        yield row[0], row[1]


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def file_dict(exhibit: Exhibit, rec: FileRecord) -> dict:
    return {
        "exhibit": exhibit.reference,
        "volume": rec.volume,
        "path": rec.path,
        "full_path": f"{rec.volume}{rec.path}" if rec.volume else rec.path,
        "inode": rec.inode,
        "allocated": bool(rec.allocated),
        "kind": rec.kind,
        "parent": rec.parent_key,
        "size": rec.size,
        "mtime": _iso(rec.mtime),
        "atime": _iso(rec.atime),
        "ctime": _iso(rec.ctime),
        "crtime": _iso(rec.crtime),
        "md5": rec.md5,
        "sha1": rec.sha1,
        "sha256": rec.sha256,
        "media_type": rec.media_type,
        "media_class": rec.media_class,
        "extension_mismatch": bool(rec.extension_mismatch),
        "pdq": rec.pdq,
        "pdq_quality": rec.pdq_quality,
        "pdq_eligible": rec.pdq_eligible,
        "pdq_method": rec.pdq_method,
        "error": rec.error,
    }
