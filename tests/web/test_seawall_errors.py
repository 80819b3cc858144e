"""One exception handler maps every SeawallError a route lets through: the kind's status, the
normal error page (layout, security headers) for a browser and ``{"detail": ...}`` JSON for
anything else."""

from __future__ import annotations

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from seawall import errors
from seawall.web.app import public

from .conftest import CASE1

HTML = {"Accept": "text/html"}

KINDS = [(errors.NotFound, 404), (errors.InvalidInput, 400), (errors.AccessDenied, 403),
         (errors.Conflict, 409), (errors.Unavailable, 503), (errors.ConfigError, 500)]


@pytest.mark.parametrize("kind,status", KINDS, ids=[k.__name__ for k, _ in KINDS])
def test_each_kind_has_its_status_page_and_json(app, kind, status):
    @public
    def boom(request: Request):
        raise kind("it went <wrong>")

    app.router.add_api_route("/test-boom", boom, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/test-boom", headers=HTML)
        assert page.status_code == status
        assert f"<h1>{status}</h1>" in page.text and "it went &lt;wrong&gt;" in page.text
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cache-Control"] == "no-store"
        data = client.get("/test-boom")
        assert data.status_code == status
        detail = data.json()["detail"]
        assert detail == ("invalid configuration: it went <wrong>"
                          if kind is errors.ConfigError else "it went <wrong>")


def test_unknown_suspect_is_a_404_page_after_login(as_user):
    sam = as_user("sam")
    page = sam.get(f"/cases/{CASE1}/triage/suspects/NOPE/history", headers=HTML)
    assert page.status_code == 404
    assert f"no suspect &#39;NOPE&#39; in case {CASE1}" in page.text
    assert 'sam <span class="role">' in page.text  # the normal layout, logged in
    api = sam.get(f"/api/cases/{CASE1}/casework/suspects/NOPE")
    assert api.status_code == 404
    assert api.json() == {"detail": f"no suspect 'NOPE' in case {CASE1}"}


def test_unknown_instrument_is_a_404(as_user):
    sam = as_user("sam")
    added = sam.post(f"/cases/{CASE1}/triage/suspects", data={"reference": "S-1"})
    assert added.status_code == 303
    page = sam.get(f"/cases/{CASE1}/triage/suspects/S-1/assess?instrument=nope",
                   headers=HTML)
    assert page.status_code == 404 and "no instrument &#39;nope&#39;" in page.text
    api = sam.client.post(f"/api/cases/{CASE1}/casework/suspects/S-1/assessments",
                          json={"instrument": "nope", "answers": {}},
                          headers={"X-CSRF-Token": sam.csrf})
    assert api.status_code == 404 and api.json()["detail"].startswith("no instrument 'nope'")


def test_not_found_and_config_error_in_operations(as_user, monkeypatch, tmp_path):
    sam = as_user("sam")
    closed = sam.post("/operations/workforce/allocations/999999/close")
    assert closed.status_code == 404 and closed.json() == {"detail": "no allocation 999999"}
    bad = tmp_path / "ops.toml"
    bad.write_text("[bands.high]\ndeadline_days = 'soon'\n")
    monkeypatch.setenv("SEAWALL_OPERATIONS_CONFIG", str(bad))
    response = sam.get("/api/operations/backlog/queue")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("invalid configuration: ")
    assert "bands.high" in response.json()["detail"]
