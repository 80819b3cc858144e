"""Case triage pages and JSON API: casework details, suspects, risk assessments with
forensic pre-fill, pathway advice and the recorded decision, and the history.

Every ``{case_ref}`` route goes through ``deps.case_access`` (same per-case rule as the rest
of the app); edits need an editing role, pathway decisions a supervisor (or admin).  Every
view and change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.accounts import assignments
from seawall.accounts.roles import Permission, allows
from seawall.casework import instruments, pathways, service
from seawall.errors import ConfigError, NotFound
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.casework_models import (
    CASE_STATUSES,
    OFFENCE_KINDS,
    OFFENCE_STATUSES,
    Suspect,
)
from seawall.store.models import Exhibit
from seawall.web import deps
from seawall.web.templating import case_path, redirect_with_flash, render

router = APIRouter()


def _require(user: User, permission: Permission, what: str) -> None:
    if not allows(user.role, permission):
        raise HTTPException(403, f"Your role does not allow {what}.")


def _suspect(access: deps.CaseAccess, suspect_ref: str) -> Suspect:
    return service.get_suspect(access.db, access.case, suspect_ref)  # NotFound: 404


def _back(access: deps.CaseAccess) -> str:
    return case_path(access.case, "triage")


def _text(form, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def _apply(request: Request, access: deps.CaseAccess, action,
                 done: str | Callable[[Any], str]):
    """Run a form action in the request's transaction and come back to the case page."""
    db = access.db
    try:
        result = action(db)
    except (service.CaseworkError, NotFound, ConfigError) as exc:  # e.g. an unknown suspect
        db.rollback()
        if isinstance(exc, service.DecisionRejected):
            service.record_rejected_decision(db, access.user.username, exc)
            db.commit()
        return redirect_with_flash(request, _back(access), f"Not saved: {exc}")
    db.commit()
    message = done(result) if callable(done) else done
    return redirect_with_flash(request, _back(access), message)


# --- pages ---------------------------------------------------------------------------------

@router.get("/triage")
def triage_list(request: Request, user: User = Depends(deps.current_user),
                db: Session = Depends(deps.get_db)):
    cases = db.scalars(assignments.accessible_cases_query(user)).all()
    rows = service.triage_rows(db, cases)
    audit.record(db, user.username, "casework.triage.view", details={"cases": len(cases)})
    db.commit()
    return render(request, "triage.html", {"rows": rows})


@router.get("/cases/{case_ref}/triage")
def triage_case(request: Request, access: deps.CaseAccess = Depends(deps.case_access)):
    db, case, user = access.db, access.case, access.user
    data = service.case_json(db, case)
    advice = {}
    for suspect in db.scalars(select(Suspect).where(Suspect.case_id == case.id)
                              .order_by(Suspect.reference)):
        advice[suspect.reference] = service.recommendation(db, case, suspect, access.verdicts)
    exhibits = db.scalars(select(Exhibit.reference).where(Exhibit.case_id == case.id)
                          .order_by(Exhibit.reference)).all()
    audit.record(db, user.username, "casework.view", case=case.reference)
    db.commit()
    rules = pathways.load_rules()
    return render(request, "triage_case.html", {
        "case": case, "data": data, "advice": advice, "statuses": CASE_STATUSES,
        "offence_kinds": OFFENCE_KINDS, "offence_statuses": OFFENCE_STATUSES,
        "exhibits": exhibits, "instruments": instruments.load_all().values(),
        "pathways": rules.pathways, "pathway_facts": rules.facts,
        "may_edit": allows(user.role, Permission.EDIT_CASEWORK),
        "may_decide": allows(user.role, Permission.DECIDE)})


