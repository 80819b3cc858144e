"""A small benign case for report/export tests: two folder exhibits scanned by Seawall,
a VICS UK hash set, a known-benign list, one local grade.

Expected (distinct by hash): A still 1 (pic0 on both exhibits, 3 copies), B still 2 (pic1 by
exact match, pic3 by local grade), C still 1 (pic2), C moving 1 (the video), known benign 1
(pic4), unknown 1 (pic5, only on EX-2).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

import seawall.store.hashset_models  # noqa: F401
from seawall.hashsets.service import import_hashset
from seawall.matching import service as matching
from seawall.scan.pipeline import scan_exhibit
from seawall.store.db import get_engine, session_factory, session_scope
from seawall.store.models import Case, FileRecord
from tests.conftest import create_pg_database, picture_bytes, test_backend, video_bytes

CASE = "OP-REPORT-1"
AS_OF = "2026-02-01T09:30:00Z"
UK_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


@dataclass
class Built:
    db_url: str
    root: Path
    exhibits: dict[str, Path]
    vics: Path
    benign: Path


def make_folders(root: Path) -> dict[str, Path]:
    ex1, ex2 = root / "EX-1", root / "EX-2"
    (ex1 / "DCIM").mkdir(parents=True)
    (ex1 / "Docs").mkdir()
    (ex2 / "Pictures").mkdir(parents=True)
    for i in range(5):
        (ex1 / "DCIM" / f"pic{i}.jpg").write_bytes(picture_bytes(100 + i))
    (ex1 / "Docs" / "copy_of_pic0.jpg").write_bytes(picture_bytes(100))
    (ex1 / "DCIM" / "clip.mp4").write_bytes(video_bytes(root))
    (ex1 / "Docs" / "notes.txt").write_text("benign notes\n")
    (ex2 / "Pictures" / "pic0_again.jpg").write_bytes(picture_bytes(100))
    (ex2 / "Pictures" / "pic5.jpg").write_bytes(picture_bytes(105))
    return {"EX-1": ex1, "EX-2": ex2}


def scan_folders(db_url: str, exhibits: dict[str, Path]) -> None:
    for ref, path in exhibits.items():
        scan_exhibit([str(path)], CASE, exhibit_reference=ref, db_url=db_url, workers=1)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def grade_local(db_url: str, rel_path: str, category: str) -> None:
    from seawall.store.grading_models import FinalGrade

    with session_scope(db_url) as s:
        case = s.scalar(select(Case).where(Case.reference == CASE))
        rec = s.scalar(select(FileRecord).where(FileRecord.path.endswith(rel_path)))
        s.add(FinalGrade(case_id=case.id, file_id=rec.id, category=category,
                         method="consensus", decided_by="grader1,grader2"))


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    root = tmp_path_factory.mktemp("report-case")
    exhibits = make_folders(root / "media")
    if test_backend() == "postgresql":
        db_url = create_pg_database()  # lives for the session; dropped with the test server
    else:
        db_url = f"sqlite:///{root / 'seawall.db'}"
    get_engine(db_url)
    ex1 = exhibits["EX-1"]
    media = [
        (ex1 / "DCIM" / "pic0.jpg", 1), (ex1 / "DCIM" / "pic1.jpg", 2),
        (ex1 / "DCIM" / "pic2.jpg", 3), (ex1 / "DCIM" / "clip.mp4", 3),
    ]
    vics = root / "set.json"
    vics.write_text(json.dumps({"@odata.context": UK_CONTEXT, "value": [
        {"MediaID": n, "Category": code, "MD5": _md5(p).upper(), "MediaSize": p.stat().st_size}
        for n, (p, code) in enumerate(media, 1)]}))
    benign = root / "benign.txt"
    benign.write_text(_md5(ex1 / "DCIM" / "pic4.jpg") + "  pic4.jpg\n")
    session = session_factory(db_url)()
    try:
        import_hashset(session, vics, "vics", "test-vics")
        import_hashset(session, benign, "hashlist", "test-benign", category="known_benign")
    finally:
        session.close()
    scan_folders(db_url, exhibits)
    grade_local(db_url, "/DCIM/pic3.jpg", "B")
    with session_scope(db_url) as s:
        matching.match_case(s, CASE)
    return Built(db_url, root, exhibits, vics, benign)
