"""Grading rules enforced on the server (issue 12, defect 1): a grader grades only their own
queue, lowering a hinted file needs a second grader, a single grader's decision is not called
"consensus", and changing a trusted hash match is a supervisor's override with a reason."""

from __future__ import annotations

from sqlalchemy import select

from seawall.store.db import session_scope
from seawall.store.grading_models import Grade

from .conftest import CASE1
from .test_grading import finals, grade, last_audit


def grades(db_url):
    with session_scope(db_url) as s:
        return [(g.file_id, g.category) for g in s.scalars(select(Grade))]


def test_grader_cannot_grade_a_trusted_hash_match(as_user, ids, db_url):
    """The issue's request: files outside the grader's queue (here a trusted category A
    match) posted with a hand-made form are refused, and nothing is recorded."""
    alice = as_user("alice")
    grade(alice, ids, ["known", "dup1"], "not_indecent")
    page = alice.get(f"/cases/{CASE1}/grade").text
    assert "Not graded" in page and f"file {ids['known']}" in page
    assert "a trusted hash set already puts it in Category A" in page
    assert grades(db_url) == [] and finals(db_url) == {}
    assert last_audit(db_url, "grade") is None


def test_grader_cannot_grade_known_benign_or_final_files(as_user, ids, db_url):
    alice, carol = as_user("alice"), as_user("carol")
    grade(alice, ids, ["benign"], "A")
    grade(alice, ids, ["dup1"], "B")
    assert finals(db_url) == {ids["dup1"]: ("B", "single_grader")}
    grade(carol, ids, ["dup1"], "not_indecent")  # a final grade is not re-graded
    assert "already has a final grade" in carol.get(f"/cases/{CASE1}/grade").text
    assert finals(db_url) == {ids["dup1"]: ("B", "single_grader")}
    assert ids["benign"] not in {fid for fid, _ in grades(db_url)}


def test_lowering_a_hinted_category_needs_a_second_grader(as_user, ids, db_url):
    """'far' carries an indicative category A match: one grader's C must not make it final."""
    alice = as_user("alice")
    grade(alice, ids, ["far"], "C")
    assert ids["far"] not in finals(db_url)
    assert "needs a second, independent grader" in alice.get(f"/cases/{CASE1}/grade").text
    grade(as_user("carol"), ids, ["far"], "C")
    assert finals(db_url)[ids["far"]] == ("C", "consensus")


def test_single_grader_is_not_called_consensus(as_user, ids, db_url):
    alice = as_user("alice")
    grade(alice, ids, ["dup1", "dup2", "near"], "not_indecent")
    assert set(finals(db_url).values()) == {("not_indecent", "single_grader")}
    page = alice.get(f"/cases/{CASE1}/grade").text
    # The label, not the internal code, and what happened next.
    assert "Graded 3 files as Not indecent / non-pertinent: final." in page
    file_page = alice.get(f"/cases/{CASE1}/files/{ids['dup1']}").text
    assert "one grader" in file_page and "consensus" not in file_page


def test_override_is_supervisor_only_with_a_reason(as_user, ids, db_url):
    url = f"/cases/{CASE1}/files/{ids['known']}/override"
    alice = as_user("alice")
    assert alice.post(url, {"category": "C", "reason": "looks wrong"}).status_code == 403
    assert "Override" not in alice.get(f"/cases/{CASE1}/files/{ids['known']}").text
    sam = as_user("sam")
    assert sam.client.post(url, data={"category": "C", "reason": "x"}).status_code == 403  # CSRF
    assert sam.post(url, {"category": "C", "reason": "   "}).status_code == 303
    assert "needs a reason" in sam.get(f"/cases/{CASE1}/files/{ids['known']}").text
    assert finals(db_url) == {}

    page = sam.get(f"/cases/{CASE1}/files/{ids['known']}").text
    assert 'id="override"' in page and 'name="reason"' in page
    assert sam.post(url, {"category": "C", "reason": "Set entry mislabelled; checked "
                                                   "against the original"}).status_code == 303
    assert finals(db_url) == {ids["known"]: ("C", "override")}
    entry = last_audit(db_url, "grade.override")
    assert entry.actor == "sam" and entry.target == str(ids["known"])
    assert entry.details["category"] == "C"
    assert entry.details["reason"].startswith("Set entry mislabelled")
    assert entry.details["replaced"]["category"] == "A"
    page = sam.get(f"/cases/{CASE1}/files/{ids['known']}").text
    assert "supervisor override" in page and "Set entry mislabelled" in page


def test_override_needs_something_to_override(as_user, ids, db_url):
    sam = as_user("sam")
    sam.post(f"/cases/{CASE1}/files/{ids['dup1']}/override", {"category": "C", "reason": "r"})
    assert "Nothing to override" in sam.get(f"/cases/{CASE1}/files/{ids['dup1']}").text
    assert finals(db_url) == {}
    # A final grade can be overridden, and undo no longer withdraws it.
    alice = as_user("alice")
    grade(alice, ids, ["dup1"], "C")
    sam.post(f"/cases/{CASE1}/files/{ids['dup1']}/override",
             {"category": "B", "reason": "second look"})
    assert finals(db_url)[ids["dup1"]] == ("B", "override")
    assert last_audit(db_url, "grade.override").details["replaced"]["final"]["method"] == \
        "single_grader"
    alice.post(f"/cases/{CASE1}/grade/undo")
    assert "a supervisor has already decided" in alice.get(f"/cases/{CASE1}/grade").text
    assert finals(db_url)[ids["dup1"]] == ("B", "override")


def test_file_page_lists_matches_and_grades(as_user, ids):
    alice = as_user("alice")
    grade(alice, ids, ["far"], "A")
    page = alice.get(f"/cases/{CASE1}/files/{ids['far']}").text
    assert 'id="matches"' in page and "tip" in page and "indicative only" in page
    assert 'id="grades"' in page and "alice" in page and "Category A" in page


def test_category_labels_not_internal_codes(as_user, ids):
    alice = as_user("alice")
    grade(alice, ids, ["dup1", "dup2", "near"], "not_indecent")
    label = "Not indecent / non-pertinent"
    pages = [alice.get(f"/cases/{CASE1}").text, alice.get("/welfare").text,
             as_user("sam").get("/welfare/team").text,
             alice.get(f"/cases/{CASE1}/files/{ids['dup1']}").text]
    alice.post(f"/cases/{CASE1}/grade/undo")
    pages.append(alice.get(f"/cases/{CASE1}/grade").text)
    for page in pages:
        assert label in page and ">not_indecent<" not in page and "(not_indecent" not in page
    assert "Known benign" in pages[0] and ">known_benign<" not in pages[0]
