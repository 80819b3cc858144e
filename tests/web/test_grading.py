"""The grading workflow: queue of unknown media, stacks and clusters, dual grading,
supervisor resolution, undo, reveals and welfare limits."""

from __future__ import annotations

from sqlalchemy import select

from seawall.grading import service
from seawall.grading.settings import GradingSettings
from seawall.matching.service import file_results
from seawall.store.accounts_models import User
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.grading_models import FinalGrade
from seawall.store.models import Case
from seawall.store.queries import final_grades

from .conftest import CASE1


def queue(db_url, verdicts, username):
    with session_scope(db_url) as s:
        case = s.scalar(select(Case).where(Case.reference == CASE1))
        user = s.scalar(select(User).where(User.username == username))
        return [(item.near_miss, [sorted(f.id for f in st) for st in item.stacks])
                for item in service.build_queue(s, case, user, GradingSettings(), verdicts)]


def finals(db_url):
    with session_scope(db_url) as s:
        return {f.file_id: (f.category, f.method) for f in s.scalars(select(FinalGrade))}


def last_audit(db_url, action):
    with session_scope(db_url) as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                         .order_by(AuditEntry.seq.desc())).first()


def grade(user, ids, names, category, expect=303):
    files = ",".join(str(ids[n]) for n in names)
    response = user.post(f"/cases/{CASE1}/grade", {"files": files, "category": category})
    assert response.status_code == expect
    return response


def test_queue_holds_only_unknown_media_clustered_and_prioritised(db_url, ids, fake_matching):
    items = queue(db_url, fake_matching, "alice")
    # The near-miss of known category A material comes first; known, known-benign and
    # non-media files are absent; exact duplicates stack; PDQ neighbours share one item.
    assert items == [
        ("A", [[ids["far"]]]),
        (None, [sorted([ids["dup1"], ids["dup2"]]), [ids["near"]]]),
    ]


def test_grade_page_is_keyboard_first_and_blurred(as_user, ids):
    page = as_user("alice").get(f"/cases/{CASE1}/grade").text
    assert "Item 1 of 2" in page and "near-miss" in page
    assert 'data-key="1"' in page and "Category A" in page and 'data-key="4"' in page
    assert "blurred" in page and "clear=true" not in page
    assert "/static/seawall.js" in page


def test_cluster_graded_in_one_decision(as_user, ids, db_url, fake_matching):
    alice = as_user("alice")
    grade(alice, ids, ["dup1", "dup2", "near"], "B")
    assert finals(db_url) == {ids[n]: ("B", "single_grader") for n in ("dup1", "dup2", "near")}
    entry = last_audit(db_url, "grade")
    assert entry.actor == "alice" and entry.details["category"] == "B"
    assert sorted(entry.details["files"]) == sorted(ids[n] for n in ("dup1", "dup2", "near"))
    assert queue(db_url, fake_matching, "carol") == [("A", [[ids["far"]]])]


def test_category_a_needs_two_agreeing_graders(as_user, ids, db_url, fake_matching):
    grade(as_user("alice"), ids, ["far"], "A")
    assert ids["far"] not in finals(db_url)
    assert [i for i in queue(db_url, fake_matching, "alice") if i[0] == "A"] == []
    # An independent second grader:
    assert queue(db_url, fake_matching, "carol")[0] == ("A", [[ids["far"]]])
    grade(as_user("carol"), ids, ["far"], "A")
    assert finals(db_url)[ids["far"]] == ("A", "consensus")


def test_disagreement_goes_to_supervisor(as_user, ids, db_url, fake_matching):
    grade(as_user("alice"), ids, ["far"], "A")
    grade(as_user("carol"), ids, ["far"], "C")
    assert ids["far"] not in finals(db_url)
    for name in ("alice", "carol", "sam"):
        assert all(i[0] != "A" for i in queue(db_url, fake_matching, name))
    sam = as_user("sam")
    page = sam.get(f"/cases/{CASE1}/review").text
    assert f"File {ids['far']}" in page and "alice" in page and "carol" in page
    assert as_user("alice").get(f"/cases/{CASE1}/review").status_code == 403
    response = sam.post(f"/cases/{CASE1}/review/{ids['far']}", {"category": "B"})
    assert response.status_code == 303
    assert finals(db_url)[ids["far"]] == ("B", "supervisor")
    assert last_audit(db_url, "grade.resolve").details == {"category": "B"}


