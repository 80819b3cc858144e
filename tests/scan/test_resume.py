"""kill -9 during a scan, run it again: the records equal an uninterrupted scan's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import picture_bytes

COMPARED = ("exhibit", "path", "inode", "allocated", "size", "md5", "sha1", "sha256",
            "media_type", "pdq", "pdq_quality", "error", "kind", "parent")


def seawall(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)


def records(db: str) -> list[tuple]:
    out = seawall("files", "--case", "R", "--db", db, "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    return sorted(tuple(str(r[k]) for k in COMPARED) for r in rows)


@pytest.fixture(scope="module")
def exhibit(tmp_path_factory) -> Path:
    import zipfile

    root = tmp_path_factory.mktemp("resume") / "ex"
    root.mkdir()
    for i in range(14):
        (root / f"photo_{i:02d}.jpg").write_bytes(picture_bytes(100 + i))
        (root / f"doc_{i:02d}.txt").write_text(f"document {i}\n" * (i + 1))
    with zipfile.ZipFile(root / "bundle.zip", "w") as zf:
        for i in range(3):
            zf.writestr(f"m{i}.jpg", picture_bytes(200 + i))
    return root


@pytest.fixture(scope="module")
def reference(exhibit: Path, tmp_path_factory) -> list[tuple]:
    db = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}"
    done = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--workers", "1",
                   "--no-match")
    assert done.returncode == 0, done.stderr
    return records(db)


@pytest.mark.parametrize("fault", ["before_store:1", "mid_transaction:3", "after_commit:5",
                                   "mid_transaction:20", "after_commit:28"])
def test_kill_and_resume(exhibit: Path, reference: list[tuple], db_url: str, fault: str):
    db = db_url
    killed = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--workers", "1",
                     "--no-match", "--batch-size", "1", "--commit-every", "1",
                     env={"SEAWALL_FAULT": fault})
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    partial = records(db)
    assert len(partial) < len(reference)
    assert set(partial) <= set(reference), "a killed scan left a record that differs"

    resumed = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--workers", "1",
                      "--no-match", "--batch-size", "1", "--commit-every", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert records(db) == reference
    # A third run finds nothing left to do and changes nothing.
    again = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--no-match")
    assert again.returncode == 0
    assert records(db) == reference


def test_kill_with_worker_pool_and_resume(exhibit: Path, reference, db_url: str):
    db = db_url
    killed = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--workers", "2",
                     "--no-match", "--batch-size", "2", "--commit-every", "1",
                     env={"SEAWALL_FAULT": "after_commit:1"})
    assert killed.returncode == -9
    resumed = seawall("scan", str(exhibit), "--case", "R", "--db", db, "--workers", "2",
                      "--no-match")
    assert resumed.returncode == 0, resumed.stderr
    assert records(db) == reference
