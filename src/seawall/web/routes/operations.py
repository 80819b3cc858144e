"""Force operations pages and JSON API: the DF backlog (queue, forecast, what-if) and the
workforce (gap map, training, assignment suggestions).  Supervisors and admins only.

The backlog spans every case, so these pages show case and exhibit references (never
media) beyond a supervisor's own case assignments; each view is audited.  The same report
builders as ``seawall backlog`` / ``seawall workforce`` supply the figures.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from seawall.accounts.roles import Permission
from seawall.errors import InvalidInput
from seawall.operations import charts, reports
from seawall.operations.bands import normalise_band
from seawall.operations.csv_import import import_backlog
from seawall.operations.simulation import Scenario
from seawall.operations.workforce.allocations import close_allocation, open_allocations
from seawall.operations.workforce.planning import gap_chart
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.web import deps
from seawall.web.templating import render

router = APIRouter()

supervisors = deps.require(Permission.SUPERVISE)
MAX_UPLOAD = 20 * 1024 * 1024


def _configs():
    return reports.configs()  # an invalid file is a ConfigError: the 500 page says why


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, "as_of must be a YYYY-MM-DD date.") from None


def _scenario(examiners: str | None, hours_per_day: str | None, arrivals: str | None,
              automated: str | None, days: str | None, seed: str | None) -> Scenario:
    """A scenario from query strings; blank means unchanged.  Bad values answer 400."""
    def num(value, kind, name):
        if value is None or str(value).strip() == "":
            return None
        try:
            return kind(value)
        except ValueError:
            raise HTTPException(400, f"{name} must be a number.") from None

    scenario = Scenario(
        examiners=num(examiners, int, "examiners"),
        hours_per_day=num(hours_per_day, float, "hours_per_day"),
        arrival_multiplier=num(arrivals, float, "arrivals") or 1.0,
        automated_share=num(automated, float, "automated") or 0.0,
        horizon_days=num(days, int, "days"), seed=num(seed, int, "seed"))
    try:
        scenario.validate()
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return scenario


def _audit_view(db: Session, user: User, page: str, details: dict | None = None) -> None:
    audit.record(db, user.username, "operations.view", target=page, details=details)
    db.commit()


# --- pages -----------------------------------------------------------------------------------

@router.get("/operations/backlog")
def backlog_page(request: Request, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    fc = reports.forecast(db, bcfg, day)
    queue = reports.queue(db, bcfg, day, limit=None)
    predicted = {(i["case_reference"], i["exhibit_reference"]): i for i in fc["items"]}
    rows = []
    for q in queue["items"][:100]:
        p = predicted.get((q["case_reference"], q["exhibit_reference"]), {})
        rows.append({**q, "predicted_start": p.get("predicted_start"),
                     "predicted_finish": p.get("predicted_finish"),
                     "breach": p.get("breach")})
    _audit_view(db, user, "backlog", {"as_of": day.isoformat()})
    return render(request, "operations_backlog.html", {
        "fc": fc, "queue": queue, "rows": rows, "as_of": day, "bands": bcfg.bands,
        "chart": charts.data_uri(charts.forecast_by_band(fc["bands"]))})


@router.get("/operations/backlog/simulate")
def simulate_page(request: Request, examiners: str | None = None,
                  hours_per_day: str | None = None, arrivals: str | None = None,
                  automated: str | None = None, days: str | None = None,
                  seed: str | None = None, as_of: str | None = None,
                  user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    scenario = _scenario(examiners, hours_per_day, arrivals, automated, days, seed)
    report = reports.simulate(db, bcfg, day, scenario)
    svgs = report.charts(bcfg)
    _audit_view(db, user, "backlog.simulate", {"scenario": vars(scenario)})
    form = {"examiners": examiners or "", "hours_per_day": hours_per_day or "",
            "arrivals": arrivals or "", "automated": automated or "", "days": days or "",
            "seed": seed or ""}
    return render(request, "operations_simulate.html", {
        "data": report.as_dict(), "form": form, "as_of": day, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "default_examiners": bcfg.examiners,
        "charts": {k: charts.data_uri(v) for k, v in svgs.items()}})


@router.get("/operations/backlog/policies")
def policies_page(request: Request, examiners: str | None = None,
                  hours_per_day: str | None = None, arrivals: str | None = None,
                  automated: str | None = None, days: str | None = None,
                  seed: str | None = None, as_of: str | None = None,
                  user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    """Priority policies side by side on the same random streams."""
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    scenario = _scenario(examiners, hours_per_day, arrivals, automated, days, seed)
    report = reports.compare_policies(db, bcfg, day, scenario)
    _audit_view(db, user, "backlog.policies", {"scenario": vars(scenario)})
    form = {"examiners": examiners or "", "hours_per_day": hours_per_day or "",
            "arrivals": arrivals or "", "automated": automated or "", "days": days or "",
            "seed": seed or ""}
    return render(request, "operations_policies.html", {
        "data": report.as_dict(bcfg), "form": form, "as_of": day, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "default_examiners": bcfg.examiners,
        "chart": charts.data_uri(report.chart(bcfg))})


@router.post("/operations/backlog/import")
async def import_page(request: Request, file: UploadFile,
                      user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    form = await request.form()
    skip_invalid = form.get("skip_invalid") == "1"
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, "The file is larger than 20 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(400, "The file is not UTF-8 text; save the CSV as UTF-8.") from None
    bcfg, _wcfg = _configs()
    result = import_backlog(db, text, bcfg, user.username, skip_invalid=skip_invalid)
    if result.imported:
        db.commit()
    else:
        db.rollback()
    return render(request, "operations_import.html", {
        "result": result, "filename": file.filename or "upload.csv"},
        status_code=200 if result.imported else 400)


@router.get("/operations/workforce")
def workforce_page(request: Request, as_of: str | None = None,
                   user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    day = _as_of(as_of)
    report = reports.gaps(db, bcfg, wcfg, day)
    _audit_view(db, user, "workforce", {"as_of": day.isoformat()})
    return render(request, "operations_workforce.html", {
        "r": report, "as_of": day, "tasks": wcfg.tasks, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "allocations": open_allocations(db),
        "chart": charts.data_uri(gap_chart(report["gap_map"]))})


@router.post("/operations/workforce/allocations/{allocation_id}/close")
def close_allocation_page(allocation_id: int, user: User = Depends(supervisors),
                          db: Session = Depends(deps.get_db)):
    """Close an allocation whose work is done (it stops counting towards the workload)."""
    close_allocation(db, user.username, allocation_id)  # NotFound: 404, Conflict: 409
    db.commit()
    return RedirectResponse("/operations/workforce#allocations", status_code=303)


def _suggestions(db: Session, task: str | None, band: str | None, hours: str | None,
                 day: date) -> tuple[dict | None, list[str], str | None]:
    bcfg, wcfg = _configs()
    if not task:
        return None, [], None
    tasks = list(wcfg.assignment.new_case_tasks) if task == "new-case" else [task]
    try:
        band_key = normalise_band(band, bcfg.bands)
        work_hours = float(hours) if hours else None
        if work_hours is not None and not 0 < work_hours <= 1000:
            raise ValueError("hours must be between 0 and 1000")
        return reports.suggestions(db, wcfg, tasks, band_key, day, work_hours), tasks, None
    except (ValueError, InvalidInput) as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/operations/workforce/suggest")
def suggest_page(request: Request, task: str | None = None, band: str | None = None,
                 hours: str | None = None, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    day = _as_of(as_of)
    report, tasks, _err = _suggestions(db, task, band, hours, day)
    _audit_view(db, user, "workforce.suggest", {"task": task, "band": band})
    return render(request, "operations_suggest.html", {
        "report": report, "tasks": wcfg.tasks, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "form": {"task": task or "", "band": band or "",
                                                "hours": hours or ""}})


# --- JSON API --------------------------------------------------------------------------------

@router.get("/api/operations/backlog/queue")
def api_queue(as_of: str | None = None, limit: int | None = None,
              user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    if limit is not None and limit < 1:
        raise HTTPException(400, "limit must be positive.")
    data = reports.queue(db, bcfg, day, limit)
    _audit_view(db, user, "api.backlog.queue")
    return JSONResponse(data)


@router.get("/api/operations/backlog/forecast")
def api_forecast(as_of: str | None = None, examiners: int | None = None,
                 hours_per_day: float | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    if examiners is not None and not 0 <= examiners <= 1000:
        raise HTTPException(400, "examiners must be between 0 and 1000.")
    if hours_per_day is not None and not 0 < hours_per_day <= 24:
        raise HTTPException(400, "hours_per_day must be in (0, 24].")
    bcfg, _wcfg = reports.configs(examiners=examiners, hours_per_day=hours_per_day)
    data = reports.forecast(db, bcfg, _as_of(as_of))
    _audit_view(db, user, "api.backlog.forecast")
    return JSONResponse(data)


@router.get("/api/operations/backlog/simulate")
def api_simulate(examiners: str | None = None, hours_per_day: str | None = None,
                 arrivals: str | None = None, automated: str | None = None,
                 days: str | None = None, seed: str | None = None, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    scenario = _scenario(examiners, hours_per_day, arrivals, automated, days, seed)
    data = reports.simulate(db, bcfg, _as_of(as_of), scenario).as_dict()
    _audit_view(db, user, "api.backlog.simulate", {"scenario": vars(scenario)})
    return JSONResponse(data)


@router.get("/api/operations/backlog/policies")
def api_policies(examiners: str | None = None, hours_per_day: str | None = None,
                 arrivals: str | None = None, automated: str | None = None,
                 days: str | None = None, seed: str | None = None, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    scenario = _scenario(examiners, hours_per_day, arrivals, automated, days, seed)
    data = reports.compare_policies(db, bcfg, _as_of(as_of), scenario).as_dict(bcfg)
    _audit_view(db, user, "api.backlog.policies", {"scenario": vars(scenario)})
    return JSONResponse(data)


@router.get("/api/operations/workforce/gaps")
def api_gaps(as_of: str | None = None, user: User = Depends(supervisors),
             db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    data = reports.gaps(db, bcfg, wcfg, _as_of(as_of))
    _audit_view(db, user, "api.workforce.gaps")
    return JSONResponse(data)


@router.get("/api/operations/workforce/suggest")
def api_suggest(task: str, band: str | None = None, hours: str | None = None,
                as_of: str | None = None, user: User = Depends(supervisors),
                db: Session = Depends(deps.get_db)):
    report, _tasks, _err = _suggestions(db, task, band, hours, _as_of(as_of))
    _audit_view(db, user, "api.workforce.suggest", {"task": task, "band": band})
    return JSONResponse(report)
