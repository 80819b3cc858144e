"""Every file a scan recorded, archive members at any depth included, reads back through
seawall.scan.reread with the very bytes the scan hashed."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

import pytest
from sqlalchemy import select

from seawall.evidence.base import EvidenceError
from seawall.evidence.registry import open_exhibit
from seawall.scan.pipeline import scan_exhibit
from seawall.scan.reread import RecordedFile, read_recorded
from seawall.store.db import session_scope
from seawall.store.models import FileRecord
from tests.evidence.helpers import tar_bytes


def _chain(session, record: FileRecord) -> list[RecordedFile]:
    chain = [record]
    while chain[0].kind == "archive_member":
        chain.insert(0, session.scalar(select(FileRecord).where(
            FileRecord.exhibit_id == record.exhibit_id,
            FileRecord.file_key == chain[0].parent_key)))
    return [RecordedFile(r.file_key, r.path, r.volume, r.locator) for r in chain]


def _7z(members: dict[str, bytes]) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_every_recorded_file_reads_back_with_its_hash(tmp_path, db_url):
    root = tmp_path / "exhibit"
    root.mkdir()
    nested = tar_bytes({"deep/a.txt": b"alpha", "b.bin": bytes(range(256)) * 40})
    with zipfile.ZipFile(root / "outer.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.txt", b"first member")
        zf.writestr("same.txt", b"one")
        zf.writestr("same.txt", b"two")  # the same name twice: told apart by index
        zf.writestr("inner.tar", nested)
        zf.writestr("inner.tar.gz", gzip.compress(nested, mtime=0))
        zf.writestr("inner.7z", _7z({"c.txt": b"gamma", "d/e.txt": b"delta"}))
    (root / "plain.txt").write_bytes(b"not in an archive")
    scan_exhibit([str(root)], "OP-R", db_url=db_url, workers=1)

    source = open_exhibit([str(root)])
    with session_scope(db_url) as s:
        records = s.scalars(select(FileRecord).where(FileRecord.sha256.is_not(None))).all()
        members = [r for r in records if r.kind == "archive_member"]
        assert len(members) >= 12 and max(r.path.count("!/") for r in members) == 3
        for record in records:
            data = read_recorded(source, _chain(s, record), max_bytes=1 << 20)
            assert hashlib.sha256(data).hexdigest() == record.sha256, record.path
        with pytest.raises(EvidenceError, match="larger than"):
            read_recorded(source, _chain(s, next(r for r in members
                                                 if r.path.endswith("b.bin"))), max_bytes=100)
        gone = RecordedFile(members[0].file_key + "x", members[0].path + "x")
        with pytest.raises(EvidenceError, match="no longer found"):
            read_recorded(source, [*_chain(s, members[0])[:-1], gone], max_bytes=1 << 20)
    source.close()
