"""Refused requests of case data are audit events in the hash chain (issue 12, defect 5)."""

from __future__ import annotations

from sqlalchemy import select

from seawall.store import audit
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import CASE1


def denials(db_url, actor):
    with session_scope(db_url) as s:
        return [(e.case_reference, e.target, e.details) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.actor == actor,
                                     AuditEntry.action == "access.denied")
            .order_by(AuditEntry.seq))]


def test_unassigned_user_refusals_are_audited(as_user, ids, db_url):
    bob = as_user("bob")  # assigned to the other case only
    urls = [f"/cases/{CASE1}", f"/cases/{CASE1}/files", f"/cases/{CASE1}/files/{ids['dup1']}",
            f"/cases/{CASE1}/files/{ids['dup1']}/thumb", f"/cases/{CASE1}/grade",
            f"/api/cases/{CASE1}/casework", "/cases/NO-SUCH-CASE"]
    for url in urls:
        assert bob.get(url).status_code == 403
    assert bob.post(f"/cases/{CASE1}/files/{ids['dup1']}/reveal").status_code == 403
    found = denials(db_url, "bob")
    assert [target for _case, target, _details in found] == [
        *urls, f"/cases/{CASE1}/files/{ids['dup1']}/reveal"]
    assert {case for case, _t, _d in found} == {CASE1, "NO-SUCH-CASE"}
    assert found[0][2] == {"method": "GET", "route": "/cases/{case_ref}"}
    assert found[-1][2] == {"method": "POST", "route": "/cases/{case_ref}/files/{file_id}/reveal"}
    with session_scope(db_url) as s:
        assert audit.verify(s) == []


def test_wrong_role_refusals_are_audited(as_user, ids, db_url):
    ivan = as_user("ivan")  # investigator on case 1: reports, no media
    assert ivan.get(f"/cases/{CASE1}/files/{ids['dup1']}/thumb").status_code == 403
    assert ivan.get("/audit").status_code == 403
    assert [(case, details["route"]) for case, _t, details in denials(db_url, "ivan")] == [
        (CASE1, "/cases/{case_ref}/files/{file_id}/thumb"), (None, "/audit")]


def test_supervisor_sees_probes_of_their_case(as_user, db_url):
    as_user("bob").get(f"/cases/{CASE1}/files")
    page = as_user("sam").get("/audit", params={"action": "access.denied"}).text
    assert ">bob<" in page and f"/cases/{CASE1}/files" in page


def test_allowed_requests_leave_no_denial(as_user, db_url):
    alice = as_user("alice")
    assert alice.get(f"/cases/{CASE1}").status_code == 200
    assert alice.get("/cases/NO-SUCH-CASE").status_code == 403
    assert [case for case, _t, _d in denials(db_url, "alice")] == ["NO-SUCH-CASE"]


@needs_chromium
def test_denied_page_in_the_browser_is_audited(server, db_url):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page(console_errors=False) as (page, errors):
        login(page, server, "bob")
        expect(page).to_have_url(f"{server}/cases")
        response = page.goto(f"{server}/cases/{CASE1}/grade")
        assert response is not None and response.status == 403
        expect(page.locator("main")).to_contain_text("not assigned")
        assert errors == []
    assert [target for _c, target, _d in denials(db_url, "bob")] == [f"/cases/{CASE1}/grade"]
