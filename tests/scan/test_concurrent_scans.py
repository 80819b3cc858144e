"""Two examiners scanning the same exhibit into the same database at the same time: every
file is recorded once, and the records equal those of a single scan."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import picture_bytes
from tests.scan.test_resume import COMPARED


def _records(db: str, case: str) -> list[tuple]:
    from seawall.scan.listing import file_dict, iter_files
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        rows = [file_dict(e, r) for e, r in iter_files(session, case)]
    return sorted(tuple(str(r[k]) for k in COMPARED) for r in rows)


def test_concurrent_scans_of_one_exhibit(tmp_path: Path, db_url: str):
    root = tmp_path / "ex"
    root.mkdir()
    for i in range(40):
        (root / f"p{i:02d}.jpg").write_bytes(picture_bytes(500 + i, size=(200, 150)))
        (root / f"t{i:02d}.txt").write_text(f"text {i}\n" * 20)

    from seawall.store.db import get_engine

    get_engine(db_url)  # migrate once, before the two writers start
    cmd = [sys.executable, "-m", "seawall", "scan", str(root), "--case", "CC", "--db", db_url,
           "--workers", "1", "--no-match", "--batch-size", "2", "--commit-every", "2"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(os.environ)) for _ in range(2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-3000:]

    reference_db = f"sqlite:///{tmp_path / 'single.db'}"
    subprocess.run([*cmd[:8], reference_db, *cmd[9:]], check=True, capture_output=True)
    together, single = _records(db_url, "CC"), _records(reference_db, "CC")
    assert len(together) == 80
    assert together == single
