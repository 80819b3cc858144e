"""Casework operations shared by the CLI, the web pages and the JSON API.  Every change is
written to the audit log in the caller's transaction (commit to make both durable)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.casework import indicators as ind
from seawall.casework import instruments, pathways, scoring
from seawall.errors import InvalidInput, NotFound
from seawall.matching.verdict import VerdictLookup
from seawall.store import audit
from seawall.store.casework_models import (
    CASE_STATUSES,
    OFFENCE_KINDS,
    OFFENCE_STATUSES,
    CaseDetails,
    CaseOfficer,
    Offence,
    PathwayDecision,
    RiskAssessment,
    SeizedDevice,
    Suspect,
)
from seawall.store.models import Case, Exhibit, utcnow

FACT_VALUES = ("yes", "no", "unknown")
INDICATOR_REVIEW = ("confirmed", "corrected")


class CaseworkError(InvalidInput, ValueError):
    """A request that cannot be carried out; the message is safe to show."""


class DecisionRejected(CaseworkError):
    """A pathway decision that was refused.  The request's transaction is rolled back, so
    the caller records the attempt afterwards with :func:`record_rejected_decision`: a
    refused decision (e.g. a departure from the advice without a reason) is part of the
    record too."""

    def __init__(self, message: str, case: str, suspect: str, details: dict) -> None:
        super().__init__(message)
        self.case, self.suspect, self.details = case, suspect, details


def details(session: Session, case: Case, create: bool = False) -> CaseDetails | None:
    row = session.scalar(select(CaseDetails).where(CaseDetails.case_id == case.id))
    if row is None and create:
        row = CaseDetails(case_id=case.id, status="new", summary="")
        session.add(row)
        session.flush()
    return row


def get_suspect(session: Session, case: Case, reference: str) -> Suspect:
    suspect = session.scalar(select(Suspect).where(Suspect.case_id == case.id,
                                                   Suspect.reference == reference))
    if suspect is None:
        raise NotFound(f"no suspect {reference!r} in case {case.reference}")
    return suspect


def parse_date(value: str | date | None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise CaseworkError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if parsed > utcnow().date():
        raise CaseworkError("a date of birth cannot be in the future")
    return parsed


def update_case(session: Session, case: Case, *, actor: str, status: str | None = None,
                summary: str | None = None) -> dict:
    row = details(session, case, create=True)
    changes = {}
    if status is not None and status != row.status:
        if status not in CASE_STATUSES:
            raise CaseworkError(f"status must be one of {', '.join(CASE_STATUSES)}")
        changes["status"] = [row.status, status]
        row.status = status
    if summary is not None and summary.strip() != row.summary:
        changes["summary"] = "changed"
        row.summary = summary.strip()
    if changes:
        row.updated_at, row.updated_by = utcnow(), actor
        audit.record(session, actor, "casework.case.update", case=case.reference,
                     details=changes)
    return changes


def add_officer(session: Session, case: Case, username: str, role: str, *, actor: str) -> bool:
    username, role = username.strip(), (role.strip() or "investigator")
    if not username:
        raise CaseworkError("an officer needs a user name")
    exists = session.scalar(select(CaseOfficer).where(
        CaseOfficer.case_id == case.id, CaseOfficer.username == username,
        CaseOfficer.role == role))
    if exists:
        return False
    session.add(CaseOfficer(case_id=case.id, username=username, role=role, assigned_by=actor))
    audit.record(session, actor, "casework.officer.add", case=case.reference, target=username,
                 details={"role": role})
    return True


def remove_officer(session: Session, case: Case, username: str, role: str, *,
                   actor: str) -> bool:
    row = session.scalar(select(CaseOfficer).where(
        CaseOfficer.case_id == case.id, CaseOfficer.username == username,
        CaseOfficer.role == role))
    if row is None:
        return False
    session.delete(row)
    audit.record(session, actor, "casework.officer.remove", case=case.reference,
                 target=username, details={"role": role})
    return True


def add_suspect(session: Session, case: Case, reference: str, *, actor: str,
                date_of_birth: str | date | None = None, circumstances: str = "") -> Suspect:
    reference = reference.strip()
    if not reference or "/" in reference or len(reference) > 100:
        raise CaseworkError("a suspect reference must be 1-100 characters without '/'")
    if session.scalar(select(Suspect.id).where(Suspect.case_id == case.id,
                                               Suspect.reference == reference)):
        raise CaseworkError(f"suspect {reference!r} already exists in {case.reference}")
    suspect = Suspect(case_id=case.id, reference=reference,
                      date_of_birth=parse_date(date_of_birth),
                      circumstances=circumstances.strip(), facts={})
    session.add(suspect)
    session.flush()
    details(session, case, create=True)
    audit.record(session, actor, "casework.suspect.add", case=case.reference, target=reference)
    return suspect


def update_suspect(session: Session, suspect: Suspect, *, actor: str,
                   date_of_birth: str | date | None | bool = False,
                   circumstances: str | None = None, facts: dict | None = None) -> dict:
    """Change the given fields (``date_of_birth=False`` leaves it alone)."""
    changes: dict = {}
    if date_of_birth is not False:
        born = parse_date(date_of_birth)
        if born != suspect.date_of_birth:
            changes["date_of_birth"] = "changed"
            suspect.date_of_birth = born
    if circumstances is not None and circumstances.strip() != suspect.circumstances:
        changes["circumstances"] = "changed"
        suspect.circumstances = circumstances.strip()
    if facts:
        known = {f["id"] for f in pathways.load_rules().facts}
        merged = dict(suspect.facts or {})
        for key, value in facts.items():
            if key not in known:
                raise CaseworkError(f"unknown pathway fact {key!r} (known: "
                                    f"{', '.join(sorted(known))})")
            value = str(value or "unknown").strip().lower()
            if value not in FACT_VALUES:
                raise CaseworkError(f"{key}: answer yes, no or unknown")
            if merged.get(key, "unknown") != value:
                changes[f"fact.{key}"] = [merged.get(key, "unknown"), value]
                merged[key] = value
        suspect.facts = merged
    if changes:
        suspect.updated_at = utcnow()
        session.flush()
        audit.record(session, actor, "casework.suspect.update",
                     case=suspect.case.reference, target=suspect.reference, details=changes)
    return changes


def add_offence(session: Session, case: Case, kind: str, *, actor: str,
                suspect: Suspect | None = None, description: str = "", legislation: str = "",
                status: str = "suspected") -> Offence:
    if kind not in OFFENCE_KINDS:
        raise CaseworkError(f"offence kind must be one of {', '.join(OFFENCE_KINDS)}")
    if status not in OFFENCE_STATUSES:
        raise CaseworkError(f"offence status must be one of {', '.join(OFFENCE_STATUSES)}")
    offence = Offence(case_id=case.id, suspect_id=suspect.id if suspect else None, kind=kind,
                      description=description.strip(), legislation=legislation.strip(),
                      status=status)
    session.add(offence)
    session.flush()
    audit.record(session, actor, "casework.offence.add", case=case.reference,
                 target=str(offence.id), details={"kind": kind, "status": status,
                                                  "suspect": suspect.reference if suspect
                                                  else None})
    return offence


def add_device(session: Session, case: Case, reference: str, *, actor: str,
               description: str = "", make: str = "", model: str = "", serial: str = "",
               exhibit: str | None = None, suspect: Suspect | None = None) -> SeizedDevice:
    reference = reference.strip()
    if not reference:
        raise CaseworkError("a seized device needs a reference")
    if session.scalar(select(SeizedDevice.id).where(SeizedDevice.case_id == case.id,
                                                    SeizedDevice.reference == reference)):
        raise CaseworkError(f"device {reference!r} already recorded")
    exhibit_id = None
    if exhibit:
        exhibit_id = session.scalar(select(Exhibit.id).where(Exhibit.case_id == case.id,
                                                             Exhibit.reference == exhibit))
        if exhibit_id is None:
            raise CaseworkError(f"no scanned exhibit {exhibit!r} in {case.reference}")
    device = SeizedDevice(case_id=case.id, reference=reference,
                          description=description.strip(), make=make.strip() or None,
                          model=model.strip() or None, serial=serial.strip() or None,
                          exhibit_id=exhibit_id, suspect_id=suspect.id if suspect else None)
    session.add(device)
    session.flush()
    audit.record(session, actor, "casework.device.add", case=case.reference, target=reference,
                 details={"make": device.make, "model": device.model, "exhibit": exhibit})
    return device


def latest_assessment(session: Session, suspect: Suspect,
                      instrument: str | None = None) -> RiskAssessment | None:
    query = select(RiskAssessment).where(RiskAssessment.suspect_id == suspect.id)
    if instrument:
        query = query.where(RiskAssessment.instrument == instrument)
    return session.scalar(query.order_by(RiskAssessment.id.desc()).limit(1))


def prepare(session: Session, case: Case, suspect: Suspect, instrument_name: str,
            results: VerdictLookup | None = None) -> dict:
    """What an assessment form needs: the instrument, fresh indicators, pre-filled
    suggestions, and the latest assessment's answers to start from."""
    instrument = instruments.get(instrument_name)
    indicators = ind.compute(session, case, results)
    known = ind.facts(suspect, indicators)
    suggestions = ind.prefill(instrument, known, indicators)
    latest = latest_assessment(session, suspect, instrument.name)
    return {"instrument": instrument, "indicators": indicators, "suggestions": suggestions,
            "latest": latest, "facts": known,
            "changed": changed_indicators(latest, indicators) if latest else []}


