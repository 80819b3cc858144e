"""The casework band coupling, the CLI, the web pages and JSON API."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from seawall.cli.app import app as cli_app
from seawall.operations import backlog, reports
from seawall.operations.bands import normalise_band
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.models import Case
from seawall.store.operations_models import BacklogItem

from .conftest import AS_OF


def test_band_from_casework_wins_over_stored(db_url, bcfg):
    from seawall.store.casework_models import RiskAssessment, Suspect

    with session_scope(db_url) as s:
        case = s.scalar(select(Case).where(Case.reference == "OP-ALPHA-1"))
        s.add(BacklogItem(case_reference=case.reference, exhibit_reference="PH1",
                          exhibit_type="phone", received_on=AS_OF, risk_band="low"))
        s.add(BacklogItem(case_reference="OP-BRAVO-2", exhibit_reference="PH1",
                          exhibit_type="phone", received_on=AS_OF, risk_band=None))
        s1, s2 = Suspect(case=case, reference="S1"), Suspect(case=case, reference="S2")
        s.add_all([s1, s2])
        s.flush()
        common = dict(case_id=case.id, instrument="x", instrument_sha256="0" * 64,
                      status="complete", assessor="t")
        s.add_all([RiskAssessment(suspect_id=s1.id, band="medium", **common),
                   RiskAssessment(suspect_id=s1.id, band="high", **common),  # latest for S1
                   RiskAssessment(suspect_id=s2.id, band="medium", **common),
                   RiskAssessment(suspect_id=s2.id, band="well_above_median", **common)])
    with session_scope(db_url) as s:
        got = {(e.case_reference, e.exhibit_reference): e
               for e in backlog.load_entries(s, bcfg)}
    alpha = got[("OP-ALPHA-1", "PH1")]
    assert (alpha.band, alpha.band_source) == ("high", "casework")
    bravo = got[("OP-BRAVO-2", "PH1")]
    assert (bravo.band, bravo.band_source) == (bcfg.unbanded, "default")
    assert normalise_band("Very-High") == "very_high"


def test_cli_reports_match_api(db_url, as_user, tmp_path):
    runner = CliRunner()
    env = {"SEAWALL_DB": db_url}
    out = runner.invoke(cli_app, ["backlog", "forecast", "--format", "json", "--as-of",
                                  AS_OF.isoformat()], env=env)
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    api = as_user("sam").get("/api/operations/backlog/forecast",
                             params={"as_of": AS_OF.isoformat()}).json()
    assert cli == api
    assert cli["predicted_breaches"] == sum(1 for i in cli["items"] if i["breach"])

    out = runner.invoke(cli_app, ["backlog", "queue", "--as-of", AS_OF.isoformat(),
                                  "--limit", "3"], env=env)
    assert out.exit_code == 0 and "always first" in out.stdout
    out = runner.invoke(cli_app, ["backlog", "simulate", "--as-of", AS_OF.isoformat(),
                                  "--examiners", "9", "--days", "30", "--replications", "1",
                                  "--charts", str(tmp_path / "charts")], env=env)
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "backlog.svg", "breaches.svg", "waiting.svg"]
    out = runner.invoke(cli_app, ["workforce", "gaps", "--format", "json", "--as-of",
                                  AS_OF.isoformat()], env=env)
    assert out.exit_code == 0, out.output
    api = as_user("admin").get("/api/operations/workforce/gaps",
                               params={"as_of": AS_OF.isoformat()}).json()
    assert json.loads(out.stdout) == api
    out = runner.invoke(cli_app, ["workforce", "suggest", "--task", "grading", "--band",
                                  "high", "--as-of", AS_OF.isoformat()], env=env)
    assert out.exit_code == 0 and "1. " in out.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("case,exhibit,type,received\nOP-9,EX1,toaster,2026-01-01\n")
    out = runner.invoke(cli_app, ["backlog", "import", str(bad)], env=env)
    assert out.exit_code == 1
    assert "bad.csv: line 2, column exhibit_type: 'toaster' is not one of" in out.output


def test_pages_for_supervisors_only(as_user, db_url):
    sam, alice = as_user("sam"), as_user("alice")
    for url in ("/operations/backlog", "/operations/workforce",
                "/operations/backlog/simulate?examiners=8&days=30",
                "/operations/workforce/suggest?task=grading&band=high",
                "/api/operations/backlog/queue", "/api/operations/workforce/gaps"):
        assert sam.get(url).status_code == 200, url
        assert alice.get(url).status_code == 403, url
    page = sam.get("/operations/backlog", params={"as_of": AS_OF.isoformat()}).text
    assert "data:image/svg+xml;base64," in page and "SYN-01-" in page
    assert sam.get("/operations/backlog/simulate?automated=2").status_code == 400
    with session_scope(db_url) as s:
        views = s.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "operations.view")).all()
    assert "backlog" in views and "workforce" in views


def test_csv_upload_needs_csrf_and_reports_row_errors(as_user, db_url):
    sam = as_user("sam")
    good = ("case_reference,exhibit_reference,exhibit_type,received,risk_band\n"
            "OP-NEW-1,EX1,phone,2026-01-02,high\n")
    files = {"file": ("cms.csv", good.encode(), "text/csv")}
    assert sam.client.post("/operations/backlog/import", files=files).status_code == 403
    ok = sam.post("/operations/backlog/import", files=files)
    assert ok.status_code == 200 and "1 new" in ok.text
    bad = good + "OP-NEW-2,EX1,phone,not-a-date,high\n"
    res = sam.post("/operations/backlog/import",
                   files={"file": ("cms.csv", bad.encode(), "text/csv")})
    assert res.status_code == 400 and "not a date" in res.text and ">3<" in res.text
    with session_scope(db_url) as s:
        refs = s.scalars(select(BacklogItem.case_reference).where(
            BacklogItem.source == "csv")).all()
        actions = s.scalars(select(AuditEntry.action)).all()
    assert refs == ["OP-NEW-1"] and "operations.backlog.import" in actions


def simulate_api(user, params: dict) -> dict:
    """The API's figures, polling the job while a longer simulation runs (202)."""
    response = user.get("/api/operations/backlog/simulate", params=params)
    deadline = time.monotonic() + 300
    while response.status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.5)
        response = user.get(response.json()["url"])
    assert response.status_code == 200, response.text
    return response.json()


