"""Casework pages and JSON API: per-case access, roles, CSRF, audit."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from seawall.cli.app import app as cli_app
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from tests.web.conftest import CASE1

BASE = f"/cases/{CASE1}/triage"
NO = {f"item.{i}": "no" for i in (
    "prev_contact_sexual", "prev_noncontact_sexual", "prev_custody", "access_household",
    "access_other", "grooming_incitement", "production", "sexual_communication_adults",
    "distribution", "other_convictions", "domestic_abuse", "substance_misuse", "category_a",
    "collection_scale")}


def test_triage_flow_pages(as_user, db_url):
    ivan = as_user("ivan")  # investigator on CASE1
    assert ivan.get("/triage").status_code == 200
    response = ivan.post(f"{BASE}/suspects", {"reference": "S-1",
                                              "date_of_birth": "1985-04-04"})
    assert response.status_code == 303
    page = ivan.get(BASE)
    assert page.status_code == 200 and "S-1" in page.text and "aged" in page.text
    form = ivan.get(f"{BASE}/suspects/S-1/assess?instrument=seawall-prioritisation")
    assert form.status_code == 200 and "not the official KIRAT" in form.text
    assert "Category A present" in form.text  # forensic indicators shown for review
    response = ivan.post(f"{BASE}/suspects/S-1/assess",
                         {"instrument": "seawall-prioritisation", **NO,
                          "item.distribution": "yes", "review.category_a": "confirmed"})
    assert response.status_code == 303 and "/history#a" in response.headers["location"]
    history = ivan.get(f"{BASE}/suspects/S-1/history")
    assert "Low" in history.text and "score <span class=\"score\">2</span>" in history.text

    # Investigators may not decide; a supervisor may, and must give a reason to depart.
    assert ivan.post(f"{BASE}/suspects/S-1/decision",
                     {"pathway": "urgent_specialist"}).status_code == 403
    sam = as_user("sam")
    response = sam.post(f"{BASE}/suspects/S-1/decision", {"pathway": "urgent_specialist"})
    assert response.status_code == 303
    assert "no decision" in sam.get(f"{BASE}/suspects/S-1/history").text.lower()
    sam.post(f"{BASE}/suspects/S-1/decision", {"pathway": "urgent_specialist",
                                               "reason": "Intelligence of contact offending."})
    history = sam.get(f"{BASE}/suspects/S-1/history").text
    assert "departure" in history and "Intelligence of contact offending." in history
    with session_scope(db_url) as s:
        actions = set(s.scalars(select(AuditEntry.action)).all())
        (refused,) = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "casework.pathway.rejected")).all()
        assert (refused.actor, refused.case_reference, refused.target) == ("sam", CASE1, "S-1")
        assert refused.details["decided"] == "urgent_specialist"
        assert "needs a written reason" in refused.details["refused"]
    assert {"casework.view", "casework.suspect.add", "casework.assessment",
            "casework.pathway.decide", "casework.history.view"} <= actions
    # The command line records a refused attempt too.
    out = CliRunner().invoke(cli_app, ["casework", "decide", CASE1, "S-1", "prison"],
                             env={"SEAWALL_DB": db_url})
    assert out.exit_code != 0 and "pathway must be one of" in out.output
    with session_scope(db_url) as s:
        refused = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "casework.pathway.rejected")).all()
    assert [r.details["decided"] for r in refused] == ["urgent_specialist", "prison"]


def test_grader_reads_but_cannot_edit(as_user):
    alice = as_user("alice")
    assert alice.get(BASE).status_code == 200
    assert alice.post(f"{BASE}/suspects", {"reference": "S-2"}).status_code == 403


def test_other_case_and_unknown_suspect(as_user):
    bob = as_user("bob")
    assert bob.get(BASE).status_code == 403
    assert bob.get(f"/api/cases/{CASE1}/casework").status_code == 403
    assert "OP-ALPHA" not in bob.get("/triage").text
    ivan = as_user("ivan")
    assert ivan.get(f"{BASE}/suspects/NOPE/history").status_code == 404


def test_json_api(as_user):
    ivan = as_user("ivan")
    ivan.post(f"{BASE}/suspects", {"reference": "S-3"})
    headers = {"X-CSRF-Token": ivan.csrf}
    url = f"/api/cases/{CASE1}/casework/suspects/S-3/assessments"
    answers = {"young_age": "yes", "prior_criminal_history": "no",
               "contact_sexual_offending": "no", "failure_conditional_release": "no",
               "sexual_interest_in_children": "unknown", "more_boy_content_csem": "no"}
    response = ivan.client.post(url, json={"instrument": "cport", "answers": answers},
                                headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "incomplete" and body["result"]["missing"] == [
        "more_boy_content_other"]
    assert ivan.client.post(url, json={"instrument": "cport", "answers": answers}).status_code \
        == 403  # no CSRF header
    bad = ivan.client.post(url, json={"instrument": "cport", "answers": {"young_age": "x"}},
                           headers=headers)
    assert bad.status_code == 422
    data = ivan.get(f"/api/cases/{CASE1}/casework/suspects/S-3").json()
    assert data["assessments"]["cport"]["band"] == "incomplete"
    assert data["recommendation"]["advice_only"] is True
    assert ivan.get(f"/api/cases/{CASE1}/casework/indicators").json()["available"] is True
    names = [i["name"] for i in ivan.get("/api/casework/instruments").json()]
    assert {"cport", "seawall-prioritisation"} <= set(names)
    decision = ivan.client.post(f"/api/cases/{CASE1}/casework/suspects/S-3/decision",
                                json={"pathway": "standard_investigation"}, headers=headers)
    assert decision.status_code == 403  # investigators do not decide