def changed_indicators(latest: RiskAssessment, indicators: dict) -> list[str]:
    """Indicators whose value differs from the snapshot the assessment was made with."""
    before = (latest.indicators or {}).get("indicators") or {}
    now = indicators.get("indicators") or {}
    return sorted(k for k in now if (before.get(k) or {}).get("value") != now[k].get("value"))


def assess(session: Session, case: Case, suspect: Suspect, instrument_name: str,
           answers: dict, *, actor: str, reason: str = "", review: dict | None = None,
           results: VerdictLookup | None = None) -> RiskAssessment:
    """Score and store a new assessment (a reassessment supersedes, never overwrites).

    ``answers`` maps item id -> answer as :func:`seawall.casework.scoring.normalise` takes
    them; ``review`` maps indicator id -> {"status": confirmed|corrected, "note"}.
    An answer equal to a forensic pre-fill is recorded as confirmed, a different one as
    corrected, each with the indicator's evidence."""
    prepared = prepare(session, case, suspect, instrument_name, results)
    instrument = prepared["instrument"]
    try:
        given = scoring.normalise(instrument, answers)
    except scoring.AnswerError as exc:
        raise CaseworkError(str(exc)) from None
    for item_id, suggestion in prepared["suggestions"].items():
        if item_id in given and given[item_id]["source"] == "assessor":
            entry = given[item_id]
            same = entry["answer"] == suggestion["answer"]
            entry["source"] = f"{suggestion['source']} ({'confirmed' if same else 'corrected'})"
            entry["evidence"] = entry["evidence"] or suggestion["evidence"]
            entry["prefilled"] = suggestion["answer"]
    result = scoring.score(instrument, given)
    indicators = prepared["indicators"]
    reviewed = {}
    for key, value in (review or {}).items():
        if key not in indicators["indicators"]:
            raise CaseworkError(f"unknown indicator {key!r}")
        status = (value or {}).get("status", "confirmed")
        if status not in INDICATOR_REVIEW:
            raise CaseworkError(f"indicator {key}: status must be confirmed or corrected")
        note = str((value or {}).get("note") or "").strip()
        if status == "corrected" and not note:
            raise CaseworkError(f"indicator {key}: say what is wrong when correcting it")
        reviewed[key] = {"status": status, "note": note}
    indicators = {**indicators, "review": reviewed}
    latest = prepared["latest"]
    if latest is not None and not reason.strip():
        changed = prepared["changed"]
        reason = ("new forensic results: " + ", ".join(changed)) if changed else "reassessment"
    row = RiskAssessment(
        case_id=case.id, suspect_id=suspect.id, instrument=instrument.name,
        instrument_version=instrument.version, instrument_sha256=instrument.sha256,
        version=(latest.version + 1) if latest else 1,
        supersedes_id=latest.id if latest else None, answers=given, indicators=indicators,
        result=result, status=result["status"], band=result["band"], score=result["score"],
        reason=reason.strip() or "initial assessment", assessor=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor, "casework.assessment", case=case.reference,
                 target=suspect.reference,
                 details={"assessment": row.id, "instrument": instrument.name,
                          "version": row.version, "status": row.status, "band": row.band,
                          "score": row.score, "missing": result["missing"],
                          "unknown": result["unknown"], "reason": row.reason})
    return row


