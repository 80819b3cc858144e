"""CSV import: row-level errors, all-or-nothing by default, re-import updates."""

from __future__ import annotations

from datetime import date

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


def _item(db_url, case, exhibit):
    with session_scope(db_url) as s:
        item = s.scalar(select(BacklogItem).where(BacklogItem.case_reference == case,
                                                  BacklogItem.exhibit_reference == exhibit))
        s.expunge(item)
        return item


def test_one_case_takes_its_most_urgent_band_and_flags_the_conflict(db_url, bcfg):
    from seawall.operations import backlog, policy

    text = (HEADER.rstrip("\n") + ",Safeguarding\n"
            + "OP-9,EX1,phone,2026-02-02,,Low,,,,no\n"
            + "OP-9,EX2,phone,2026-02-02,,Very High,,,,yes\n")
    result = _import(db_url, bcfg, text)
    assert result.imported
    assert [(w.line, w.column) for w in result.warnings] == [(2, "risk_band")]
    assert "very high on line 3" in result.warnings[0].message
    with session_scope(db_url) as s:
        entries = backlog.load_entries(s, bcfg)
    mine = [e for e in entries if e.case_reference == "OP-9"]
    assert {e.band for e in mine} == {"very_high"} and all(e.band_conflict for e in mine)
    ranked = policy.order(entries, AS_OF, bcfg)
    assert ranked.index(next(e for e in mine if e.exhibit_reference == "EX1")) < 20


def test_unrecognised_columns_are_reported(db_url, bcfg):
    text = ("Case Reference,Exhibit,Type,Received,Risk Level,Child at immediate risk\n"
            "OP-1,EX1,phone,2026-02-02,Very High,yes\n")
    result = _import(db_url, bcfg, text)
    assert result.imported
    assert [(w.line, w.column) for w in result.warnings] == [
        (1, "Risk Level"), (1, "Child at immediate risk")]
    assert "not recognised" in result.warnings[0].message


def test_blank_cells_change_nothing_and_status_never_moves_back_silently(db_url, bcfg):
    full = ("Case Reference,Exhibit,Type,Received,Status,Risk Band,Estimate,Started,"
            "Reported,Actual Hours,Notes\n"
            "OP-1,EX1,phone,2026-01-05,reported,high,8,2026-01-10,2026-01-20,12,kept\n")
    assert _import(db_url, bcfg, full).imported
    # Re-import from a sparser export: blank cells keep what is stored.
    sparse = HEADER + "op-1,ex1,,,,,9,,\n"
    again = _import(db_url, bcfg, sparse)
    assert again.imported and (again.created, again.updated) == (0, 1), again.errors
    item = _item(db_url, "OP-1", "EX1")
    assert (item.status, item.risk_band, item.estimated_hours, item.actual_hours,
            item.reported_on, item.notes) == ("reported", "high", 9.0, 12.0,
                                              date(2026, 1, 20), "kept")
    back = _import(db_url, bcfg, HEADER + "OP-1,EX1,phone,2026-01-05,received,high,,,\n")
    assert not back.imported
    assert [(e.line, e.column) for e in back.errors] == [(2, "status")]
    assert "back from reported to received" in back.errors[0].message
    assert _item(db_url, "OP-1", "EX1").status == "reported"


def test_semicolons_implausible_dates_short_rows_and_case_insensitive_ids(db_url, bcfg):
    text = ("Case Reference;Exhibit;Type;Received;Status;Risk Band;Estimate\n"
            "OP-1;EX1;phone;2026-01-05;;high;8,5\n"        # 2: fine, decimal comma
            "OP-2;EX1;phone;1970-01-01;;low;\n"            # 3: implausible date
            "OP-3;EX1;phone\n"                             # 4: short row
            "op-1;ex1;phone;2026-01-06;;low;\n")           # 5: duplicate of line 2
    result = _import(db_url, bcfg, text)
    assert {(e.line, e.column) for e in result.errors} == {
        (3, "received"), (4, None), (5, "exhibit_reference")}
    assert any("line 3, column received: 1970-01-01 is implausibly old" in str(e)
               for e in result.errors)
    assert not result.imported
    ok = _import(db_url, bcfg, text, skip_invalid=True)
    assert ok.imported and ok.created == 1
    assert _item(db_url, "OP-1", "EX1").estimated_hours == 8.5


def test_line_numbers_are_spreadsheet_rows(db_url, bcfg):
    text = HEADER + ('OP-1,EX1,phone,2026-01-05,,high,,,\n'
                     'OP-1,EX2,phone,2026-01-05,,high,,,\n')
    text = text.replace("OP-1,EX1,phone", '"OP-1","EX1","phone"').replace(
        'OP-1,EX2', '"OP-1\nsecond line",EX2')
    text += "OP-1,EX3,toaster,2026-01-05,,high,,,\n"
    result = _import(db_url, bcfg, text)
    # The quoted cell with a line break is still one spreadsheet row (row 3).
    assert [(e.line, e.column) for e in result.errors] == [(4, "exhibit_type")]
