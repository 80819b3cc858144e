"""``seawall process`` as a lab runs it: processors are subprocesses against one database,
records and counts compared with a plain ``seawall scan`` + ``seawall match``."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from seawall.hashsets.service import import_hashset
from seawall.matching.counts import case_counts
from seawall.matching.service import has_hashsets, match_case
from seawall.operations.backlog import add_item, load_entries, queue_report
from seawall.operations.config import backlog_config
from seawall.scan.pipeline import scan_exhibit
from seawall.store.db import get_engine, session_scope
from seawall.store.operations_models import BacklogItem
from tests.cluster_processes import case_records, run_seawall, start_seawall
from tests.conftest import picture_bytes

RECEIVED = date(2026, 11, 2)


def make_exhibit(root: Path, seed: int, pictures: int, notes: int = 2) -> Path:
    root.mkdir(parents=True)
    for i in range(pictures):
        (root / f"img_{i:02d}.jpg").write_bytes(picture_bytes(seed + i))
    for i in range(notes):
        (root / f"note_{i}.txt").write_text(f"note {seed} {i}\n")
    return root


def known_set(tmp_path: Path, exhibits: list[Path]) -> Path:
    """A hash list naming the first picture of each exhibit, so counts are not all unknown."""
    lines = [hashlib.md5((e / "img_00.jpg").read_bytes()).hexdigest() for e in exhibits]
    path = tmp_path / "known.txt"
    path.write_text("".join(f"{h}\n" for h in lines))
    return path


def ok(*args: str) -> str:
    done = run_seawall(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def add(db: str, case: str, exhibit: Path, band: str) -> None:
    with session_scope(db) as session:
        add_item(session, "test", backlog_config(), case, exhibit.name, band=band,
                 exhibit_type="phone", received=RECEIVED, path=str(exhibit))


def reference_scan(db: str, case: str, exhibit: Path, known: Path | None = None) -> dict:
    """A plain scan and match of one exhibit: its case's counts."""
    scan_exhibit([str(exhibit)], case, db_url=db, workers=1)
    with session_scope(db) as session:
        if known is not None and not has_hashsets(session):
            import_hashset(session, known, "hashlist", "known", category="A")
        match_case(session, case)
        return case_counts(session, case)


def test_process_until_empty_goes_by_priority_and_equals_scan_and_match(tmp_path: Path,
                                                                        db_url: str):
    bands = {"LOW": "low", "VH": "very_high", "MED": "medium"}
    exhibits = {ref: make_exhibit(tmp_path / "evidence" / ref, 10 * n, 3)
                for n, ref in enumerate(bands)}
    known = known_set(tmp_path, list(exhibits.values()))
    ok("hashset", "import", str(known), "--format", "hashlist", "--name", "known",
       "--category", "A", "--db", db_url)
    ok("backlog", "add", "--case", "OP-LOW", "--exhibit-id", "LOW", "--path",
       str(exhibits["LOW"]), "--band", "low", "--type", "phone", "--received", RECEIVED.isoformat(),
       "--db", db_url)
    add(db_url, "OP-VH", exhibits["VH"], "very_high")
    add(db_url, "OP-MED", exhibits["MED"], "medium")

    out = ok("process", "--until-empty", "--format", "json", "--workers", "1", "--db", db_url)
    done = [json.loads(line) for line in out.splitlines()]
    assert [d["exhibit"] for d in done] == ["VH", "MED", "LOW"]
    assert [d["band"] for d in done] == ["very_high", "medium", "low"]
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    for d in done:
        assert set(d) == {"case", "exhibit", "band", "started", "finished", "files", "errors",
                          "counts"}
        case = d["case"]
        counts = reference_scan(reference, case, exhibits[d["exhibit"]], known)
        assert case_records(db_url, case) == case_records(reference, case)
        assert d["counts"] == counts["exhibits"][d["exhibit"]]
        assert d["counts"]["A"]["still"] == 1
        assert (d["files"], d["errors"]) == (5, 0)
        assert d["started"] <= d["finished"]
    cfg = backlog_config()
    with session_scope(db_url) as session:
        items = session.scalars(select(BacklogItem)).all()
        assert {i.scan_status for i in items} == {"scanned"}
        assert all(i.exhibit_id is not None and i.scan_counts["A"]["still"] == 1
                   for i in items)
        queue = queue_report(load_entries(session, cfg), cfg, date.today())
    assert [r["scan_text"] for r in queue["items"]] == ["scanned, 5 files (A 1, unknown 2)"] * 3


def test_bad_item_fails_with_its_reason_and_is_retried_by_command(tmp_path: Path,
                                                                  db_url: str):
    good = make_exhibit(tmp_path / "GOOD", 1, 2)
    missing = tmp_path / "LATE"
    add(db_url, "OP-1", missing, "very_high")
    add(db_url, "OP-1", good, "low")
    out = ok("process", "--until-empty", "--format", "json", "--workers", "1", "--db", db_url)
    done = {d["exhibit"]: d for d in map(json.loads, out.splitlines())}
    assert done["LATE"]["status"] == "failed"
    assert done["LATE"]["error"] == f"{missing}: no such file or folder"
    assert done["GOOD"]["files"] == 4  # the processor went on

    make_exhibit(missing, 5, 2)
    ok("backlog", "retry", "OP-1", "LATE", "--db", db_url)
    out = ok("process", "--until-empty", "--format", "json", "--workers", "1", "--db", db_url)
    assert [(d["exhibit"], d["files"]) for d in map(json.loads, out.splitlines())] == [
        ("LATE", 4)]


