"""Grading pages: the keyboard-first queue, undo, the supervisor's disagreement queue and
the supervisor's override of a hash-set category or final grade."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request

from seawall.grading import schemes, service
from seawall.grading.settings import GradingSettings
from seawall.store.models import FileRecord
from seawall.web import deps
from seawall.web.templating import case_path, redirect_with_flash, render

router = APIRouter()

MEMBERS_SHOWN = 24  # stacks of a cluster shown as thumbnails; all members are listed


@router.get("/cases/{case_ref}/grade")
def grade_queue(request: Request, i: int = 0,
                access: deps.CaseAccess = Depends(deps.media_access),
                settings: GradingSettings = Depends(deps.get_grading_settings)):
    db, case, user = access.db, access.case, access.user
    ctx = {"case": case, "categories": schemes.categories(case.scheme), "item": None,
           "index": 0, "total": 0, "paused": service.paused_reason(db, user),
           "break_due": service.break_due(db, user, settings),
           "members_shown": MEMBERS_SHOWN,
           "revealed": set()}
    if ctx["paused"] is None:
        queue = service.build_queue(db, case, user, settings, access.verdicts)
        if queue:
            index = min(max(0, i), len(queue) - 1)
            item = queue[index]
            ctx.update(item=item, index=index, total=len(queue),
                       revealed={stack[0].id for stack in item.stacks[:MEMBERS_SHOWN]
                                 if service.has_reveal(db, user, stack[0].id)})
    return render(request, "grade.html", ctx)


def _parse_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise HTTPException(422, "Invalid file list.") from None


@router.post("/cases/{case_ref}/grade")
def grade_submit(request: Request, files: str = Form(...), category: str = Form(...),
                 index: int = Form(0),
                 access: deps.CaseAccess = Depends(deps.media_access),
                 settings: GradingSettings = Depends(deps.get_grading_settings)):
    try:
        result = service.submit_grade(access.db, settings, access.case, access.user,
                                      _parse_ids(files), category,
                                      reader=request.app.state.media_reader,
                                      verdicts=access.verdicts)
    except service.GradingError as exc:
        access.db.rollback()
        return redirect_with_flash(request, case_path(access.case, "grade") + f"?i={index}",
                                   str(exc))
    access.db.commit()
    message = grade_feedback(result["states"], schemes.label(access.case.scheme, category))
    return redirect_with_flash(request, case_path(access.case, "grade") + f"?i={index}", message)


NEXT_STEP = {
    "final": "final",
    "pending": "needs a second, independent grader before it is final",
    "disputed": "the graders disagree, so it is sent to a supervisor",
}


def grade_feedback(states: dict[int, str], label: str) -> str:
    """What a grading decision did and what happens next, per state of its files."""
    n = len(states)
    counts = {state: sum(1 for s in states.values() if s == state) for state in NEXT_STEP}
    found = [(state, k) for state, k in counts.items() if k]
    if len(found) == 1:
        outcome = NEXT_STEP[found[0][0]]
    else:
        outcome = "; ".join(f"{k} {NEXT_STEP[state]}" for state, k in found)
    return f"Graded {n} file{'s' if n != 1 else ''} as {label}: {outcome}."


@router.post("/cases/{case_ref}/grade/undo")
def grade_undo(request: Request, access: deps.CaseAccess = Depends(deps.media_access)):
    try:
        undone = service.undo_last(access.db, access.case, access.user)
    except service.GradingError as exc:
        access.db.rollback()
        message = str(exc)
    else:
        access.db.commit()
        message = (f"Undid your last grade ("
                   f"{schemes.label(access.case.scheme, undone['category'])}, "
                   f"{len(undone['files'])} files)." if undone else "Nothing to undo.")
    return redirect_with_flash(request, case_path(access.case, "grade"), message)


def _supervisor(access: deps.CaseAccess = Depends(deps.media_access)) -> deps.CaseAccess:
    if not service.is_supervisor(access.user):
        raise HTTPException(403, "Only supervisors resolve disagreements and override grades.")
    return access


@router.get("/cases/{case_ref}/review")
def review_queue(request: Request, access: deps.CaseAccess = Depends(_supervisor)):
    items = service.disputed(access.db, access.case)
    return render(request, "review.html", {
        "case": access.case, "items": items,
        "categories": schemes.categories(access.case.scheme)})


@router.post("/cases/{case_ref}/review/{file_id}")
def review_resolve(request: Request, category: str = Form(...),
                   record: FileRecord = Depends(deps.case_file),
                   access: deps.CaseAccess = Depends(_supervisor)):
    try:
        service.resolve(access.db, access.case, access.user, record.id, category)
    except service.GradingError as exc:
        access.db.rollback()
        message = str(exc)
    else:
        access.db.commit()
        message = (f"File {record.id} resolved as "
                   f"{schemes.label(access.case.scheme, category)}: final.")
    return redirect_with_flash(request, case_path(access.case, "review"), message)


@router.post("/cases/{case_ref}/files/{file_id}/override")
def override_grade(request: Request, category: str = Form(...), reason: str = Form(""),
                   record: FileRecord = Depends(deps.case_file),
                   access: deps.CaseAccess = Depends(_supervisor)):
    try:
        service.override(access.db, access.case, access.user, record, category, reason,
                         reader=request.app.state.media_reader, verdicts=access.verdicts)
    except service.GradingError as exc:
        access.db.rollback()
        message = f"Not overridden: {exc}"
    else:
        access.db.commit()
        message = (f"File {record.id} overridden: now "
                   f"{schemes.label(access.case.scheme, category)} (override recorded with "
                   "your reason).")
    return redirect_with_flash(request, case_path(access.case, "files", record.id), message)