def test_api_simulation_is_reproducible(as_user):
    sam = as_user("sam")
    params = {"as_of": AS_OF.isoformat(), "examiners": "8", "days": "40", "seed": "3"}
    first = simulate_api(sam, params)
    assert first == simulate_api(sam, params)
    assert first["scenario"]["examiners"] == 8


def test_status_changes_are_stepwise_and_audited(db_url, bcfg):
    with session_scope(db_url) as s:
        item = s.scalar(select(BacklogItem).where(BacklogItem.status == "triaged").limit(1))
        ref = (item.case_reference, item.exhibit_reference)
    with session_scope(db_url) as s, pytest.raises(backlog.BacklogError, match="cannot move"):
        backlog.set_status(s, "t", *ref, "reported")
    with session_scope(db_url) as s:
        backlog.set_status(s, "t", *ref, "in_examination", on=AS_OF)
    with session_scope(db_url) as s:
        q = reports.queue(s, bcfg, AS_OF)
        assert ref not in {(r["case_reference"], r["exhibit_reference"]) for r in q["items"]}
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "operations.backlog.status")).one()
        assert entry.details == {"from": "triaged", "to": "in_examination"}


def test_a_lower_assessment_does_not_lower_a_stored_band(db_url, bcfg):
    from seawall.operations.backlog import BacklogError, set_band
    from seawall.store.casework_models import RiskAssessment, Suspect

    with session_scope(db_url) as s:
        case = s.scalar(select(Case).where(Case.reference == "OP-ALPHA-1"))
        s.add(BacklogItem(case_reference=case.reference, exhibit_reference="PH1",
                          exhibit_type="phone", received_on=AS_OF, risk_band="very_high"))
        suspect = Suspect(case=case, reference="S1")
        s.add(suspect)
        s.flush()
        s.add(RiskAssessment(suspect_id=suspect.id, band="low", case_id=case.id,
                             instrument="x", instrument_sha256="0" * 64,
                             status="complete", assessor="t"))

    def alpha():
        with session_scope(db_url) as s:
            return next(e for e in backlog.load_entries(s, bcfg)
                        if e.case_reference == "OP-ALPHA-1")

    assert (alpha().band, alpha().band_source) == ("very_high", "stored_over_casework")
    with session_scope(db_url) as s, pytest.raises(BacklogError, match="needs a supervisor"):
        set_band(s, "sam", bcfg, "OP-ALPHA-1", "low")
    with session_scope(db_url) as s:
        assert set_band(s, "sam", bcfg, "OP-ALPHA-1", "low",
                        reason="re-assessed with new intelligence") == "very_high"
    assert (alpha().band, alpha().band_source) == ("low", "casework")
    with session_scope(db_url) as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "operations.backlog.band")).one()
        assert entry.details["reason"] == "re-assessed with new intelligence"
    runner = CliRunner()
    out = runner.invoke(cli_app, ["backlog", "band", "OP-ALPHA-1", "very-high"],
                        env={"SEAWALL_DB": db_url})
    assert out.exit_code == 0, out.output  # raising needs no reason
    assert alpha().band == "very_high"