def test_undo_withdraws_last_decision(as_user, ids, db_url, fake_matching):
    alice = as_user("alice")
    grade(alice, ids, ["dup1", "dup2", "near"], "C")
    assert len(finals(db_url)) == 3
    assert alice.post(f"/cases/{CASE1}/grade/undo").status_code == 303
    assert finals(db_url) == {}
    assert len(queue(db_url, fake_matching, "alice")) == 2
    assert last_audit(db_url, "grade.undo").details["category"] == "C"
    page = alice.get(f"/cases/{CASE1}/grade").text
    assert "Undid your last grade" in page
    alice.post(f"/cases/{CASE1}/grade/undo")
    assert "Nothing to undo" in alice.get(f"/cases/{CASE1}/grade").text


def test_invalid_grades_refused(as_user, ids, db_url):
    alice = as_user("alice")
    grade(alice, ids, ["dup1"], "Z")
    assert "unknown category" in alice.get(f"/cases/{CASE1}/grade").text
    grade(alice, ids, ["other_case"], "B")
    assert "not media of this case" in alice.get(f"/cases/{CASE1}/grade").text
    grade(alice, ids, ["doc"], "B")
    grade(alice, ids, ["dup1"], "B")
    grade(alice, ids, ["dup1"], "B")
    assert "already" in alice.get(f"/cases/{CASE1}/grade").text
    assert list(finals(db_url)) == [ids["dup1"]]


def test_daily_reveal_limit_pauses_grading(as_user, ids, db_url):
    admin, alice = as_user("admin"), as_user("alice")
    admin.post("/admin/users/alice", {"role": "grader", "active": "true",
                                      "daily_reveal_limit": "1"})
    url = f"/cases/{CASE1}/files/{ids['dup1']}/reveal"
    assert alice.post(url).status_code == 303
    assert alice.post(url).status_code == 423
    page = alice.get(f"/cases/{CASE1}/grade").text
    assert "limit" in page and 'data-key="1"' not in page
    grade(alice, ids, ["dup1"], "B")
    assert finals(db_url) == {}
    welfare = alice.get("/welfare").text
    assert "Revealed today" in welfare and "1 of 1" in welfare


def test_exposure_counters_and_team_view(as_user, ids):
    alice = as_user("alice")
    alice.post(f"/cases/{CASE1}/files/{ids['near']}/reveal")
    grade(alice, ids, ["dup1", "dup2", "near"], "B")
    page = alice.get("/welfare").text
    assert "Graded today</dt><dd>3" in page
    team = as_user("sam").get("/welfare/team").text
    assert "alice" in team
    assert as_user("carol").get("/welfare/team").status_code == 403


def test_final_grades_api(as_user, ids, db_url):
    grade(as_user("alice"), ids, ["dup1", "dup2", "near"], "B")
    with session_scope(db_url) as s:
        assert final_grades(s, CASE1) == {ids[n]: "B" for n in ("dup1", "dup2", "near")}


def test_with_real_matching_service(as_user, ids, db_url):
    """Against seawall.matching itself: with no hash sets loaded every media file is unknown,
    and final local grades flow back into file_results (the store's final grades)."""
    items = queue(db_url, file_results, "alice")
    queued = sorted(f for _near, stacks in items for st in stacks for f in st)
    media = sorted(ids[n] for n in ("dup1", "dup2", "near", "far", "known", "benign"))
    assert queued == media
    grade(as_user("alice"), ids, ["dup1", "dup2", "near"], "C")
    with session_scope(db_url) as s:
        results = file_results(s, [ids["dup1"], ids["far"]])
    assert results[ids["dup1"]].category == "C"
    assert results[ids["far"]].category is None


def test_damaged_video_with_hashed_frames_is_queued_unreadable_media_is_not(
        db_url, ids, fake_matching):
    from seawall.hashing.content import DAMAGED_VIDEO
    from seawall.store.models import Exhibit, FileRecord

    added = {}
    with session_scope(db_url) as s:
        exhibit = s.scalar(select(Exhibit).where(Exhibit.reference == "EX1"))
        for name, media, error in [
            ("damaged", "video", f"{DAMAGED_VIDEO}: Meta's vpdq could not hash it; 3 sampled "
                                 "frames hashed from the 90 frames that decode"),
            ("corrupt_video", "video", "corrupt video: the container cannot be read"),
            ("corrupt_image", "image", "corrupt image: OSError: truncated"),
        ]:
            record = FileRecord(exhibit=exhibit, file_key=name, path=f"/v/{name}",
                                media_class=media, sha256=name.ljust(64, "0"), size=10,
                                media_type="video/mp4", error=error)
            s.add(record)
            s.flush()
            added[name] = record.id
    queued = {fid for _, stacks in queue(db_url, fake_matching, "alice")
              for stack in stacks for fid in stack}
    assert added["damaged"] in queued
    assert added["corrupt_video"] not in queued and added["corrupt_image"] not in queued