def recommendation(session: Session, case: Case, suspect: Suspect,
                   results: VerdictLookup | None = None) -> dict:
    rules = pathways.load_rules()
    latest = latest_assessment(session, suspect, rules.instrument)
    indicators = (latest.indicators if latest else None) or ind.compute(session, case, results)
    known = ind.facts(suspect, indicators)
    facts = pathways.build_facts(latest.result if latest else None, known,
                                 suspect.facts or {}, known["suspect.age"])
    out = pathways.recommend(rules, facts)
    out["assessment_id"] = latest.id if latest else None
    if latest is None:
        out["why"] += f" No {rules.instrument} assessment has been recorded yet."
    return out


def decide(session: Session, case: Case, suspect: Suspect, pathway: str, *, actor: str,
           reason: str = "", results: VerdictLookup | None = None) -> PathwayDecision:
    """Record the authorised person's decision; departing from the advice needs a reason."""
    rules = pathways.load_rules()
    reason = reason.strip()
    if rules.pathway(pathway) is None:
        raise DecisionRejected(
            f"pathway must be one of {', '.join(p.id for p in rules.pathways)}",
            case.reference, suspect.reference, {"decided": pathway, "reason": reason})
    advice = recommendation(session, case, suspect, results)
    departure = pathway != advice["recommended"]
    if departure and len(reason) < 10:
        raise DecisionRejected(
            f"the recommendation is {advice['recommended']}: a decision of {pathway} needs "
            "a written reason (at least 10 characters)", case.reference, suspect.reference,
            {"decided": pathway, "recommended": advice["recommended"], "reason": reason,
             "assessment": advice["assessment_id"]})
    row = PathwayDecision(case_id=case.id, suspect_id=suspect.id,
                          assessment_id=advice["assessment_id"],
                          recommended=advice["recommended"], recommendation=advice,
                          decided=pathway, departure=departure, reason=reason,
                          decided_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor, "casework.pathway.decide", case=case.reference,
                 target=suspect.reference,
                 details={"decision": row.id, "recommended": advice["recommended"],
                          "decided": pathway, "departure": departure, "reason": reason,
                          "assessment": advice["assessment_id"],
                          "provisional": advice["provisional"]})
    return row


