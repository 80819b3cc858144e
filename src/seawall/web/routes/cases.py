"""Case list, case detail and the file list of a case."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seawall.accounts import assignments
from seawall.grading import schemes
from seawall.grading.service import FINAL_METHOD_LABELS, file_grading, has_reveal, is_supervisor
from seawall.matching.counts import case_counts
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.grading_models import FinalGrade
from seawall.store.models import Case, Exhibit, FileRecord
from seawall.web import deps
from seawall.web.templating import render

router = APIRouter()
log = logging.getLogger(__name__)

PAGE_SIZE = 100
MEDIA_CLASSES = ("image", "video", "archive", "other")


@router.get("/cases")
def case_list(request: Request, user: User = Depends(deps.current_user),
              db: Session = Depends(deps.get_db)):
    cases = db.scalars(assignments.accessible_cases_query(user)).all()
    counts = dict(db.execute(
        select(Exhibit.case_id, func.count(FileRecord.id))
        .join(FileRecord, FileRecord.exhibit_id == Exhibit.id)
        .where(Exhibit.case_id.in_([c.id for c in cases]))
        .group_by(Exhibit.case_id)).all()) if cases else {}
    return render(request, "cases.html", {"cases": cases, "file_counts": counts})


def _matching_counts(db: Session, case: Case) -> dict | None:
    """Counts from the matching stage, or None if they cannot be computed."""
    try:
        return case_counts(db, case.reference)
    except Exception:  # noqa: BLE001 - the page must still show the case
        log.exception("case_counts failed for %s", case.reference)
        return None


@router.get("/cases/{case_ref}")
def case_detail(request: Request, access: deps.CaseAccess = Depends(deps.case_access)):
    db, case = access.db, access.case
    media = FileRecord.media_class
    rows = db.execute(
        select(Exhibit,
               func.count(FileRecord.id),
               func.sum(sql_case((media == "image", 1), else_=0)),
               func.sum(sql_case((media == "video", 1), else_=0)),
               func.sum(sql_case((FileRecord.error.is_not(None), 1), else_=0)))
        .outerjoin(FileRecord, FileRecord.exhibit_id == Exhibit.id)
        .where(Exhibit.case_id == case.id)
        .group_by(Exhibit.id).order_by(Exhibit.reference)).all()
    exhibits = [{"exhibit": e, "files": n or 0, "images": i or 0, "videos": v or 0,
                 "errors": err or 0} for e, n, i, v, err in rows]
    graded = db.scalar(select(func.count(FinalGrade.id)).where(FinalGrade.case_id == case.id))
    audit.record(db, access.user.username, "case.view", case=case.reference)
    db.commit()
    return render(request, "case.html", {
        "case": case, "exhibits": exhibits, "graded": graded,
        "matching": _matching_counts(db, case), "may_see_media": access.may_see_media})


@router.get("/cases/{case_ref}/files")
def file_list(request: Request, access: deps.CaseAccess = Depends(deps.case_access),
              exhibit: str | None = None, media_class: str | None = None,
              q: str | None = None, errors: bool = False, mismatch: bool = False,
              page: deps.PageNumber = 1):
    db, case = access.db, access.case
    query = (select(FileRecord, Exhibit.reference)
             .join(Exhibit, FileRecord.exhibit_id == Exhibit.id)
             .where(Exhibit.case_id == case.id))
    if exhibit:
        query = query.where(Exhibit.reference == exhibit)
    if media_class in MEDIA_CLASSES:
        query = query.where(FileRecord.media_class == media_class)
    if q:
        query = query.where(FileRecord.path.contains(q[:500], autoescape=True))
    if errors:
        query = query.where(FileRecord.error.is_not(None))
    if mismatch:
        query = query.where(FileRecord.extension_mismatch.is_(True))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(FileRecord.id)
                      .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    filters = {"exhibit": exhibit or "", "media_class": media_class or "", "q": q or "",
               "errors": errors, "mismatch": mismatch}
    audit.record(db, access.user.username, "files.view", case=case.reference,
                 details={k: v for k, v in filters.items() if v} | {"page": page})
    db.commit()
    exhibits = db.scalars(select(Exhibit.reference).where(Exhibit.case_id == case.id)
                          .order_by(Exhibit.reference)).all()
    return render(request, "files.html", {
        "case": case, "rows": rows, "total": total, "page": page, "page_size": PAGE_SIZE,
        "filters": filters, "exhibits": exhibits, "media_classes": MEDIA_CLASSES,
        "pages": max(1, -(-total // PAGE_SIZE))})


@router.get("/cases/{case_ref}/files/{file_id}")
def file_detail(request: Request, record: FileRecord = Depends(deps.case_file),
                access: deps.CaseAccess = Depends(deps.case_access)):
    db = access.db
    grading = file_grading(db, record, access.verdicts)
    audit.record(db, access.user.username, "file.view", case=access.case.reference,
                 target=str(record.id))
    db.commit()
    may_see_media = access.may_see_media and record.media_class in ("image", "video")
    return render(request, "file.html", {
        "case": access.case, "f": record, "grading": grading, "final": grading.final,
        "may_see_media": may_see_media,
        "may_override": grading.overridable and is_supervisor(access.user),
        "categories": schemes.categories(access.case.scheme),
        "final_methods": FINAL_METHOD_LABELS,
        "revealed": may_see_media and has_reveal(db, access.user, record.id)})
