"""Media inside archives are shown, and media that cannot be shown are not graded (issue 12,
defect 3).  A benign exhibit folder is really scanned; thumbnails are read back from it
through the evidence layer, an archive member through its zip, as the scan read it."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from seawall.accounts.assignments import assign
from seawall.accounts.users import create_user
from seawall.scan.pipeline import scan_exhibit
from seawall.store.db import session_scope
from seawall.store.grading_models import FinalGrade, Grade
from seawall.store.models import FileRecord
from seawall.web import create_app
from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import PASSWORD, User

CASE = "OP-ARCHIVE"


@pytest.fixture
def scanned(folder_exhibit, empty_db_url):
    scan_exhibit([str(folder_exhibit)], CASE, exhibit_reference="EX1", db_url=empty_db_url,
                 workers=1)
    with session_scope(empty_db_url) as s:
        for name, role in [("gina", "grader"), ("sue", "supervisor")]:
            create_user(s, name, PASSWORD, role)
            assign(s, CASE, name, actor="test")
        ids = {r.path: r.id for r in s.scalars(select(FileRecord))}
    return empty_db_url, ids, folder_exhibit


@pytest.fixture
def app(scanned):
    return create_app(scanned[0])  # the evidence reader: no injected pictures


@pytest.fixture
def gina(app):
    user = User(app, "gina")
    yield user
    user.client.close()


MEMBER = "/Documents/album.zip!/inner/pic_a.jpg"


def test_archive_member_thumbnail_is_read_through_its_archive(scanned, gina):
    _url, ids, _root = scanned
    response = gina.get(f"/cases/{CASE}/files/{ids[MEMBER]}/thumb")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).mode == "L"  # blurred greyscale


def test_media_that_cannot_be_displayed_cannot_be_graded(scanned, gina):
    url, ids, root = scanned
    # The archive no longer holds the member (evidence moved or replaced since the scan).
    with zipfile.ZipFile(root / "Documents" / "album.zip", "w") as zf:
        zf.writestr("other.txt", "nothing here")
    member = ids[MEMBER]
    assert gina.get(f"/cases/{CASE}/files/{member}/thumb").status_code == 404
    response = gina.post(f"/cases/{CASE}/grade", {"files": str(member), "category": "C"})
    assert response.status_code == 303
    page = gina.get(f"/cases/{CASE}/grade").text
    assert f"file {member} cannot be displayed" in page and "cannot be graded" in page
    with session_scope(url) as s:
        assert s.scalar(select(Grade.id)) is None and s.scalar(select(FinalGrade.id)) is None
    # A picture that can be shown is graded as before.
    shown = ids["/Documents/drawing.png"]
    gina.post(f"/cases/{CASE}/grade", {"files": str(shown), "category": "C"})
    with session_scope(url) as s:
        assert s.scalars(select(FinalGrade.file_id)).all() == [shown]


def test_supervisor_cannot_override_what_cannot_be_displayed(scanned, app, gina):
    url, ids, root = scanned
    shown = ids["/Documents/drawing.png"]
    gina.post(f"/cases/{CASE}/grade", {"files": str(shown), "category": "C"})
    (root / "Documents" / "drawing.png").write_bytes(b"no longer a picture")
    sue = User(app, "sue")
    sue.post(f"/cases/{CASE}/files/{shown}/override", {"category": "A", "reason": "r"})
    assert "cannot be displayed" in sue.get(f"/cases/{CASE}/files/{shown}").text
    sue.client.close()
    with session_scope(url) as s:
        assert s.scalar(select(FinalGrade.method)) == "single_grader"


@needs_chromium
def test_archive_member_shown_on_its_page_in_chromium(server, scanned):  # noqa: F811
    from playwright.sync_api import expect

    _url, ids, _root = scanned
    with chromium_page() as (page, errors):
        login(page, server, "gina")
        page.goto(f"{server}/cases/{CASE}/files/{ids[MEMBER]}")
        expect(page.locator("h1")).to_have_text(f"File {ids[MEMBER]}")
        page.wait_for_function(
            "() => { const i = document.querySelector('figure.thumb img');"
            " return i && i.complete && i.naturalWidth > 0; }")
        assert errors == []  # no failed thumbnail request


@needs_chromium
def test_grader_told_why_media_cannot_be_graded_in_chromium(server, scanned):  # noqa: F811
    from playwright.sync_api import expect

    url, ids, root = scanned
    with zipfile.ZipFile(root / "Documents" / "album.zip", "w") as zf:
        zf.writestr("other.txt", "nothing here")
    member = ids[MEMBER]
    # (The failed thumbnail request is itself logged as a console error: not counted here.)
    with chromium_page(console_errors=False) as (page, errors):
        login(page, server, "gina")
        for index in range(20):  # the queue item holding the member
            page.goto(f"{server}/cases/{CASE}/grade?i={index}")
            if page.locator(f'#grade input[name=files][value="{member}"]').count():
                break
        expect(page.locator(".thumb-error")).to_contain_text(
            f"File {member} cannot be displayed, so it cannot be graded")
        page.keyboard.press("4")
        expect(page.locator(".flash")).to_contain_text(f"file {member} cannot be displayed")
        with session_scope(url) as s:
            assert s.scalar(select(Grade.id)) is None
        assert errors == []
