"""NIST NSRL RDSv3 (SQLite), minimal and full sets.

Minimal sets ship a ``DISTINCT_HASH`` view (``SELECT DISTINCT sha256, sha1, md5, crc32
FROM FILE``); full sets only the ``FILE`` view over ``METADATA``/``PACKAGE_OBJECT``, which
we read with ``SELECT DISTINCT``.  Hex is upper case in RDSv3; it is normalised.  Every
entry is known-benign ("known software files"), not a grade.  The database is opened
read-only and read with a cursor, so a set of hundreds of millions of rows costs no more
memory than one batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from seawall.hashsets.base import ImportContext, Row, parse_hex
from seawall.hashsets.registry import FORMATS, Format
from seawall.hashsets.scheme import KNOWN_BENIGN


def _objects(con: sqlite3.Connection) -> set[str]:
    rows = con.execute("SELECT upper(name) FROM sqlite_master WHERE type IN ('table','view')")
    return {r[0] for r in rows}


def read(path: Path, ctx: ImportContext) -> Iterator[Row]:
    try:
        # as_uri() percent-encodes "#", "?" and "%" (e.g. a "Case #12" folder); unescaped,
        # SQLite would open (and create) a different file.
        con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        names = _objects(con)
    except sqlite3.DatabaseError as exc:
        raise ctx.fatal("", f"not an SQLite database (NSRL RDSv3): {exc}") from None
    try:
        category = ctx.category or KNOWN_BENIGN
        category = ctx.category_name("--category", category) or KNOWN_BENIGN
        if "DISTINCT_HASH" in names:
            source, sql = "DISTINCT_HASH", "SELECT sha256, sha1, md5 FROM DISTINCT_HASH"
            ctx.detail["rds"] = "minimal"
        elif "FILE" in names:
            source, sql = "FILE", "SELECT DISTINCT sha256, sha1, md5 FROM FILE"
            ctx.detail["rds"] = "full"
        else:
            raise ctx.fatal("", "no FILE or DISTINCT_HASH table/view: not an NSRL RDSv3 set")
        if "VERSION" in names:
            try:
                row = con.execute("SELECT version, build_set, release_date FROM VERSION "
                                  "LIMIT 1").fetchone()
                if row:
                    ctx.detail["rds_version"] = [str(x) for x in row]
            except sqlite3.DatabaseError:
                pass  # VERSION is informative only
        ctx.detail["rds_source"] = source
        try:
            total = con.execute(f"SELECT max(rowid) FROM {source}").fetchone()[0]
        except sqlite3.DatabaseError:
            total = None  # a view has no rowid
        cur = con.execute(sql)
        n = 0
        while batch := cur.fetchmany(10000):
            for sha256, sha1, md5 in batch:
                n += 1
                ctx.rows_read += 1
                where = f"{source} row {n}"
                found = False
                for kind, text in (("md5", md5), ("sha1", sha1), ("sha256", sha256)):
                    if text is None or text == "":
                        continue
                    got = parse_hex(text, kind)
                    if isinstance(got, str):
                        ctx.error(where, f"{kind}: {got}")
                        continue
                    found = True
                    yield Row(kind, got[1], category, n)
                if not found:
                    ctx.error(where, "no md5, sha1 or sha256")
            ctx.report(n, total)
    except sqlite3.DatabaseError as exc:
        raise ctx.fatal("", f"reading the NSRL database failed: {exc}") from None
    finally:
        con.close()


FORMAT = FORMATS.register(Format(
    name="nsrl",
    description="NIST NSRL RDSv3 SQLite (minimal DISTINCT_HASH or full FILE); known-benign",
    read=read,
    streamed=False,
    default_category=KNOWN_BENIGN,
))
