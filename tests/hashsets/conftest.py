"""Fixtures: a migrated SQLite database per test and helpers to write synthetic sets."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import seawall.store.hashset_models  # noqa: F401
from seawall.store.db import get_engine, session_factory

MD5_A = "ae5b468c7707a1f3d36c49b1fe2ef850"  # MD5 of the benign string "AAAA\n"
SHA1_A = "11a62fcbdeda16e2aa22ff8551fee9d3d66985bb"
CTX_UK = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
CTX_US = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


def md5n(i: int) -> str:
    return f"{i:032x}"


@pytest.fixture()
def db_url(empty_db_url: str) -> str:
    url = empty_db_url
    get_engine(url)
    return url


@pytest.fixture()
def session(db_url):
    s = session_factory(db_url)()
    yield s
    s.close()


def write_vics(path: Path, media: list, context: str = CTX_UK, key: str = "@odata.context",
               indent=None) -> Path:
    path.write_text(json.dumps({key: context, "value": media}, indent=indent))
    return path


def make_rds(path: Path, rows: list[tuple], minimal: bool = True) -> Path:
    """A tiny synthetic NSRL RDSv3 database (minimal: FILE table + DISTINCT_HASH view;
    full: METADATA + PACKAGE_OBJECT tables under a FILE view)."""
    con = sqlite3.connect(path)
    if minimal:
        con.execute("CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, "
                    "file_name TEXT, file_size INTEGER, package_id INTEGER)")
        con.executemany("INSERT INTO FILE VALUES (?,?,?,NULL,'f.dll',1,1)", rows)
        con.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 "
                    "FROM FILE")
    else:
        con.execute("CREATE TABLE METADATA (metadata_id INTEGER PRIMARY KEY, object_id INTEGER,"
                    " file_name TEXT, bytes INTEGER, md5 TEXT, sha1 TEXT, sha256 TEXT)")
        con.execute("CREATE TABLE PACKAGE_OBJECT (package_object_id INTEGER PRIMARY KEY, "
                    "package_id INTEGER, object_id INTEGER)")
        for i, (sha256, sha1, md5) in enumerate(rows):
            con.execute("INSERT INTO METADATA VALUES (?,?,?,?,?,?,?)",
                        (i, i, "f.dll", 1, md5, sha1, sha256))
            con.execute("INSERT INTO PACKAGE_OBJECT VALUES (?,?,?)", (i, 1, i))
            con.execute("INSERT INTO PACKAGE_OBJECT VALUES (?,?,?)", (i + 10000, 2, i))
        con.execute("CREATE VIEW FILE AS SELECT UPPER(m.sha256) AS sha256, UPPER(m.sha1) AS "
                    "sha1, UPPER(m.md5) AS md5, m.file_name, m.bytes AS file_size, "
                    "p.package_id FROM METADATA m JOIN PACKAGE_OBJECT p "
                    "ON m.object_id = p.object_id")
        con.execute("CREATE TABLE VERSION (version TEXT, build_set TEXT, build_date TEXT, "
                    "release_date TEXT, description TEXT)")
        con.execute("INSERT INTO VERSION VALUES ('2024.03.1','Modern','','2024-03-01','')")
    con.commit()
    con.close()
    return path
