"""Issue 12 on the shipped demo, as a user runs it: `seawall demo` builds the database (E01
exhibit, VICS/PDQ/known-benign sets); a grader's hand-made POST cannot change the court
counts of trusted matches; a supervisor's override does, and `seawall counts` and
`seawall report` show it as an override with who and why; pictures inside holiday.zip (and
its nested tar) inside the disk image are shown."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.web import create_app
from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import User, csrf_of
from .conftest import login as form_login

CASE = "DEMO-001"
AS_OF = "2026-12-01T12:00:00Z"
EXACT_A = "/DCIM/100PHOTO/_MG_0007.JPG"  # deleted, exact VICS match, category A
PDQ_A = "/Pictures/edited/bridge_small.jpg"  # PDQ match, category A
MEMBERS = ["/Documents/archive/holiday.zip!/hills.jpg",
           "/Documents/archive/holiday.zip!/stripes.png",
           "/Documents/archive/holiday.zip!/extras.tar!/sketch.png"]


def seawall(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    seawall("demo", "--out", str(out))
    return out


@pytest.fixture
def demo(demo_build, tmp_path):
    """A private copy of the demo database: (url, file id by path)."""
    path = tmp_path / "seawall.db"
    with closing(sqlite3.connect(demo_build / "seawall.db")) as source, \
            closing(sqlite3.connect(path)) as target:
        source.backup(target)
        ids = {p: i for i, p in target.execute("SELECT id, path FROM files")}
    return f"sqlite:///{path}", ids


class DemoUser(User):
    """A logged-in client of one of the demo's users (their password is made per build)."""

    def __init__(self, app, username: str, password: str):
        self.client = TestClient(app, follow_redirects=False)
        assert form_login(self.client, username, password).status_code == 303
        self.csrf = csrf_of(self.client.get("/cases").text)


@pytest.fixture
def password(demo_build):
    return (demo_build / "demo-password.txt").read_text().strip()


@pytest.fixture
def app(demo):
    return create_app(demo[0])


@pytest.fixture
def users(app, password):
    made = {name: DemoUser(app, name, password) for name in ("demo-grader", "demo")}
    yield made
    for user in made.values():
        user.client.close()


def counts(url: str) -> dict:
    return json.loads(seawall("counts", "--case", CASE, "--format", "json", "--db", url))


def test_grader_post_cannot_change_counts_of_trusted_matches(demo, users):
    url, ids = demo
    before = counts(url)
    assert before["total"]["A"]["still"] == 3
    grader = users["demo-grader"]
    files = f"{ids[EXACT_A]},{ids[PDQ_A]}"
    response = grader.post(f"/cases/{CASE}/grade", {"files": files, "category": "not_indecent"})
    assert response.status_code == 303
    page = grader.get(f"/cases/{CASE}/grade").text
    assert "Not graded" in page and "trusted hash set" in page
    assert counts(url) == before


def test_override_changes_counts_and_the_report_says_so(demo, users, tmp_path):
    url, ids = demo
    before = counts(url)["total"]
    reason = "VICS entry withdrawn by the publisher; image checked by supervisor"
    response = users["demo"].post(f"/cases/{CASE}/files/{ids[EXACT_A]}/override",
                                  {"category": "not_indecent", "reason": reason})
    assert response.status_code == 303
    after = counts(url)["total"]
    assert after["A"]["still"] == before["A"]["still"] - 1
    assert after["not_indecent"]["still"] == before["not_indecent"]["still"] + 1

    seawall("report", "--case", CASE, "--format", "json", "--out", str(tmp_path / "r.json"),
            "--as-of", AS_OF, "--db", url)
    report = json.loads((tmp_path / "r.json").read_text())
    entry = next(f for f in report["files"] if f["path"] == EXACT_A)
    basis = entry["basis"]
    assert entry["category"] == "not_indecent" and basis["method"] == "override"
    assert basis["local_grade"]["decided_by"] == "demo"
    assert basis["local_grade"]["reason"] == reason
    assert {(m["set"], m["kind"], m["category"]) for m in basis["overridden"]} >= {
        ("demo-vics", "md5", "A")}
    assert report["basis"]["total"]["not_indecent"]["still"]["methods"]["override"] == 1

    seawall("report", "--case", CASE, "--format", "csv", "--out", str(tmp_path / "r.csv"),
            "--as-of", AS_OF, "--db", url)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.files.csv").read_text())))
    row = next(r for r in rows if r["full_path"].endswith(EXACT_A))
    assert row["method"] == "override" and row["override_reason"] == reason
    seawall("report", "--case", CASE, "--format", "html", "--out", str(tmp_path / "r.html"),
            "--as-of", AS_OF, "--db", url)
    html = (tmp_path / "r.html").read_text()
    assert "Supervisor overrides" in html and reason in html


def test_pictures_inside_archives_in_the_disk_image_are_shown(demo, users):
    _url, ids = demo
    grader = users["demo-grader"]
    for path in MEMBERS:
        response = grader.get(f"/cases/{CASE}/files/{ids[path]}/thumb")
        assert response.status_code == 200, (path, response.text)
        assert Image.open(io.BytesIO(response.content)).mode == "L"


def test_report_downloaded_from_the_case_page_is_the_cli_report(demo, users, tmp_path):
    url, _ids = demo
    grader = users["demo-grader"]
    assert 'id="report-form"' in grader.get(f"/cases/{CASE}").text
    for fmt in ("html", "pdf", "json", "csv"):
        seawall("report", "--case", CASE, "--format", fmt, "--out",
                str(tmp_path / f"cli.{fmt}"), "--as-of", AS_OF, "--db", url)
    expected = {fmt: (tmp_path / f"cli.{fmt}").read_bytes() for fmt in ("html", "pdf", "json",
                                                                      "csv")}
    expected["files.csv"] = (tmp_path / "cli.files.csv").read_bytes()
    for fmt, data in expected.items():
        response = grader.get(f"/cases/{CASE}/report", params={"format": fmt, "as_of": AS_OF})
        assert response.status_code == 200, (fmt, response.text)
        assert response.content == data, fmt
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert response.headers["x-report-as-of"] == AS_OF
    with session_scope(url) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.report",
                                                   AuditEntry.actor == "demo-grader")
                          .order_by(AuditEntry.seq.desc())).first()
    assert entry.details["format"] == "files.csv" and entry.details["as_of"] == AS_OF
    assert entry.details["sha256"] == hashlib.sha256(expected["files.csv"]).hexdigest()
    assert grader.get(f"/cases/{CASE}/report", params={"format": "exe"}).status_code == 400
    assert grader.get(f"/cases/{CASE}/report",
                      params={"format": "json", "as_of": "soon"}).status_code == 400


@needs_chromium
def test_report_download_in_chromium(server, demo, password, tmp_path):  # noqa: F811
    url, _ids = demo
    seawall("report", "--case", CASE, "--format", "json", "--out", str(tmp_path / "cli.json"),
            "--as-of", AS_OF, "--db", url)
    with chromium_page() as (page, errors):
        login(page, server, "demo-grader", password)
        page.goto(f"{server}/cases/{CASE}")
        form = page.locator("#report-form")
        form.locator("select[name=format]").select_option("json")
        form.locator("input[name=as_of]").fill(AS_OF)
        with page.expect_download() as info:
            form.locator("button[type=submit]").click()
        download = info.value
        assert download.suggested_filename == "DEMO-001-report-2026-12-01T120000Z.json"
        download.save_as(tmp_path / "web.json")
        assert (tmp_path / "web.json").read_bytes() == (tmp_path / "cli.json").read_bytes()
        assert errors == []
