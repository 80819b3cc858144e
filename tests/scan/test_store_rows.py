"""The SQLite fast insert stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from seawall.scan import pipeline
from seawall.store.db import session_scope
from seawall.store.models import Case, Exhibit, FileRecord

ROW = {
    "file_key": "k1", "parent_key": None, "locator": {"rel": "2f61"}, "volume": "p1",
    "path": "/caf\\xe9.jpg", "path_bytes": b"/caf\xe9.jpg", "inode": "64-128-4",
    "allocated": False, "kind": "file", "size": 12345,
    "mtime": datetime(2024, 2, 29, 23, 59, 58, 123456), "atime": datetime(999, 5, 6, 7, 8, 9),
    "ctime": datetime(1980, 1, 1), "crtime": None, "md5": "a" * 32, "sha1": "b" * 40,
    "sha256": "c" * 64, "media_type": "image/jpeg", "media_class": "image",
    "extension_mismatch": True, "pdq": "d" * 64, "pdq_quality": 100,
    "pdq_dihedral": " ".join(["d" * 64] * 8), "pdq_method": "full-np", "width": 10,
    "height": 20, "exif": {"make": "Benign Cam", "serial": None}, "error": None,
}


def stored(db_url: str, fast: bool) -> dict:
    with session_scope(db_url) as session:
        case = Case(reference=f"C{fast}")
        exhibit = Exhibit(case=case, reference="E", source_kind="directory", identity={})
        session.add(exhibit)
        session.flush()
        row = dict(ROW, exhibit_id=exhibit.id)
        if fast:
            pipeline._sqlite_insert(session.connection(), [row])
        else:
            session.connection().execute(FileRecord.__table__.insert(), [row])
        record = session.scalar(select(FileRecord).where(FileRecord.exhibit_id == exhibit.id))
        values = {c.name: getattr(record, c.name) for c in FileRecord.__table__.columns
                  if c.name not in ("id", "exhibit_id")}
        # The stored text too: SQL compares and sorts dates as text in SQLite.
        values["raw"] = session.connection().exec_driver_sql(
            "SELECT mtime, atime, ctime, locator, exif, allocated FROM files "
            "WHERE exhibit_id = ?", (exhibit.id,)).one()
        return values


def test_fast_sqlite_insert_round_trips(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'rows.db'}"  # the fast path exists for SQLite only
    fast, orm = stored(db_url, True), stored(db_url, False)
    assert fast == orm
    assert fast["mtime"] == ROW["mtime"] and fast["exif"] == ROW["exif"]
    assert fast["raw"][1] == "0999-05-06 07:08:09.000000"
    assert fast["allocated"] is False and fast["extension_mismatch"] is True
