"""CSV import: row-level errors, all-or-nothing by default, re-import updates."""

from __future__ import annotations

from sqlalchemy import select

from seawall.operations.csv_import import import_backlog, import_credentials, import_staff
from seawall.store.db import session_scope
from seawall.store.operations_models import BacklogItem, Credential, Staff

from .conftest import AS_OF

HEADER = "Case Reference,Exhibit,Type,Received,Status,Risk Band,Estimate,Started,Reported\n"


def _import(db_url, bcfg, text, **kw):
    with session_scope(db_url) as s:
        return import_backlog(s, text, bcfg, "tester", today=AS_OF, **kw)


def _count(db_url, source="csv"):
    with session_scope(db_url) as s:
        return len(s.scalars(select(BacklogItem).where(BacklogItem.source == source)).all())


def test_errors_name_line_and_column(db_url, bcfg):
    text = HEADER + (
        "OP-1,EX1,mobile,2026-01-05,triaged,Very High,8,,\n"      # line 2: fine
        "OP-1,EX2,toaster,2026-01-05,,high,,,\n"                   # 3: bad type
        "OP-2,EX1,laptop,31/02/2026,,high,,,\n"                    # 4: bad date
        "OP-3,EX1,usb,2026-01-05,,extreme,-2,,\n"                  # 5: bad band, hours
        "OP-1,EX1,cloud,2026-01-06,,low,,,\n"                      # 6: duplicate of line 2
        "OP-4,EX1,phone,2026-01-05,reported,low,,2026-01-10,\n"    # 7: reported w/o date
        "OP-5,EX1,phone,2026-04-01,,low,,,\n"                      # 8: future receipt
        ",EX1,phone,2026-01-05,,low,,,\n")                         # 9: no case
    result = _import(db_url, bcfg, text)
    where = {(e.line, e.column) for e in result.errors}
    assert where == {(3, "exhibit_type"), (4, "received"), (5, "risk_band"),
                     (5, "estimated_hours"), (6, "exhibit_reference"), (7, "reported"),
                     (8, "received"), (9, "case_reference")}
    messages = [str(e) for e in result.errors]
    assert "line 3, column exhibit_type: 'toaster' is not one of:" in messages[0]
    assert any("already appears on line 2" in m for m in messages)
    assert not result.imported and result.skipped == result.rows == 8
    assert _count(db_url) == 0  # nothing written


def test_skip_invalid_imports_good_rows_and_reimport_updates(db_url, bcfg):
    text = HEADER + ("OP-1,EX1,mobile,05/01/2026,triaged,Very High,8,,\n"
                     "OP-1,EX2,toaster,2026-01-05,,high,,,\n")
    result = _import(db_url, bcfg, text, skip_invalid=True)
    assert result.imported and (result.created, result.skipped) == (1, 1)
    again = _import(db_url, bcfg, HEADER + "OP-1,EX1,phone,2026-01-05,in exam,high,9,"
                                           "2026-01-20,\n")
    assert again.imported and (again.created, again.updated) == (0, 1)
    with session_scope(db_url) as s:
        item = s.scalar(select(BacklogItem).where(BacklogItem.case_reference == "OP-1"))
        assert (item.exhibit_type, item.status, item.risk_band, item.estimated_hours) == (
            "phone", "in_examination", "high", 9.0)


def test_file_level_errors(db_url, bcfg):
    result = _import(db_url, bcfg, "case,exhibit\nOP-1,EX1\n", skip_invalid=True)
    assert [str(e) for e in result.errors] == [
        "line 1: missing column(s): exhibit_type, received"]
    assert not result.imported
    assert not _import(db_url, bcfg, "").imported


def test_staff_and_credentials(db_url, cfgs):
    _bcfg, wcfg = cfgs
    staff = ("staff_number,name,team,role,hours_per_week,dedicated\n"
             "X1,Ann Example,POLIT East,polit_dc,37,\n"
             "X2,Bob Example,POLIT East,astronaut,37,\n"
             "X3,Cy Example,DFU East,df_examiner,90,maybe\n")
    with session_scope(db_url) as s:
        result = import_staff(s, staff, wcfg, "tester")
    assert {(e.line, e.column) for e in result.errors} == {
        (3, "role"), (4, "hours_per_week"), (4, "dedicated")}
    with session_scope(db_url) as s:
        result = import_staff(s, staff, wcfg, "tester", skip_invalid=True)
    assert result.created == 1
    creds = ("staff_number,credential,level,achieved,expires\n"
             "X1,pip,2,2020-01-01,\n"
             "X1,iioc_grader,,2025-01-01,\n"
             "X1,df_examiner,7,2025-01-01,\n"
             "X1,scaidp,1,2025-01-01,\n"
             "NOBODY,scaidp,,2025-01-01,\n"
             "X1,abe_interview,,2025-01-01,2024-01-01\n")
    with session_scope(db_url) as s:
        result = import_credentials(s, creds, wcfg, "tester", skip_invalid=True)
    assert {(e.line, e.column) for e in result.errors} == {
        (4, "level"), (5, "level"), (6, "staff_number"), (7, "expires")}
    with session_scope(db_url) as s:
        held = {c.code: c for c in s.scalars(select(Credential).join(Staff).where(
            Staff.staff_number == "X1")).all()}
    assert set(held) == {"pip", "iioc_grader"}
    # A blank expiry is filled from the credential's configured validity (3 years).
    assert held["iioc_grader"].expires_on.year == 2028