def record_rejected_decision(session: Session, actor: str, rejected: DecisionRejected) -> None:
    """Audit a refused decision attempt (in a transaction of its own; caller commits)."""
    audit.record(session, actor, "casework.pathway.rejected", case=rejected.case,
                 target=rejected.suspect, details={**rejected.details,
                                                   "refused": str(rejected)})


def assessment_json(row: RiskAssessment) -> dict:
    return {"id": row.id, "suspect": row.suspect.reference, "instrument": row.instrument,
            "instrument_version": row.instrument_version,
            "instrument_sha256": row.instrument_sha256, "version": row.version,
            "supersedes": row.supersedes_id, "status": row.status, "band": row.band,
            "score": row.score, "reason": row.reason, "assessor": row.assessor,
            "created_at": row.created_at.isoformat(timespec="seconds"),
            "due": due_date(row), "result": row.result, "answers": row.answers,
            "indicators": row.indicators}


def due_date(row: RiskAssessment | None) -> str | None:
    days = (row.result or {}).get("timescale_days") if row else None
    if days is None:
        return None
    return (row.created_at + timedelta(days=days)).date().isoformat()


def decision_json(row: PathwayDecision) -> dict:
    return {"id": row.id, "recommended": row.recommended, "decided": row.decided,
            "departure": row.departure, "reason": row.reason, "decided_by": row.decided_by,
            "assessment": row.assessment_id,
            "created_at": row.created_at.isoformat(timespec="seconds")}


