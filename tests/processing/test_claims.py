"""Claims on backlog items: priority order, one holder at a time, leases that expire."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from seawall.operations.backlog import add_item, load_entries, queue_report
from seawall.operations.config import backlog_config
from seawall.operations.csv_import import import_backlog
from seawall.processing.claims import Heartbeat, claim_next, release, unfinished
from seawall.store.db import get_engine, session_scope
from seawall.store.models import utcnow
from seawall.store.operations_models import BacklogItem

RECEIVED = date(2026, 11, 2)


@pytest.fixture()
def cfg():
    return backlog_config()


@pytest.fixture()
def backlog(db_url: str, cfg, tmp_path: Path) -> str:
    get_engine(db_url)
    with session_scope(db_url) as session:
        for ref, band in (("LOW", "low"), ("VH", "very_high"), ("MED", "medium")):
            add_item(session, "test", cfg, f"OP-{ref}", ref, band=band, received=RECEIVED,
                     path=str(tmp_path / ref))
        add_item(session, "test", cfg, "OP-NOPATH", "X", band="very_high", received=RECEIVED)
    return db_url


def test_claims_follow_the_queue_and_never_share_an_item(backlog: str, cfg):
    first = claim_next(backlog, cfg, "p1")
    second = claim_next(backlog, cfg, "p2")
    third = claim_next(backlog, cfg, "p1")
    assert [c.exhibit for c in (first, second, third)] == ["VH", "MED", "LOW"]
    assert [c.band for c in (first, second, third)] == ["very_high", "medium", "low"]
    assert claim_next(backlog, cfg, "p3") is None  # the item without a path is never taken
    assert unfinished(backlog) == 3
    with session_scope(backlog) as session:
        owners = dict(session.execute(select(BacklogItem.exhibit_reference,
                                             BacklogItem.lease_owner)).all())
    assert owners == {"VH": "p1", "MED": "p2", "LOW": "p1", "X": None}


def test_an_expired_lease_is_taken_over_and_a_released_item_at_once(backlog: str, cfg):
    dead = claim_next(backlog, cfg, "dead", lease_seconds=60)
    assert dead.exhibit == "VH"
    assert claim_next(backlog, cfg, "alive", lease_seconds=60).exhibit == "MED"
    with session_scope(backlog) as session:  # the dead processor's lease runs out
        item = session.get(BacklogItem, dead.item_id)
        started = item.scan_started
        item.lease_expires = utcnow() - timedelta(seconds=1)
    again = claim_next(backlog, cfg, "alive")
    assert (again.exhibit, again.owner) == ("VH", "alive")
    with session_scope(backlog) as session:
        assert session.get(BacklogItem, dead.item_id).scan_started == started  # resumed
    release(backlog, again)
    assert claim_next(backlog, cfg, "third").exhibit == "VH"


def test_heartbeat_renews_the_lease_and_records_progress(backlog: str, cfg):
    claim = claim_next(backlog, cfg, "p1", lease_seconds=30)
    with session_scope(backlog) as session:
        session.get(BacklogItem, claim.item_id).lease_expires = utcnow()
    Heartbeat(backlog, claim, 30).beat()
    with session_scope(backlog) as session:
        item = session.get(BacklogItem, claim.item_id)
        assert item.lease_expires > utcnow() + timedelta(seconds=25)
        assert item.scan_files == 0
    assert claim_next(backlog, cfg, "p2").exhibit != claim.exhibit


def test_queue_shows_processing_state(backlog: str, cfg):
    claim = claim_next(backlog, cfg, "p1")
    with session_scope(backlog) as session:
        item = session.get(BacklogItem, claim.item_id)
        item.scan_files = 12
        rows = {r["exhibit_reference"]: r for r in
                queue_report(load_entries(session, cfg), cfg, RECEIVED)["items"]}
    assert rows["VH"]["scan_text"] == "scanning, 12 files"
    assert rows["MED"]["scan_text"] == "waiting"
    assert rows["X"]["scan"] is None and rows["X"]["scan_text"] == "-"


def test_csv_import_keeps_paths(db_url: str, cfg):
    get_engine(db_url)
    header = "case_reference,exhibit_reference,exhibit_type,received"
    with session_scope(db_url) as session:
        result = import_backlog(session, f"{header},path\nOP-1,E1,phone,2026-11-01,/ev/E1\n",
                                cfg, "test")
        assert result.imported, result.errors
        # Re-imported from a file without paths: the path stays.
        import_backlog(session, f"{header}\nOP-1,E1,phone,2026-11-02\n", cfg, "test")
        item = session.scalar(select(BacklogItem))
        assert (item.path, item.received_on) == ("/ev/E1", date(2026, 11, 2))


def test_a_processor_whose_lease_was_taken_over_records_nothing(backlog: str, cfg):
    from seawall.processing.farm import _record

    slow = claim_next(backlog, cfg, "slow", lease_seconds=60)
    with session_scope(backlog) as session:
        session.get(BacklogItem, slow.item_id).lease_expires = utcnow()
    fast = claim_next(backlog, cfg, "fast")
    assert fast.item_id == slow.item_id
    assert _record(backlog, slow, "test") is None
    with session_scope(backlog) as session:
        item = session.get(BacklogItem, slow.item_id)
        assert (item.scan_status, item.lease_owner) == ("scanning", "fast")
    assert _record(backlog, fast, "test").status == "scanned"