@router.post("/cases/{case_ref}/triage")
async def triage_case_update(request: Request,
                             access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    form = await request.form()
    return await _apply(request, access, lambda db: service.update_case(
        db, access.case, actor=access.user.username, status=_text(form, "status") or None,
        summary=_text(form, "summary")), "Case saved.")


@router.post("/cases/{case_ref}/triage/officers")
async def triage_officer(request: Request, access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    form = await request.form()
    username, role = _text(form, "username", 100), _text(form, "role", 60)
    remove = _text(form, "action") == "remove"
    fn = service.remove_officer if remove else service.add_officer
    return await _apply(request, access, lambda db: fn(
        db, access.case, username, role, actor=access.user.username),
        f"Officer {username} {'removed' if remove else 'added'}.")


@router.post("/cases/{case_ref}/triage/suspects")
async def triage_suspect_add(request: Request,
                             access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    form = await request.form()
    reference = _text(form, "reference", 100)
    return await _apply(request, access, lambda db: service.add_suspect(
        db, access.case, reference, actor=access.user.username,
        date_of_birth=_text(form, "date_of_birth", 20) or None,
        circumstances=_text(form, "circumstances")), f"Suspect {reference} added.")


@router.post("/cases/{case_ref}/triage/suspects/{suspect_ref}")
async def triage_suspect_update(request: Request, suspect_ref: str,
                                access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    suspect = _suspect(access, suspect_ref)
    form = await request.form()
    facts = {f["id"]: _text(form, f"fact.{f['id']}", 20) or "unknown"
             for f in pathways.load_rules().facts}
    return await _apply(request, access, lambda db: service.update_suspect(
        db, suspect, actor=access.user.username,
        date_of_birth=_text(form, "date_of_birth", 20) or None,
        circumstances=_text(form, "circumstances"), facts=facts),
        f"Suspect {suspect.reference} saved.")


@router.post("/cases/{case_ref}/triage/offences")
async def triage_offence_add(request: Request,
                             access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    form = await request.form()

    def action(db):
        who = _text(form, "suspect", 100)
        return service.add_offence(
            db, access.case, _text(form, "kind", 40), actor=access.user.username,
            suspect=service.get_suspect(db, access.case, who) if who else None,
            description=_text(form, "description"), legislation=_text(form, "legislation", 200),
            status=_text(form, "status", 30) or "suspected")

    return await _apply(request, access, action, "Offence recorded.")


@router.post("/cases/{case_ref}/triage/devices")
async def triage_device_add(request: Request,
                            access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "editing casework")
    form = await request.form()

    def action(db):
        who = _text(form, "suspect", 100)
        return service.add_device(
            db, access.case, _text(form, "reference", 200), actor=access.user.username,
            description=_text(form, "description"), make=_text(form, "make", 100),
            model=_text(form, "model", 100), serial=_text(form, "serial", 100),
            exhibit=_text(form, "exhibit", 200) or None,
            suspect=service.get_suspect(db, access.case, who) if who else None)

    return await _apply(request, access, action, "Seized device recorded.")


def _form_context(access: deps.CaseAccess, suspect: Suspect, instrument: str) -> dict:
    prepared = service.prepare(access.db, access.case, suspect, instrument, access.verdicts)
    inst, latest = prepared["instrument"], prepared["latest"]
    previous = (latest.answers if latest else {}) or {}
    chosen = {}
    for item in inst.items:
        # Pre-fill from the forensics first (fresh evidence), else the last answer given.
        if item.id in prepared["suggestions"]:
            chosen[item.id] = prepared["suggestions"][item.id]["answer"]
        elif item.id in previous:
            chosen[item.id] = previous[item.id].get("answer")
    sections = inst.sections or [{"id": None, "title": "Items"}]
    return {"case": access.case, "suspect": suspect, "inst": inst, "prepared": prepared,
            "chosen": chosen, "previous": previous, "sections": sections, "latest": latest}


@router.get("/cases/{case_ref}/triage/suspects/{suspect_ref}/assess")
def assess_form(request: Request, suspect_ref: str, instrument: str = "seawall-prioritisation",
                access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "assessing")
    suspect = _suspect(access, suspect_ref)
    context = _form_context(access, suspect, instrument)
    audit.record(access.db, access.user.username, "casework.assessment.form",
                 case=access.case.reference, target=suspect.reference,
                 details={"instrument": instrument})
    access.db.commit()
    return render(request, "triage_assess.html", context)


@router.post("/cases/{case_ref}/triage/suspects/{suspect_ref}/assess")
async def assess_submit(request: Request, suspect_ref: str,
                        access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "assessing")
    suspect = _suspect(access, suspect_ref)
    form = await request.form()
    name = _text(form, "instrument", 100)
    inst = instruments.get(name)
    answers = {i.id: {"answer": _text(form, f"item.{i.id}", 50) or None,
                      "note": _text(form, f"note.{i.id}", 2000)} for i in inst.items}
    review = {}
    for key in form:
        if key.startswith("review.") and _text(form, key, 20):
            review[key[7:]] = {"status": _text(form, key, 20),
                               "note": _text(form, f"review_note.{key[7:]}", 2000)}
    db = access.db
    try:
        row = service.assess(db, access.case, suspect, name, answers,
                             actor=access.user.username, reason=_text(form, "reason", 2000),
                             review=review, results=access.verdicts)
    except service.CaseworkError as exc:
        db.rollback()
        context = _form_context(access, suspect, name)
        return render(request, "triage_assess.html", {**context, "error": str(exc)},
                      status_code=422)
    db.commit()
    target = case_path(access.case, "triage", "suspects", suspect.reference, "history")
    return redirect_with_flash(request, f"{target}#a{row.id}",
                               f"Assessment saved: {row.result.get('message', row.band)}")


@router.post("/cases/{case_ref}/triage/suspects/{suspect_ref}/decision")
async def decision_submit(request: Request, suspect_ref: str,
                          access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.DECIDE, "recording pathway decisions")
    suspect = _suspect(access, suspect_ref)
    form = await request.form()
    return await _apply(request, access, lambda db: service.decide(
        db, access.case, suspect, _text(form, "pathway", 40), actor=access.user.username,
        reason=_text(form, "reason"), results=access.verdicts),
        lambda row: f"Decision recorded: {row.decided}"
                    + (" (departs from the recommendation)" if row.departure else "") + ".")


@router.get("/cases/{case_ref}/triage/suspects/{suspect_ref}/history")
def history_page(request: Request, suspect_ref: str,
                 access: deps.CaseAccess = Depends(deps.case_access)):
    suspect = _suspect(access, suspect_ref)
    data = service.history(access.db, suspect)
    audit.record(access.db, access.user.username, "casework.history.view",
                 case=access.case.reference, target=suspect.reference)
    access.db.commit()
    return render(request, "triage_history.html", {
        "case": access.case, "suspect": suspect,
        "assessments": list(reversed(data["assessments"])),
        "decisions": list(reversed(data["decisions"]))})


# --- JSON API ------------------------------------------------------------------------------

@router.get("/api/casework/instruments")
def api_instruments(user: User = Depends(deps.current_user)):
    return [i.describe() for i in instruments.load_all().values()]


@router.get("/api/casework/triage")
def api_triage(user: User = Depends(deps.current_user), db: Session = Depends(deps.get_db)):
    rows = service.triage_rows(db, db.scalars(assignments.accessible_cases_query(user)).all())
    audit.record(db, user.username, "casework.triage.view", details={"api": True})
    db.commit()
    return rows


@router.get("/api/cases/{case_ref}/casework")
def api_case(access: deps.CaseAccess = Depends(deps.case_access)):
    data = service.case_json(access.db, access.case)
    audit.record(access.db, access.user.username, "casework.view", case=access.case.reference,
                 details={"api": True})
    access.db.commit()
    return data


@router.get("/api/cases/{case_ref}/casework/indicators")
def api_indicators(access: deps.CaseAccess = Depends(deps.case_access)):
    from seawall.casework import indicators

    data = indicators.compute(access.db, access.case, access.verdicts)
    audit.record(access.db, access.user.username, "casework.indicators.view",
                 case=access.case.reference)
    access.db.commit()
    return data


@router.get("/api/cases/{case_ref}/casework/suspects/{suspect_ref}")
def api_suspect(suspect_ref: str, access: deps.CaseAccess = Depends(deps.case_access)):
    suspect = _suspect(access, suspect_ref)
    data = {**service.suspect_json(access.db, suspect),
            "recommendation": service.recommendation(access.db, access.case, suspect,
                                                     access.verdicts),
            "history": service.history(access.db, suspect)}
    audit.record(access.db, access.user.username, "casework.history.view",
                 case=access.case.reference, target=suspect.reference, details={"api": True})
    access.db.commit()
    return data


async def _json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(422, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "The body must be a JSON object.")
    return body


@router.post("/api/cases/{case_ref}/casework/suspects/{suspect_ref}/assessments")
async def api_assess(request: Request, suspect_ref: str,
                     access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.EDIT_CASEWORK, "assessing")
    suspect = _suspect(access, suspect_ref)
    body = await _json_body(request)
    try:
        row = service.assess(access.db, access.case, suspect, str(body.get("instrument", "")),
                             body.get("answers") or {}, actor=access.user.username,
                             reason=str(body.get("reason") or ""),
                             review=body.get("review") or {}, results=access.verdicts)
    except service.CaseworkError as exc:
        access.db.rollback()
        return JSONResponse({"detail": str(exc)}, status_code=422)
    access.db.commit()
    return JSONResponse(service.assessment_json(row), status_code=201)


@router.post("/api/cases/{case_ref}/casework/suspects/{suspect_ref}/decision")
async def api_decide(request: Request, suspect_ref: str,
                     access: deps.CaseAccess = Depends(deps.case_access)):
    _require(access.user, Permission.DECIDE, "recording pathway decisions")
    suspect = _suspect(access, suspect_ref)
    body = await _json_body(request)
    try:
        row = service.decide(access.db, access.case, suspect, str(body.get("pathway", "")),
                             actor=access.user.username, reason=str(body.get("reason") or ""),
                             results=access.verdicts)
    except service.CaseworkError as exc:
        access.db.rollback()
        return JSONResponse({"detail": str(exc)}, status_code=422)
    access.db.commit()
    return JSONResponse(service.decision_json(row), status_code=201)
