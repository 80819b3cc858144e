"""Scanning on a real Dask LocalCluster of worker processes, losing a worker mid-scan."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from seawall.scan.listing import file_dict, iter_files
from seawall.scan.pipeline import ProgressSink, scan_exhibit
from seawall.store.db import session_scope
from tests.conftest import picture_bytes

distributed = pytest.importorskip("distributed")

COMPARED = ("path", "inode", "allocated", "size", "md5", "sha1", "sha256", "media_type", "pdq",
            "pdq_quality", "error", "kind", "parent")


def records(db: str, case: str) -> list[tuple]:
    with session_scope(db) as session:
        rows = [file_dict(e, r) for e, r in iter_files(session, case)]
    return sorted(tuple(str(r[k]) for k in COMPARED) for r in rows)


class KillOneWorker(ProgressSink):
    """Kills one worker process (SIGKILL) as soon as the first results come back."""

    def __init__(self, client):
        self.client = client
        self.killed = None

    def advance(self, files: int, nbytes: int) -> None:
        if self.killed is None:
            pids = self.client.run(os.getpid)
            address, pid = sorted(pids.items())[0]
            os.kill(pid, signal.SIGKILL)
            self.killed = address


@pytest.fixture()
def exhibit(tmp_path: Path) -> Path:
    root = tmp_path / "ex"
    root.mkdir()
    for i in range(24):
        (root / f"img_{i:02d}.jpg").write_bytes(picture_bytes(300 + i, size=(640, 480)))
        (root / f"note_{i:02d}.txt").write_text(f"note {i}\n" * 50)
    return root


def test_cluster_scan_survives_worker_loss(exhibit: Path, tmp_path: Path, db_url: str):
    local_db = f"sqlite:///{tmp_path / 'local.db'}"
    scan_exhibit([str(exhibit)], "LOCAL", db_url=local_db, workers=2)
    expected = records(local_db, "LOCAL")

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        sink = KillOneWorker(client)
        summary = scan_exhibit([str(exhibit)], "CLUSTER", db_url=db_url, dask_client=client,
                               progress=sink, batch_files=1)
        assert sink.killed is not None
    assert summary.files_scanned == 48
    assert records(db_url, "CLUSTER") == expected
