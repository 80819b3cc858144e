"""NSRL-style import: rows/s and peak memory as the set grows.

    .venv/bin/python bench/bench_nsrl_import.py --rows 100000 300000 1000000

For each size, writes a synthetic RDSv3 *minimal* database (FILE table + DISTINCT_HASH
view; random SHA-256/SHA-1/MD5, upper-case hex as NIST ships them), then imports it into a
fresh Seawall SQLite database in a child process and reports wall time, source rows/s,
entries/s and the child's peak RSS (ru_maxrss).  Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def make_rds(path: Path, n: int) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, "
                "file_name TEXT, file_size INTEGER, package_id INTEGER)")
    con.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 "
                "FROM FILE")
    batch = []
    for i in range(n):
        r = os.urandom(60).hex().upper()
        batch.append((r[:64], r[64:104], r[88:120], None, f"f{i}.dll", i, 1))
        if len(batch) == 50000:
            con.executemany("INSERT INTO FILE VALUES (?,?,?,?,?,?,?)", batch)
            batch.clear()
    con.executemany("INSERT INTO FILE VALUES (?,?,?,?,?,?,?)", batch)
    con.commit()
    con.close()


def child(rds: str, db: str) -> None:
    sys.path.insert(0, str(SRC))
    from seawall.hashsets.service import import_hashset
    from seawall.store.db import session_factory

    session = session_factory(f"sqlite:///{db}")()
    t = time.perf_counter()
    v = import_hashset(session, rds, "nsrl", "nsrl")
    dt = time.perf_counter() - t
    print(json.dumps({"rows": v.rows_read, "entries": v.entry_count, "seconds": round(dt, 2),
                      "rows_per_s": round(v.rows_read / dt),
                      "entries_per_s": round(v.entry_count / dt),
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      * 1024}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    args = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory(prefix="nsrlbench-") as tmp:
        for n in args.rows:
            rds = Path(tmp) / f"rds-{n}.db"
            make_rds(rds, n)
            db = Path(tmp) / f"seawall-{n}.db"
            proc = subprocess.run([sys.executable, __file__, "--child", str(rds), str(db)],
                                  capture_output=True, text=True, check=True)
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            res["source_bytes"] = rds.stat().st_size
            out.append(res)
            rds.unlink()
            db.unlink()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
