"""Scanning on a real Dask LocalCluster of worker processes, losing a worker mid-scan."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from seawall.scan.listing import file_dict, iter_files
from seawall.scan.pipeline import NoProgress, scan_exhibit
from seawall.store.db import session_scope
from tests.conftest import picture_bytes

distributed = pytest.importorskip("distributed")

COMPARED = ("path", "inode", "allocated", "size", "md5", "sha1", "sha256", "media_type", "pdq",
            "pdq_quality", "error", "kind", "parent")


def records(db: str, case: str) -> list[tuple]:
    with session_scope(db) as session:
        rows = [file_dict(e, r) for e, r in iter_files(session, case)]
    return sorted(tuple(str(r[k]) for k in COMPARED) for r in rows)


class KillOneWorker(NoProgress):
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


def _work_files_open(pid: int, work: Path) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(work)):
            found.append(target)
    return found


def test_cluster_workers_release_the_exhibit_and_work_files(tmp_path: Path, db_url: str,
                                                             monkeypatch):
    """Long-lived workers must not keep the exhibit open, nor a qemu-img raw copy (on their
    own disks, or held open after the client deleted it), once the scan is over."""
    import shutil
    import tempfile

    from tests.evidence.helpers import image

    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img not installed")
    qcow = str(image("synthetic/triage_ext4_compressed.qcow2"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the workers' default work_dir lives here
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    work = temp / "seawall-evidence"

    from distributed import Client, LocalCluster

    from seawall.scan import worker

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        summary = scan_exhibit([qcow], "QC", db_url=db_url, dask_client=client, batch_files=1)
        assert summary.files_scanned > 0
        cached = client.run(lambda: len(worker._SOURCES))
        pids = client.run(os.getpid)
        held = {address: _work_files_open(pid, work) for address, pid in pids.items()}
    assert cached == dict.fromkeys(cached, 0)
    assert held == dict.fromkeys(held, [])
    assert not list(work.glob("qcow-*"))


def test_release_sources_closes_and_forgets_only_that_exhibit(tmp_path: Path):
    from seawall.scan import worker

    other = tmp_path / "other"
    other.mkdir()
    worker._source((str(tmp_path),), "directory", ())
    worker._source((str(other),), "directory", ())
    assert worker.release_sources((str(tmp_path),), "directory") == 1
    assert [k[0] for k in worker._SOURCES] == [(str(other),)]
    assert worker.release_sources((str(other),), "directory") == 1
    assert worker.release_sources((str(other),), "directory") == 0
