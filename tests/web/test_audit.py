"""The hash-chained audit log: tampering of every kind is detected and located."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from seawall.store import audit
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope


@pytest.fixture
def log_url(empty_db_url):
    url = empty_db_url
    with session_scope(url) as s:
        for i in range(6):
            audit.record(s, f"user{i % 2}", "case.view", case="C1", target=str(i),
                         details={"i": i, "note": "naïve ✓"})
    return url


def problems(url):
    with session_scope(url) as s:
        return audit.verify(s)


def sql(url, statement, **params):
    with session_scope(url) as s:
        s.execute(text(statement), params)


def test_intact_chain_verifies(log_url):
    assert problems(log_url) == []
    with session_scope(log_url) as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.seq for e in entries] == list(range(1, 7))
        assert entries[0].prev_hash == audit.GENESIS_HASH
        for before, after in zip(entries, entries[1:], strict=False):
            assert after.prev_hash == before.entry_hash
        assert audit.head_hash(s) == (6, entries[-1].entry_hash)


@pytest.mark.parametrize("column,value", [
    ("actor", "mallory"), ("action", "case.export"), ("target", "99"),
    ("details", '{"i": 3}'), ("case_reference", "C2"), ("at", "2001-01-01 00:00:00.000000"),
])
def test_edit_detected(log_url, column, value):
    sql(log_url, f"UPDATE audit_log SET {column} = :v WHERE seq = 3", v=value)
    found = problems(log_url)
    assert found and "seq 3" in found[0] and "edited" in found[0]


def test_edit_with_recomputed_hash_breaks_next_link(log_url):
    # A careful forger recomputes the edited entry's own hash; the next entry no longer links.
    with session_scope(log_url) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.seq == 3))
        entry.actor = "mallory"
        entry.entry_hash = audit.entry_digest(entry)
    found = problems(log_url)
    assert any("seq 4" in p and "does not link" in p for p in found)


def test_delete_detected(log_url):
    sql(log_url, "DELETE FROM audit_log WHERE seq = 4")
    found = problems(log_url)
    assert any("seq 5" in p and "missing" in p for p in found)
    assert any("does not link" in p for p in found)


def test_delete_last_entries_detected(log_url):
    sql(log_url, "DELETE FROM audit_log WHERE seq >= 5")
    found = problems(log_url)
    assert found and "end of log" in found[-1]


def test_reorder_detected(log_url):
    # Swap the contents of rows 2 and 3 (row order is insertion order).
    with session_scope(log_url) as s:
        rows = {r.seq: r for r in s.scalars(select(AuditEntry))}
        a, b = rows[2], rows[3]
        fields = ("seq", "at", "actor", "action", "case_reference", "target", "details",
                  "prev_hash", "entry_hash")
        values_a = {f: getattr(a, f) for f in fields}
        values_b = {f: getattr(b, f) for f in fields}
        a.seq, b.seq = 1000, 1001  # dodge the unique constraints while swapping
        a.prev_hash, b.prev_hash = "x", "y"
        s.flush()
        for f in fields:
            setattr(a, f, values_b[f])
            setattr(b, f, values_a[f])
    found = problems(log_url)
    assert any("reordered" in p for p in found)


def test_insert_detected(log_url):
    with session_scope(log_url) as s:
        fake = AuditEntry(seq=7, at=audit.utcnow(), actor="mallory", action="login.success",
                          prev_hash="f" * 64, entry_hash="0" * 64)
        fake.entry_hash = audit.entry_digest(fake)
        s.add(fake)
    found = problems(log_url)
    assert any("seq 7" in p and "does not link" in p for p in found)
    assert any("end of log" in p for p in found)


def test_concurrent_writers_do_not_fork(empty_db_url):
    url = empty_db_url
    with session_scope(url) as s:
        audit.record(s, "init", "login.success")
    errors = []

    def writer(name):
        try:
            for i in range(15):
                with session_scope(url) as s:
                    s.execute(select(AuditEntry.id).limit(1)).all()  # a read first, as routes do
                    audit.record(s, name, "case.view", target=str(i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert problems(url) == []
    with session_scope(url) as s:
        assert audit.head_hash(s)[0] == 61


def test_anchor_detects_a_consistently_rewritten_chain(log_url, tmp_path):
    """Rewriting every hash after an edit (and the head row) fools verify(); an anchor noted
    outside the database does not match the rewritten entry."""
    from typer.testing import CliRunner

    from seawall.cli.app import app
    from seawall.store.audit_models import AuditHead

    runner = CliRunner()
    anchors = tmp_path / "anchors.txt"
    result = runner.invoke(app, ["audit", "anchor", "--append", str(anchors), "--db", log_url])
    assert result.exit_code == 0 and anchors.read_text().startswith("6 ")
    ok = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors), "--db", log_url])
    assert ok.exit_code == 0 and "1 anchor(s) match" in ok.stdout

    with session_scope(log_url) as s:  # the attacker's full rewrite
        prev = audit.GENESIS_HASH
        for entry in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all():
            if entry.seq == 2:
                entry.actor = "mallory"
            entry.prev_hash = prev
            entry.entry_hash = audit.entry_digest(entry)
            prev = entry.entry_hash
            s.flush()
        s.get(AuditHead, 1).last_hash = prev
    assert problems(log_url) == []  # the limitation anchors exist for
    bad = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors), "--db", log_url])
    assert bad.exit_code == 1 and "rewritten" in bad.stdout