def history(session: Session, suspect: Suspect) -> dict:
    assessments = session.scalars(select(RiskAssessment).where(
        RiskAssessment.suspect_id == suspect.id).order_by(RiskAssessment.id)).all()
    decisions = session.scalars(select(PathwayDecision).where(
        PathwayDecision.suspect_id == suspect.id).order_by(PathwayDecision.id)).all()
    return {"suspect": suspect.reference,
            "assessments": [assessment_json(a) for a in assessments],
            "decisions": [decision_json(d) for d in decisions]}


def suspect_json(session: Session, suspect: Suspect) -> dict:
    rules = pathways.load_rules()
    latest = {}
    for name in sorted({r for (r,) in session.execute(
            select(RiskAssessment.instrument).where(RiskAssessment.suspect_id == suspect.id))}):
        row = latest_assessment(session, suspect, name)
        latest[name] = {"id": row.id, "version": row.version, "status": row.status,
                        "band": row.band, "score": row.score, "due": due_date(row),
                        "created_at": row.created_at.isoformat(timespec="seconds")}
    decision = session.scalar(select(PathwayDecision).where(
        PathwayDecision.suspect_id == suspect.id).order_by(PathwayDecision.id.desc()).limit(1))
    return {"reference": suspect.reference,
            "date_of_birth": suspect.date_of_birth.isoformat() if suspect.date_of_birth
            else None,
            "age": ind.age_on(suspect.date_of_birth, utcnow().date()),
            "circumstances": suspect.circumstances,
            "facts": {f["id"]: (suspect.facts or {}).get(f["id"], "unknown")
                      for f in rules.facts},
            "assessments": latest,
            "decision": decision_json(decision) if decision else None}


def case_json(session: Session, case: Case) -> dict:
    row = details(session, case)
    suspects = session.scalars(select(Suspect).where(Suspect.case_id == case.id)
                               .order_by(Suspect.reference)).all()
    offences = session.scalars(select(Offence).where(Offence.case_id == case.id)
                               .order_by(Offence.id)).all()
    officers = session.scalars(select(CaseOfficer).where(CaseOfficer.case_id == case.id)
                               .order_by(CaseOfficer.username)).all()
    devices = session.scalars(select(SeizedDevice).where(SeizedDevice.case_id == case.id)
                              .order_by(SeizedDevice.reference)).all()
    return {
        "case": case.reference, "scheme": case.scheme,
        "status": row.status if row else "new", "summary": row.summary if row else "",
        "officers": [{"username": o.username, "role": o.role} for o in officers],
        "suspects": [suspect_json(session, s) for s in suspects],
        "offences": [{"id": o.id, "kind": o.kind, "status": o.status,
                      "description": o.description, "legislation": o.legislation,
                      "suspect": o.suspect.reference if o.suspect else None}
                     for o in offences],
        "devices": [{"reference": d.reference, "description": d.description, "make": d.make,
                     "model": d.model, "serial": d.serial,
                     "exhibit": d.exhibit.reference if d.exhibit else None,
                     "suspect": d.suspect.reference if d.suspect else None}
                    for d in devices],
    }


BAND_ORDER = {"very_high": 0, "high": 1, "incomplete": 2, "medium": 3, "low": 4}


def triage_rows(session: Session, cases: Sequence[Case]) -> list[dict]:
    """One row per suspect (or per case without suspects) for the triage list, most urgent
    first: band, then due date."""
    rules = pathways.load_rules()
    rows = []
    for case in cases:
        row = details(session, case)
        suspects = session.scalars(select(Suspect).where(Suspect.case_id == case.id)
                                   .order_by(Suspect.reference)).all()
        base = {"case": case.reference, "status": row.status if row else "new"}
        if not suspects:
            rows.append({**base, "suspect": None, "band": None, "due": None,
                         "decision": None})
        for suspect in suspects:
            latest = latest_assessment(session, suspect, rules.instrument)
            decision = session.scalar(select(PathwayDecision.decided).where(
                PathwayDecision.suspect_id == suspect.id)
                .order_by(PathwayDecision.id.desc()).limit(1))
            rows.append({**base, "suspect": suspect.reference,
                         "band": latest.band if latest else "not assessed",
                         "score": latest.score if latest else None,
                         "due": due_date(latest), "decision": decision})
    return sorted(rows, key=lambda r: (BAND_ORDER.get(r["band"], 2 if r["band"] else 5),
                                       r["due"] or "9999", r["case"]))