def _lease_of(db: str, owner_pid: int) -> tuple[str, int] | None:
    """(exhibit, records stored so far) of the item the processor ``owner_pid`` holds."""
    from sqlalchemy import func

    from seawall.store.models import Exhibit, FileRecord

    with session_scope(db) as session:
        item = session.scalar(select(BacklogItem).where(
            BacklogItem.lease_owner.like(f"%:{owner_pid}")))
        if item is None:
            return None
        stored = session.scalar(select(func.count()).select_from(FileRecord).join(Exhibit)
                                .where(Exhibit.reference == item.exhibit_reference))
        return item.exhibit_reference, stored


def test_two_processors_share_the_backlog_and_survive_one_killed(tmp_path: Path, db_url: str):
    exhibits = [make_exhibit(tmp_path / "evidence" / f"E{n}", 40 * n, 24, 24)
                for n in range(6)]
    get_engine(db_url)
    for n, exhibit in enumerate(exhibits):
        add(db_url, f"OP-{n}", exhibit, ("very_high", "high", "medium", "low")[n % 4])
    args = ("process", "--until-empty", "--format", "json", "--workers", "1", "--db", db_url,
            "--batch-size", "1", "--commit-every", "1", "--lease", "4", "--poll", "0.3")
    procs = [start_seawall(*args, logs=tmp_path / f"processor-{i}.out") for i in range(2)]
    victim, survivor = procs
    try:
        deadline = time.monotonic() + 60
        while (held := _lease_of(db_url, victim.pid)) is None or held[1] < 3:
            assert victim.poll() is None, (tmp_path / "processor-0.out").read_text()
            assert time.monotonic() < deadline, "the processor never got going"
            time.sleep(0.05)
        os.killpg(victim.pid, signal.SIGKILL)  # the processor and its worker pool
        victim.wait(timeout=15)
        survivor.wait(timeout=120)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert survivor.returncode == 0, (tmp_path / "processor-1.out").read_text()[-3000:]

    def finished(i: int) -> list[str]:
        return [json.loads(line)["exhibit"]
                for line in (tmp_path / f"processor-{i}.out").read_text().splitlines()
                if line.startswith("{")]

    killed_at, survived = finished(0), finished(1)
    assert held[0] in survived and held[0] not in killed_at
    assert sorted(killed_at + survived) == [f"E{n}" for n in range(6)]  # each exactly once

    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    for n, exhibit in enumerate(exhibits):
        scan_exhibit([str(exhibit)], f"OP-{n}", db_url=reference, workers=1)
        assert case_records(db_url, f"OP-{n}") == case_records(reference, f"OP-{n}")
    with session_scope(db_url) as session:
        items = session.scalars(select(BacklogItem)).all()
        assert {(i.scan_status, i.scan_files, i.lease_owner) for i in items} == {
            ("scanned", 48, None)}



def test_process_on_a_cluster_that_goes_away_leaves_the_item_resumable(tmp_path: Path,
                                                                        db_url: str):
    from tests.cluster_processes import process_cluster

    exhibit = make_exhibit(tmp_path / "evidence" / "E1", 900, 30, 30)
    get_engine(db_url)
    add(db_url, "OP-1", exhibit, "high")
    with process_cluster(tmp_path / "cluster") as cluster:
        processor = start_seawall("process", "--until-empty", "--format", "json", "--db",
                                  db_url, "--cluster", cluster.address, "--batch-size", "1",
                                  "--commit-every", "1", "--lease", "60",
                                  logs=tmp_path / "processor.out",
                                  DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
        try:
            deadline = time.monotonic() + 60
            while (held := _lease_of(db_url, processor.pid)) is None or held[1] < 3:
                assert processor.poll() is None, (tmp_path / "processor.out").read_text()
                assert time.monotonic() < deadline, "the processor never got going"
                time.sleep(0.05)
            cluster.close()  # scheduler and workers SIGKILLed mid-scan
            processor.wait(timeout=90)
        finally:
            if processor.poll() is None:
                os.killpg(processor.pid, signal.SIGKILL)
    out = (tmp_path / "processor.out").read_text()
    assert processor.returncode == 1, out
    assert "the Dask cluster went away while scanning OP-1/E1 (resumable)" in " ".join(
        out.split())
    assert "Traceback" not in out
    with session_scope(db_url) as session:
        item = session.scalar(select(BacklogItem))
        assert (item.scan_status, item.lease_owner) == (None, None)  # given back at once

    resumed = ok("process", "--until-empty", "--format", "json", "--workers", "1", "--db",
                 db_url)
    assert [json.loads(line)["files"] for line in resumed.splitlines()] == [60]
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    scan_exhibit([str(exhibit)], "OP-1", db_url=reference, workers=1)
    assert case_records(db_url, "OP-1") == case_records(reference, "OP-1")
