"""Pages: case list, case detail, file list, thumbnails and reveals, admin and audit pages."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from seawall.store.accounts_models import User
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope

from .conftest import CASE1, CASE2, PASSWORD


def audit_actions(db_url, action):
    with session_scope(db_url) as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                         .order_by(AuditEntry.seq)).all()


def test_case_list_shows_only_assigned_cases(as_user):
    alice, bob, admin = as_user("alice"), as_user("bob"), as_user("admin")
    assert CASE1 in alice.get("/cases").text and CASE2 not in alice.get("/cases").text
    assert CASE2 in bob.get("/cases").text and CASE1 not in bob.get("/cases").text
    page = admin.get("/cases").text
    assert CASE1 in page and CASE2 in page


def test_home_redirects_to_cases(as_user):
    assert as_user("alice").get("/").headers["location"] == "/cases"


def test_case_detail_counts_and_audit(as_user, db_url):
    alice = as_user("alice")
    page = alice.get(f"/cases/{CASE1}")
    assert page.status_code == 200
    assert "EX1" in page.text and "EX9" not in page.text
    assert ">7<" in page.text and ">6<" in page.text  # files, images
    assert audit_actions(db_url, "case.view")[-1].actor == "alice"


def test_admin_sees_unknown_case_as_404(as_user):
    assert as_user("admin").get("/cases/NOPE").status_code == 404


def test_file_list_filters(as_user, db_url):
    alice = as_user("alice")
    page = alice.get(f"/cases/{CASE1}/files").text
    assert "/photos/a.jpg" in page and "/docs/report.pdf" in page and "secret" not in page
    page = alice.get(f"/cases/{CASE1}/files", params={"media_class": "other"}).text
    assert "/docs/report.pdf" in page and "/photos/a.jpg" not in page
    page = alice.get(f"/cases/{CASE1}/files", params={"q": "copy of"}).text
    assert "copy of a.jpg" in page and "/photos/b.jpg" not in page
    page = alice.get(f"/cases/{CASE1}/files", params={"q": "%"}).text  # LIKE is escaped
    assert "0 files" in page
    assert audit_actions(db_url, "files.view")[-1].details == {"page": 1, "q": "%"}


def test_file_detail(as_user, ids):
    page = as_user("alice").get(f"/cases/{CASE1}/files/{ids['dup1']}")
    assert page.status_code == 200 and "/photos/a.jpg" in page.text
    assert "blurred" in page.text and "Reveal" in page.text


def _pixels(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_thumbnail_blurred_greyscale_and_not_cached(as_user, ids, db_url):
    alice = as_user("alice")
    response = alice.get(f"/cases/{CASE1}/files/{ids['dup1']}/thumb")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    image = _pixels(response.content)
    assert image.mode == "L"  # greyscale
    # Blurred: neighbouring pixels barely differ (the original has hard-edged stripes).
    row = [image.getpixel((x, image.height // 2)) for x in range(image.width)]
    assert max(abs(a - b) for a, b in zip(row, row[1:], strict=False)) < 12
    entry = audit_actions(db_url, "media.view")[-1]
    assert (entry.actor, entry.target, entry.details) == ("alice", str(ids["dup1"]),
                                                          {"clear": False})


def test_clear_thumbnail_needs_audited_reveal(as_user, ids, db_url):
    alice = as_user("alice")
    url = f"/cases/{CASE1}/files/{ids['dup1']}"
    assert alice.get(f"{url}/thumb?clear=true").status_code == 403
    assert alice.post(f"{url}/reveal").status_code == 303
    assert audit_actions(db_url, "media.reveal")[-1].target == str(ids["dup1"])
    response = alice.get(f"{url}/thumb?clear=true")
    assert response.status_code == 200 and _pixels(response.content).mode == "RGB"
    assert audit_actions(db_url, "media.view")[-1].details == {"clear": True}
    # A reveal is personal: another grader still sees the blurred version only.
    assert as_user("carol").get(f"{url}/thumb?clear=true").status_code == 403


def test_investigator_sees_case_but_no_media(as_user, ids):
    ivan = as_user("ivan")
    assert ivan.get(f"/cases/{CASE1}").status_code == 200
    assert ivan.get(f"/cases/{CASE1}/files/{ids['dup1']}/thumb").status_code == 403
    assert ivan.post(f"/cases/{CASE1}/files/{ids['dup1']}/reveal").status_code == 403
    assert ivan.get(f"/cases/{CASE1}/grade").status_code == 403


def test_non_media_file_has_no_thumbnail(as_user, ids):
    assert as_user("alice").get(f"/cases/{CASE1}/files/{ids['doc']}/thumb").status_code == 404


def test_admin_pages_are_admin_only(as_user):
    assert as_user("sam").get("/admin/users").status_code == 403
    assert as_user("alice").get("/audit").status_code == 403
    assert as_user("admin").get("/admin/users").status_code == 200


def test_admin_adds_user_assigns_and_sets_limits(as_user, db_url):
    admin = as_user("admin")
    response = admin.post("/admin/users", {"username": "dave", "role": "grader",
                                           "password": PASSWORD})
    assert response.status_code == 303
    admin.post("/admin/assignments", {"case": CASE2, "username": "dave"})
    admin.post("/admin/users/dave", {"role": "examiner", "active": "true",
                                     "daily_reveal_limit": "5",
                                     "daily_grading_minutes_limit": ""})
    with session_scope(db_url) as s:
        dave = s.scalar(select(User).where(User.username == "dave"))
        assert (dave.role, dave.daily_reveal_limit) == ("examiner", 5)
    dave = as_user("dave")
    assert CASE2 in dave.get("/cases").text
    admin.post("/admin/assignments", {"case": CASE2, "username": "dave", "action": "unassign"})
    assert dave.get(f"/cases/{CASE2}").status_code == 403
    done = [e.action for e in audit_actions(db_url, "admin.user.add")]
    assert done and audit_actions(db_url, "admin.case.unassign")[-1].target == "dave"
    assert audit_actions(db_url, "admin.user.update")[-1].details["role"] == ["grader",
                                                                                "examiner"]


def test_admin_cannot_demote_self(as_user, db_url):
    admin = as_user("admin")
    admin.post("/admin/users/admin", {"role": "grader", "active": "true"})
    with session_scope(db_url) as s:
        assert s.scalar(select(User.role).where(User.username == "admin")) == "admin"


def test_audit_page_filters_and_scopes(as_user, db_url):
    as_user("bob").get(f"/cases/{CASE2}")
    as_user("alice").get(f"/cases/{CASE1}")
    sam = as_user("sam")  # supervisor of case 1 only
    page = sam.get("/audit", params={"action": "case.view"}).text
    assert CASE1 in page and CASE2 not in page
    page = sam.get("/audit", params={"actor": "alice"}).text
    assert "login.success" in page and ">bob<" not in page
    admin = as_user("admin")
    page = admin.get("/audit", params={"verify": "true"}).text
    assert "The audit chain verifies" in page and CASE2 in page
    assert audit_actions(db_url, "audit.view")


def test_audit_page_reports_tampering(as_user, db_url):
    from sqlalchemy import text

    as_user("alice")
    with session_scope(db_url) as s:
        s.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    page = as_user("admin").get("/audit", params={"verify": "true"}).text
    assert "tampered" in page and "seq 2" in page


def test_static_htmx_is_vendored(client):
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200 and "htmx" in response.text[:200]


def test_file_names_show_hidden_and_reordering_characters(as_user, db_url):
    """A right-to-left override makes "gpj.exe" read "exe.jpg": the page shows it escaped."""
    from seawall.store.models import Exhibit, FileRecord

    with session_scope(db_url) as s:
        exhibit = s.scalar(select(Exhibit).where(Exhibit.reference == "EX1"))
        s.add(FileRecord(exhibit=exhibit, file_key="rtl", path="/photos/holiday\u202egpj.exe",
                         media_class="other", size=3, media_type="application/x-dosexec"))
    page = as_user("alice").get(f"/cases/{CASE1}/files", params={"q": "holiday"}).text
    assert "holiday\\u202egpj.exe" in page
    assert "\u202e" not in page


def test_file_names_with_a_backslash_and_with_a_byte_escape_differ(as_user, db_url):
    """``a\\xff.bin`` (a backslash) and a name holding the byte 0xFF, stored as the scanner
    names them, are two different lines on the page."""
    from seawall.evidence._common import display_name
    from seawall.store.models import Exhibit, FileRecord

    with session_scope(db_url) as s:
        exhibit = s.scalar(select(Exhibit).where(Exhibit.reference == "EX1"))
        for key, raw in (("lit", b"/odd/a\\xff.bin"), ("byte", b"/odd/a\xff.bin")):
            path, path_bytes = display_name(raw)
            s.add(FileRecord(exhibit=exhibit, file_key=key, path=path, path_bytes=path_bytes,
                             media_class="other", size=3))
    page = as_user("alice").get(f"/cases/{CASE1}/files", params={"q": "odd"}).text
    assert page.count("/odd/a\\\\xff.bin") == 1 and page.count("/odd/a\\xff.bin") == 1
