"""``seawall scan --cluster`` against a cluster deployed as a lab runs it: ``dask scheduler``
and ``dask worker`` as separate OS processes, seawall itself a subprocess.  (An in-process
LocalCluster's client becomes Dask's default client and hid "No clients found".)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cluster_processes import (
    case_records,
    free_port,
    process_cluster,
    run_seawall,
    start_seawall,
    stored_files,
)
from tests.conftest import picture_bytes

pytest.importorskip("distributed")


@pytest.fixture()
def exhibit(tmp_path: Path) -> Path:
    root = tmp_path / "EX-1"
    root.mkdir()
    for i in range(40):
        (root / f"img_{i:02d}.jpg").write_bytes(picture_bytes(300 + i, size=(640, 480)))
        (root / f"note_{i:02d}.txt").write_text(f"note {i}\n" * 50)
    return root


def test_scan_on_process_cluster_survives_a_killed_worker(exhibit: Path, tmp_path: Path,
                                                          db_url: str):
    local_db = f"sqlite:///{tmp_path / 'local.db'}"
    done = run_seawall("scan", str(exhibit), "--case", "C", "--db", local_db, "--workers", "2",
                       "--no-match")
    assert done.returncode == 0, done.stderr
    expected = case_records(local_db, "C")
    assert len(expected) == 80

    from seawall.store.db import get_engine

    get_engine(db_url)  # migrated before the scan starts, so progress can be polled
    with process_cluster(tmp_path / "cluster") as cluster:
        # One file per task and per transaction: records arrive one by one while most of
        # the exhibit is still to do.
        scan = start_seawall("scan", str(exhibit), "--case", "C", "--db", db_url,
                             "--cluster", cluster.address, "--no-match", "--batch-size", "1",
                             "--commit-every", "1", logs=tmp_path / "scan.log")
        try:
            deadline = time.monotonic() + 60
            while (stored := stored_files(db_url)) < 3:
                assert scan.poll() is None, (tmp_path / "scan.log").read_text()
                assert time.monotonic() < deadline, "no records after 60 s"
                time.sleep(0.05)
            cluster.kill_worker(cluster.workers[0])  # SIGKILL: nanny and worker, mid-scan
            cluster.start_worker()
            scan.wait(timeout=120)
        finally:
            if scan.poll() is None:
                scan.kill()
        log = (tmp_path / "scan.log").read_text()
        assert scan.returncode == 0, log + cluster.log_tail()
    assert stored < len(expected), "the worker was killed only after the scan had finished"
    assert case_records(db_url, "C") == expected


def test_unreachable_cluster_is_a_clear_error(exhibit: Path, tmp_path: Path, db_url: str):
    nobody = f"tcp://127.0.0.1:{free_port()}"
    env = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    scan = run_seawall("scan", str(exhibit), "--case", "C", "--db", db_url, "--cluster", nobody,
                       **env)
    assert scan.returncode == 1
    assert f"error: cannot reach the Dask scheduler at {nobody}" in " ".join(scan.stderr.split())
    assert "Traceback" not in scan.stderr
    assert stored_files(db_url) == 0
    match = run_seawall("match", "--case", "C", "--db", db_url, "--cluster", "tcp://nowhere",
                        **env)
    assert match.returncode == 1
    assert "error: cannot reach the Dask scheduler at tcp://nowhere" in " ".join(
        match.stderr.split())
    assert "Traceback" not in match.stderr
